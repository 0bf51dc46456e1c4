#!/usr/bin/env bats
# attn-scale-sweep: the command line (attn-scale.md 5), the known answers of
# 4.4, the example of 5.4, the closed forms, the claims of 8, and numpy
# computing the objective independently on the same scores.
load helper

# The toolbox generator in Python (conventions 5), written from the description,
# for an independent draw of the same samples: xoshiro256** seeded by splitmix64.
GEN='
M = (1 << 64) - 1
def mix(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    return z ^ (z >> 31)
class Gen:
    def __init__(self, seed):
        x = mix(seed); self.s = []
        for _ in range(4):
            x = (x + 0x9E3779B97F4A7C15) & M; self.s.append(mix(x))
        self.cache = None
    def next(self):
        s = self.s; rotl = lambda v, k: ((v << k) | (v >> (64 - k))) & M
        r = (rotl((s[1] * 5) & M, 7) * 9) & M; t = (s[1] << 17) & M
        s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 45)
        return r
    def uniform(self): return (self.next() >> 11) * 2.0 ** -53
    def normal(self):
        if self.cache is not None:
            v, self.cache = self.cache, None; return v
        u1 = 1 - self.uniform(); u2 = self.uniform(); r = math.sqrt(-2 * math.log(u1))
        self.cache = r * math.sin(2 * math.pi * u2); return r * math.cos(2 * math.pi * u2)
def G(s, a):
    p = np.exp(a * (s - s.max())); p /= p.sum()
    return 0.5 * np.abs(a * (np.diag(p) - np.outer(p, p))).sum()
'

# ----- the objective, the example of 5.4, the known answers of 4.4 -----

@test "attn-scale-sweep: A1 the objective is half the L1 norm of the Jacobian (numpy)" {
	run attn-scale-sweep --input --alpha 1 -f objective <<< '{"scores":[0.5,-1,2,0]}'
	assert_success
	want=$(py 's = np.array([0.5,-1,2,0]); p = np.exp(s - s.max()); p /= p.sum(); print(0.5*np.abs(np.diag(p) - np.outer(p, p)).sum())')
	close "$(head -n 1 <<< "$output" | jq .objective)" "$want" 1e-12
	close "$(head -n 1 <<< "$output" | jq .objective)" 0.46016797027356 1e-12
}

@test "attn-scale-sweep: the example of 5.4: first point row and summary" {
	run attn-scale-sweep --input <<< '{"scores":[0.3,-0.2,0.9]}'
	assert_success
	[ "${#lines[@]}" -eq 82 ]
	assert_line --index 0 '{"type":"point","alpha":0.05,"scale":0.05,"objective":0.033324888026174275,"mean":0.033324888026174275,"stderr":"NaN","median":0.033324888026174275,"approx":0.03329161453990342}'
	sum=${lines[81]}
	[ "$(jq -c 'keys_unsorted' <<< "$sum")" = '["type","dist","dim","keys","samples","seed","stat","argmax_alpha","argmax_scale","argmax_objective","argmax_at_boundary","refined","approx_argmax_alpha","approx_argmax_objective","approx_argmax_at_boundary","post_fit_alpha","entropy_alpha","standard_alpha","inv_sqrt_d","objective_at_standard","objective_at_approx_argmax","limit_large_alpha"]' ]
	close "$(jq -c 'del(.argmax_alpha, .argmax_scale)' <<< "$sum")" '{"type":"summary","dist":"input","dim":null,"keys":3,"samples":1,"seed":0,"stat":"mean","argmax_objective":0.9122289452443304,"argmax_at_boundary":false,"refined":true,"approx_argmax_alpha":0.6732722179957418,"approx_argmax_objective":0.3201433967349503,"approx_argmax_at_boundary":false,"post_fit_alpha":0.8804435421332922,"entropy_alpha":0.17610694452457293,"standard_alpha":1,"inv_sqrt_d":null,"objective_at_standard":0.6012129061191978,"objective_at_approx_argmax":0.4283242238694907,"limit_large_alpha":null}' 1e-12
	close "$(jq -c '[.argmax_alpha, .argmax_scale]' <<< "$sum")" '[2.356004726196042,2.356004726196042]' 1e-6
}

@test "attn-scale-sweep: 4.4 known answers for seed 0 (scores, normal d 2)" {
	run attn-scale-sweep --dist scores -n 4 -S 1 --seed 0 --alpha 1 -f objective
	assert_success
	close "$(head -n 1 <<< "$output" | jq .objective)" 0.6944204834835486 1e-14
	py "s = np.array([-0.01896499060631051, -1.3559302271143727, -0.40372109705088766, 0.23335097938940202]); $GEN
print(G(s, 1))" > "$BATS_TEST_TMPDIR/want"
	close "$(head -n 1 <<< "$output" | jq .objective)" "$(cat "$BATS_TEST_TMPDIR/want")" 1e-14
	run attn-scale-sweep --dist normal -d 2 -n 2 -S 1 --seed 0 --alpha 1 -f objective
	close "$(head -n 1 <<< "$output" | jq .objective)" 0.495082873101703 1e-14
}

@test "attn-scale-sweep: the same samples drawn by an independent Python generator give numpy's curve" {
	for dist in scores normal uniform sphere; do
		attn-scale-sweep --dist $dist -d 3 -n 6 -S 7 --seed 5 --alpha-steps 5 --alpha-min 0.5 --alpha-max 30 \
			-O text -f alpha,mean,stderr,median > "$BATS_TEST_TMPDIR/c.txt"
		py "$GEN
dist = '$dist'; g = Gen(5); d, n, T = 3, 6, 7
def comp(): return (2 * g.uniform() - 1) * math.sqrt(3.0) if dist == 'uniform' else g.normal()
S = []
for t in range(T):
    if dist == 'scores':
        S.append(np.array([g.normal() for i in range(n)])); continue
    q = np.array([comp() for j in range(d)]); K = np.array([[comp() for j in range(d)] for i in range(n)])
    if dist == 'sphere': S.append(K @ q / np.linalg.norm(K, axis=1) / np.linalg.norm(q))
    else: S.append(K @ q / math.sqrt(d))
a = np.loadtxt('$BATS_TEST_TMPDIR/c.txt')
for row in a:
    v = np.array([G(s, row[0]) for s in S])
    want = [v.mean(), v.std(ddof=1) / math.sqrt(T), np.median(v)]
    assert np.allclose(row[1:], want, rtol=1e-12, atol=1e-15), (dist, row, want)
"
	done
}

@test "attn-scale-sweep: the first T samples do not depend on -S" {
	a=$(attn-scale-sweep --dist normal -d 4 -n 8 -S 3 --alpha 2 -f median --seed 9 | head -n 1)
	b=$(attn-scale-sweep --input --alpha 2 -f median <<< "$(py "$GEN
g = Gen(9)
for t in range(3):
    q = np.array([g.normal() for j in range(4)]); K = np.array([[g.normal() for j in range(4)] for i in range(8)])
    print(json.dumps({'q': q.tolist(), 'k': K.tolist()}))")" | head -n 1)
	close "$a" "$b" 1e-14
	m5=$(attn-scale-sweep --dist scores -n 8 -S 5 --alpha 2 -O text -f mean | sed -n 2p)
	py "$GEN
g = Gen(0); v = [G(np.array([g.normal() for i in range(8)]), 2) for t in range(5)]
assert abs(np.mean(v) - $m5) < 1e-14 * np.mean(v)"
}

@test "attn-scale-sweep: q/k records agree with numpy's scores (sqrt-d, cos, none)" {
	py 'rng = np.random.default_rng(1); Q = rng.standard_normal((3, 5)); K = rng.standard_normal((9, 5))
json.dump({"q": Q.tolist(), "k": K.tolist(), "layer": 2}, open("'"$BATS_TEST_TMPDIR"'/qk.json", "w"))
for name, S in [("sqrtd", Q @ K.T / np.sqrt(5)), ("cos", (Q / np.linalg.norm(Q, axis=1)[:, None]) @ (K / np.linalg.norm(K, axis=1)[:, None]).T), ("none", Q @ K.T)]:
    json.dump({"scores": S.tolist()}, open("'"$BATS_TEST_TMPDIR"'/" + name + ".json", "w"))'
	for m in sqrt-d cos none; do
		f=${m/-/}
		a=$(attn-scale-sweep --score-norm $m --alpha-steps 7 -f alpha,mean,median "$BATS_TEST_TMPDIR/qk.json" | jq -c 'select(.type == "point") | [.mean, .median]' | jq -sc .)
		b=$(attn-scale-sweep --input --alpha-steps 7 --alpha-min $(attn-scale-sweep --score-norm $m --alpha-steps 7 -f alpha "$BATS_TEST_TMPDIR/qk.json" | head -n 1 | jq .alpha) --alpha-max $(attn-scale-sweep --score-norm $m --alpha-steps 7 -f alpha "$BATS_TEST_TMPDIR/qk.json" | sed -n 7p | jq .alpha) -f alpha,mean,median < "$BATS_TEST_TMPDIR/$f.json" | jq -c 'select(.type == "point") | [.mean, .median]' | jq -sc .)
		close "$a" "$b" 1e-12
	done
	run attn-scale-sweep "$BATS_TEST_TMPDIR/qk.json"
	sum=${lines[81]}
	close "$(jq -c '[.dist, .dim, .keys, .samples, .inv_sqrt_d, .argmax_scale / .argmax_alpha]' <<< "$sum")" '["input",5,9,3,0.4472135954999579,0.4472135954999579]' 1e-15
	run attn-scale-sweep --score-norm none "$BATS_TEST_TMPDIR/qk.json"
	close "$(jq -c '[.approx_argmax_alpha, .standard_alpha, .post_fit_alpha, .objective_at_standard]' <<< "${lines[81]}")" '[null,null,null,null]'
	[ "$(head -n 1 <<< "$output" | jq -c '[.scale == .alpha, .approx]')" = '[true,null]' ]
}

# ----- closed forms and claims -----

@test "attn-scale-sweep: A2/A3 the normal-case maximiser equals scipy's Lambert W form" {
	for n in 2 40 491 492 512 6993 153959; do
		got=$(attn-scale-sweep --approx-only -n $n | tail -n 1 | jq .approx_argmax_alpha)
		want=$(py "from scipy.special import lambertw; print(math.sqrt(lambertw($n * math.sqrt(math.e) / 2).real - 0.5))")
		close "$got" "$want" 1e-13
	done
	close "$(attn-scale-sweep --approx-only -n 512 | tail -n 1 | jq .approx_argmax_alpha)" 2.008394899828541 1e-14
	close "$(for n in 40 491 492 6993 153959; do attn-scale-sweep --approx-only -n $n | tail -n 1 | jq .approx_argmax_alpha; done | jq -sc .)" '[1.4342,1.99984,2.00026,2.499996,3.0000004]' 2e-5
	[ "$(attn-scale-sweep --approx-only -n 1 | tail -n 1 | jq -c '[.approx_argmax_alpha, .limit_large_alpha]')" = '[0,0]' ]
}

@test "attn-scale-sweep: A2 least-squares slope 0.8413 over n = 40, 200, 400, ..., 20000" {
	for n in 40 $(seq 200 "$(vg 200 4000)" 20000); do attn-scale-sweep --approx-only --alpha 1 -n "$n" | tail -n 1; done \
		| jq -r '[.keys, .approx_argmax_alpha] | @tsv' > "$BATS_TEST_TMPDIR/astar.tsv"
	c=$(py "n, a = np.loadtxt('$BATS_TEST_TMPDIR/astar.tsv', unpack=True); x = np.sqrt(np.log(n)); print(a @ x / (x @ x))")
	if [ -z "${KX_VALGRIND:-}" ]; then
		close "$c" 0.84135 5e-4   # 0.84135 on the full grid (examples/07-attn-scale.sh); 0.84115 on this one
	else   # six points: the slope of scipy's Lambert W maximisers on the same n
		close "$c" "$(py "from scipy.special import lambertw
n = np.loadtxt('$BATS_TEST_TMPDIR/astar.tsv', usecols=0); a = np.sqrt(lambertw(n * math.sqrt(math.e) / 2).real - 0.5)
x = np.sqrt(np.log(n)); print(a @ x / (x @ x))")" 1e-12
	fi
}

@test "attn-scale-sweep: A4 cosine d 128 against scipy's Bessel function" {
	run attn-scale-sweep --dist sphere -d 128 --approx-only -n 512
	assert_success
	sum=${lines[81]}
	close "$(jq -c '[.approx_argmax_alpha, .approx_argmax_objective, .approx_argmax_at_boundary]' <<< "$sum")" '[24.21364,21.33747,false]' 1e-6
	want=$(py "from scipy.special import ive, gammaln; from scipy.optimize import minimize_scalar
d, n = 128, 512; nu = d / 2 - 1
L = lambda a: gammaln(d / 2) + nu * math.log(2 / a) + math.log(ive(nu, a)) + a
f = lambda a: -(a - a * math.exp(L(2 * a) - 2 * L(a) - math.log(n)))
r = minimize_scalar(f, bracket=(20, 24, 30), tol=1e-12); print(json.dumps([r.x, -r.fun]))")
	close "$(jq -c '[.approx_argmax_alpha, .approx_argmax_objective]' <<< "$sum")" "$want" 1e-6
	# the approx column on the grid against the same formula
	a=$(jq -c 'select(.type == "point" and .alpha < 200) | [.alpha, .approx]' <<< "$output" | jq -sc .)
	py "from scipy.special import ive, gammaln
d, n = 128, 512; nu = d / 2 - 1
L = lambda a: gammaln(d / 2) + nu * math.log(2 / a) + math.log(ive(nu, a)) + a
for a, v in json.loads('$a'):
    w = a - a * math.exp(L(2 * a) - 2 * L(a) - math.log(n))
    assert abs(v - w) <= 1e-9 * max(1, abs(w)), (a, v, w)"
	close "$(jq -c '[.post_fit_alpha, .entropy_alpha, .standard_alpha, .limit_large_alpha]' <<< "$sum")" "[$(py 'print(3.5*math.log(512))'),$(py 'print(math.sqrt(128))'),$(py 'print(math.sqrt(128))'),null]" 1e-14
}

@test "attn-scale-sweep: A4/A5 cosine alpha* = 25 near n 684, 35 near 34149; slope grows for d >= 64" {
	close "$(for n in 684 34149; do attn-scale-sweep --dist sphere -d 128 --approx-only -n $n | tail -n 1 | jq .approx_argmax_alpha; done | jq -sc .)" '[25,35]' 2e-3
	for d in 16 128 512; do
		for n in $(seq 400 "$(vg 400 4000)" 20000) $(vg '' 20000); do attn-scale-sweep --dist sphere -d $d --approx-only --alpha 1 -n "$n" | tail -n 1; done \
			| jq -r '[.keys, .approx_argmax_alpha] | @tsv' > "$BATS_TEST_TMPDIR/c$d.tsv"
	done
	py "c = {}
for d in (16, 128, 512):
    n, a = np.loadtxt('$BATS_TEST_TMPDIR/c%d.tsv' % d, unpack=True); x = np.log(n); c[d] = a @ x / (x @ x)
print(c); assert abs(c[16] - 2.41) < 0.1 and abs(c[128] - 3.49) < 0.1 and abs(c[512] - 6.49) < 0.15"
}

@test "attn-scale-sweep: A6 one sample: the gradient vanishes at both ends, interior maximum" {
	run attn-scale-sweep --input --alpha-min 0.01 --alpha-max 100 <<< '{"scores":[0.3,-0.2,0.9]}'
	assert_success
	close "$(jq .objective <<< "${lines[0]}")" 0.0066666 1e-4
	close "$(jq .objective <<< "${lines[80]}")" 1.75e-24 1e-2
	want=$(py "$GEN
from scipy.optimize import minimize_scalar
s = np.array([0.3, -0.2, 0.9]); r = minimize_scalar(lambda a: -G(s, a), bracket=(1, 2, 4), tol=1e-12); print(json.dumps([r.x, -r.fun]))")
	close "$(jq -c '[.argmax_alpha, .argmax_objective]' <<< "${lines[81]}")" "$want" 1e-6
	close "$(jq -c '[.argmax_alpha, .argmax_objective, .argmax_at_boundary, .refined]' <<< "${lines[81]}")" '[2.356,0.912229,false,true]' 1e-5
}

@test "attn-scale-sweep: A7 the mean plateaus at limit_large_alpha, no interior peak above it" {
	run attn-scale-sweep --dist scores -n 16 -S 20000 --alpha-max 64 -q
	assert_success
	sum=${lines[81]}
	close "$(jq .limit_large_alpha <<< "$sum")" 1.7659913930548 1e-12
	last=${lines[80]}
	py "p = json.loads('$last'); s = json.loads('$sum')
assert abs(p['mean'] - s['limit_large_alpha']) < 4 * p['stderr'], p
assert s['argmax_at_boundary'] or s['argmax_alpha'] > 8, s
assert s['argmax_objective'] < s['limit_large_alpha'] + 4 * p['stderr'], s"
	close "$(attn-scale-sweep --approx-only --dist scores -n 512 | tail -n 1 | jq .limit_large_alpha)" 3.0439031612044 1e-12
	py "from scipy.integrate import quad; from scipy.stats import norm
n = 16; v = n * (n - 1) * quad(lambda x: norm.pdf(x) ** 2 * norm.cdf(x) ** (n - 2), -np.inf, np.inf, epsabs=1e-14)[0]
assert abs(v - $(jq .limit_large_alpha <<< "$sum")) < 1e-10, v"
}

@test "attn-scale-sweep: A8 the post's alpha* about doubles the mean gradient of alpha = 1" {
	run attn-scale-sweep --dist scores -n 512 -S 3000 -q
	assert_success
	close "$(jq -c '[.objective_at_approx_argmax, .objective_at_standard]' <<< "${lines[81]}")" '[1.92,0.995]' 0.03
}

@test "attn-scale-sweep: A9 the median curve has an interior maximum far above the approximation" {
	run attn-scale-sweep --stat median --dist scores -n 512 -S 1000
	assert_success
	py "s = json.loads('${lines[81]}'); assert 5.5 <= s['argmax_alpha'] <= 7.3 and not s['argmax_at_boundary'] and s['refined'], s"
	[ "$(jq -r .stat <<< "${lines[81]}")" = median ]
	run attn-scale-sweep --stat median --dist scores -n 64 -S 1000 -q
	py "s = json.loads('${lines[81]}'); assert 4.6 <= s['argmax_alpha'] <= 5.5 and s['approx_argmax_alpha'] < 1.6, s"
}

@test "attn-scale-sweep: A10 entropy_alpha is 1 (normal) and sqrt(128) (cosine) at n 512, both grow with ln n" {
	close "$(attn-scale-sweep --approx-only -n 512 | tail -n 1 | jq .entropy_alpha)" 1 1e-15
	close "$(attn-scale-sweep --approx-only --dist sphere -d 128 -n 512 | tail -n 1 | jq .entropy_alpha)" 11.313708498984761 1e-15
	for src in "" "--dist sphere -d 128"; do
		v=$(for n in 64 512 4096 16384; do attn-scale-sweep --approx-only $src -n $n | tail -n 1 | jq -c '[.entropy_alpha, .approx_argmax_alpha]'; done | jq -sc .)
		py "v = np.array(json.loads('$v')); assert (np.diff(v, axis=0) > 0).all(), v"
	done
}

@test "attn-scale-sweep: A11 plateau for q, k ~ N(0, I_d); a long run at alpha 64 reaches it" {
	close "$(attn-scale-sweep --approx-only -d 64 -n 512 | tail -n 1 | jq .limit_large_alpha)" 3.0801642 1e-7
	run attn-scale-sweep --dist normal -d 8 -n 16 -S 20000 --alpha 64
	assert_success
	close "$(jq .limit_large_alpha <<< "${lines[1]}")" 1.95634 1e-5
	py "p = json.loads('${lines[0]}'); assert abs(p['mean'] - 1.95634) < 4 * p['stderr'], p"
	[ "$(attn-scale-sweep --approx-only -d 1 -n 4 | tail -n 1 | jq -c .limit_large_alpha)" = '"Infinity"' ]
}

# ----- edge cases -----

@test "attn-scale-sweep: masked -Infinity scores get p = 0: the same as leaving them out" {
	a=$(attn-scale-sweep --input -q <<< $'{"scores":[0.3,"-Infinity",-0.2,0.9]}\n[-Infinity,1,2,0]')
	b=$(attn-scale-sweep --input -q <<< $'{"scores":[0.3,-0.2,0.9]}\n[1,2,0]')
	[ "$a" = "$b" ]
	run attn-scale-sweep --input -q --alpha 1 <<< $'[0.3,"-Infinity",-0.2,0.9]\n[1,2,0,3]'
	[ "$(jq -c '[.keys, .approx_argmax_alpha]' <<< "${lines[1]}")" = '[null,null]' ]
}

@test "attn-scale-sweep: tied maxima grow like alpha/2: G({1,1,0}) at 1, 10, 100" {
	for a in 1 10 100; do
		attn-scale-sweep --input --alpha $a -f objective <<< '{"scores":[1,1,0]}' | head -n 1 | jq .objective
	done > "$BATS_TEST_TMPDIR/g"
	close "$(jq -sc . "$BATS_TEST_TMPDIR/g")" '[0.6191561888664335,5.00022698676707,50]' 1e-14
}

@test "attn-scale-sweep: n 1 gives objective 0, argmax at index 0, alpha 0 gives 0" {
	run attn-scale-sweep --dist scores -n 1 -S 3 --alpha-steps 5 -q
	assert_success
	[ "$(jq -c 'select(.type == "point") | .objective' <<< "$output" | sort -u)" = 0 ]
	[ "$(tail -n 1 <<< "$output" | jq -c '[.argmax_alpha, .argmax_at_boundary, .refined, .approx_argmax_alpha, .limit_large_alpha]')" = '[0.05,true,false,0,0]' ]
	run attn-scale-sweep --dist scores -n 5 -S 3 --grid lin --alpha-min 0 --alpha-steps 3
	[ "$(head -n 1 <<< "$output" | jq -c '[.alpha, .objective, .approx]')" = '[0,0,0]' ]
	run attn-scale-sweep --dist scores -n 5 -S 3 --alpha 0
	assert_success
	[ "$(head -n 1 <<< "$output" | jq -c '[.alpha, .objective, .approx]')" = '[0,0,0]' ]
}

@test "attn-scale-sweep: the end of the grid is flagged with a warning, exit 0; -q silences it" {
	run attn-scale-sweep --dist scores -n 16 -S 200 --alpha-max 3
	assert_success
	assert_line 'attn-scale-sweep: warning: the maximum is at the end of the grid (alpha = 3); with --stat mean the exact maximiser is at infinity, see CAVEATS in attn-scale-sweep(1)'
	run attn-scale-sweep --dist scores -n 16 -S 200 --alpha-min 10 --alpha-max 20 --stat median
	assert_line 'attn-scale-sweep: warning: the maximum is at the end of the grid (alpha = 10); widen --alpha-min/--alpha-max'
	run attn-scale-sweep --dist sphere -d 128 --approx-only -n 512 --alpha-max 10
	assert_line 'attn-scale-sweep: warning: the maximum of the approximate objective is at the end of the grid (alpha = 10); widen --alpha-min/--alpha-max'
	run attn-scale-sweep -q --dist scores -n 16 -S 200 --alpha-max 3
	[ "${#lines[@]}" -eq 82 ]
	[ "$(tail -n 1 <<< "$output" | jq -c '[.argmax_at_boundary, .refined, .argmax_alpha]')" = '[true,false,3]' ]
}

# ----- output formats -----

@test "attn-scale-sweep: -O text: header, tab-separated columns, summary after '# '" {
	run attn-scale-sweep --dist scores -n 8 -S 10 --alpha-steps 4
	json=$output
	run attn-scale-sweep --dist scores -n 8 -S 10 --alpha-steps 4 -O text
	assert_success
	assert_line --index 0 $'# alpha\tobjective\tstderr'
	[ "${#lines[@]}" -eq 6 ]
	[[ "${lines[1]}" == $'0.05\t'* ]]
	[ "$(grep '^# {' <<< "$output" | cut -c3-)" = "$(tail -n 1 <<< "$json")" ]
	py "a = np.loadtxt(sys.stdin); assert a.shape == (4, 3)" <<< "$output"
	run attn-scale-sweep --approx-only -n 8 -O text --alpha-steps 2
	assert_line --index 0 $'# alpha\tapprox'
}

@test "attn-scale-sweep: text input gives text output; bare arrays and batches are score records" {
	run attn-scale-sweep --input --alpha 1 <<< $'0.3 -0.2 0.9\n0.5,-1,2'
	assert_success
	assert_line --index 0 $'# alpha\tobjective\tstderr'
	a=$(attn-scale-sweep --input --alpha 1 -f mean <<< '[[0.3,-0.2,0.9],[0.5,-1,2]]' | head -n 1 | jq .mean)
	b=$(attn-scale-sweep --input --alpha 1 -f mean <<< $'[0.3,-0.2,0.9]\n{"scores":[0.5,-1,2],"head":3}' | head -n 1 | jq .mean)
	c=$(cut -f2 <<< "${lines[1]}")
	close "$a" "$b" 1e-15
	close "$c" "$a" 1e-15
	py "$GEN
assert abs((G(np.array([0.3,-0.2,0.9]), 1) + G(np.array([0.5,-1,2.]), 1)) / 2 - $a) < 1e-15"
}

@test "attn-scale-sweep: raw f64/f32 score input (-n scores a record) equals the JSON records" {
	py "S = np.random.default_rng(3).standard_normal((20, 6)); S.tofile('$BATS_TEST_TMPDIR/s.f64'); S.astype(np.float32).tofile('$BATS_TEST_TMPDIR/s.f32')
open('$BATS_TEST_TMPDIR/s.jsonl', 'w').write(''.join(json.dumps(r) + chr(10) for r in S.tolist()))
open('$BATS_TEST_TMPDIR/s32.jsonl', 'w').write(''.join(json.dumps(r) + chr(10) for r in S.astype(np.float32).astype(float).tolist()))"
	[ "$(attn-scale-sweep --input -i f64 -n 6 "$BATS_TEST_TMPDIR/s.f64")" = "$(attn-scale-sweep --input "$BATS_TEST_TMPDIR/s.jsonl")" ]
	[ "$(attn-scale-sweep --input -i f32 -n 6 "$BATS_TEST_TMPDIR/s.f32")" = "$(attn-scale-sweep --input "$BATS_TEST_TMPDIR/s32.jsonl")" ]
	head -c 100 "$BATS_TEST_TMPDIR/s.f64" > "$BATS_TEST_TMPDIR/part.f64"
	run attn-scale-sweep --input -i f64 -n 6 "$BATS_TEST_TMPDIR/part.f64"
	assert_failure 1
	assert_output "attn-scale-sweep: $BATS_TEST_TMPDIR/part.f64: record 3: trailing partial record (4 of 48 bytes)"
}

@test "attn-scale-sweep: -O f64 and -O f32 carry one -f field of the point rows, no summary" {
	attn-scale-sweep --dist scores -n 8 -S 10 -O f64 -f objective > "$BATS_TEST_TMPDIR/g.f64"
	attn-scale-sweep --dist scores -n 8 -S 10 -O f32 -f objective > "$BATS_TEST_TMPDIR/g.f32"
	attn-scale-sweep --dist scores -n 8 -S 10 -f objective | jq -c 'select(.type == "point") | .objective' > "$BATS_TEST_TMPDIR/g.json"
	py "a = np.fromfile('$BATS_TEST_TMPDIR/g.f64', '<f8'); b = np.loadtxt('$BATS_TEST_TMPDIR/g.json')
f = np.fromfile('$BATS_TEST_TMPDIR/g.f32', '<f4')
assert a.shape == (81,) and (a == b).all() and (f == a.astype(np.float32)).all()"
}

@test "attn-scale-sweep: --stats writes the summary to stderr in every format; -o writes to a file" {
	attn-scale-sweep --dist scores -n 8 -S 10 -O f64 -f alpha --stats 2> "$BATS_TEST_TMPDIR/err" > /dev/null
	[ "$(jq -r .type "$BATS_TEST_TMPDIR/err")" = summary ]
	attn-scale-sweep --dist scores -n 8 -S 10 -o "$BATS_TEST_TMPDIR/out.jsonl" --stats 2> "$BATS_TEST_TMPDIR/err2"
	[ "$(tail -n 1 "$BATS_TEST_TMPDIR/out.jsonl")" = "$(cat "$BATS_TEST_TMPDIR/err2")" ]
}

@test "attn-scale-sweep: -f chooses point fields in order; --approx-only drops the Monte Carlo keys" {
	run attn-scale-sweep --dist scores -n 8 -S 10 --alpha 2 -f median,alpha
	[ "$(head -n 1 <<< "$output" | jq -c keys_unsorted)" = '["type","median","alpha"]' ]
	run attn-scale-sweep --approx-only -n 8 --alpha 2
	[ "$(head -n 1 <<< "$output" | jq -c keys_unsorted)" = '["type","alpha","scale","approx"]' ]
	[ "$(tail -n 1 <<< "$output" | jq -c keys_unsorted)" = '["type","dist","dim","keys","samples","seed","stat","approx_argmax_alpha","approx_argmax_objective","approx_argmax_at_boundary","post_fit_alpha","entropy_alpha","standard_alpha","inv_sqrt_d","limit_large_alpha"]' ]
	[ "$(tail -n 1 <<< "$output" | jq -c '[.samples, .dim, .keys, .inv_sqrt_d, (.post_fit_alpha - 0.84 * (8 | log | sqrt) | fabs < 1e-15)]')" = '[0,64,8,0.125,true]' ]
	[ "$(head -n 1 <<< "$output" | jq -c .scale)" = 0.25 ]
}

@test "attn-scale-sweep: --strict-json writes null for NaN; --seed is reported up to 2^64-1" {
	run attn-scale-sweep --input --alpha 1 --strict-json -f stderr <<< '[1,2]'
	assert_line --index 0 '{"type":"point","stderr":null}'
	run attn-scale-sweep --approx-only -n 4 --alpha 1 -s 18446744073709551615
	[[ "${lines[1]}" == *'"seed":18446744073709551615,'* ]]
}

@test "attn-scale-sweep: n or d varying between records makes the dependent fields null" {
	run attn-scale-sweep --input --alpha 1 <<< $'[1,2,3]\n[1,2]'
	assert_success
	[ "$(jq -c '[.keys, .approx_argmax_alpha, .post_fit_alpha, .standard_alpha]' <<< "${lines[1]}")" = '[null,null,null,1]' ]
	[ "$(jq -c .approx <<< "${lines[0]}")" = null ]
	run attn-scale-sweep --input --alpha 1 <<< $'{"q":[1,2],"k":[[1,0]]}\n{"q":[1,2,3],"k":[[1,0,0]]}'
	[ "$(jq -c '[.dim, .keys, .inv_sqrt_d, .argmax_scale]' <<< "${lines[1]}")" = '[null,1,null,null]' ]
}

# ----- usage errors (exit 2, before anything is read) -----

usage_fails() {   # usage_fails MESSAGE-FRAGMENT ARGS...
	local want=$1; shift
	run attn-scale-sweep "$@" < /dev/null
	assert_failure 2
	assert_line --index 0 --partial "attn-scale-sweep: $want"
	assert_line --index 1 "Try 'attn-scale-sweep --help' for more information."
}

@test "attn-scale-sweep: usage errors for out-of-range numbers" {
	usage_fails "-d: expected" -d 0
	usage_fails "-n: expected" -n 0
	usage_fails "-S: expected" -S 0
	usage_fails "--alpha-steps: expected" --alpha-steps 0
	usage_fails "--alpha-min 5 is above --alpha-max 2" --alpha-min 5 --alpha-max 2
	usage_fails "a log grid needs --alpha-min > 0" --alpha-min 0
	usage_fails "--alpha: expected a finite number >= 0, got '-1'" --alpha -1
	usage_fails "--alpha-max: expected a finite number >= 0, got 'inf'" --alpha-max inf
	usage_fails "--alpha-min: expected a finite number >= 0, got 'nan'" --alpha-min nan
}

@test "attn-scale-sweep: usage errors for unknown values" {
	usage_fails "--dist: expected normal, uniform, sphere or scores, got 'cauchy'" --dist cauchy
	usage_fails "--stat: expected mean or median" --stat mode
	usage_fails "--grid: expected log or lin" --grid sqrt
	usage_fails "--score-norm: expected sqrt-d, cos or none" --input --score-norm l2
	usage_fails "-i: unknown input format" --input -i csv
	usage_fails "-O: unknown output format" -O csv
	usage_fails "-O u32: attn-scale-sweep has no index field" -O u32
	usage_fails "-f: unknown field 'index'" -f index
	usage_fails "-i f32 needs -n N, the number of scores in a raw record" --input -i f32
}

@test "attn-scale-sweep: -S times -n above 1e8 is a usage error with the spec's message" {
	run attn-scale-sweep -S 200000 -n 1000
	assert_failure 2
	assert_output "attn-scale-sweep: -S 200000 with -n 1000 would keep 2e8 scores (limit 1e8); lower -S or -n
Try 'attn-scale-sweep --help' for more information."
	run attn-scale-sweep --approx-only -S 200000 -n 1000 --alpha 1
	assert_success
}

@test "attn-scale-sweep: usage errors for options that do not go together" {
	usage_fails "--dist samples" --input --dist normal
	usage_fails "--dist samples; it does not go with FILE operands" --dist normal x.json
	usage_fails "-S sets the number" --input -S 10
	usage_fails "--approx-only reads nothing" --input --approx-only
	usage_fails "--score-norm applies to q/k records" --score-norm cos
	usage_fails "-i json needs --input" -i json
	usage_fails "--alpha gives one point" --alpha 1 --alpha-max 3
	usage_fails "--alpha gives one point" --alpha 1 --grid lin
	usage_fails "raw output (-O f64) carries one field" -O f64
	usage_fails "raw output (-O f32) carries one field" -O f32 -f alpha,objective
	usage_fails "-f: there is no field 'stderr' with --approx-only" --approx-only -f alpha,stderr
	run attn-scale-sweep --approx-only -S 5 --stat median --no-refine -K -s 3 --alpha 1 -n 4
	assert_success
}

# ----- bad input (exit 1, nothing on standard output) -----

bad_input() {   # bad_input INPUT MESSAGE [ARGS...]
	local in=$1 want=$2; shift 2
	run attn-scale-sweep --input "$@" <<< "$in"
	assert_failure 1
	assert_output "$want"
	[ -z "$(attn-scale-sweep --input "$@" 2>/dev/null <<< "$in")" ]
}

@test "attn-scale-sweep: bad records stop the run with the line number and no output" {
	bad_input $'{"scores":[1,2]}\n{"scores":[1,2' 'attn-scale-sweep: stdin:2: '"$(attn-scale-sweep --input <<< '{"scores":[1,2' 2>&1 | sed 's/.*stdin:1: //')"
	bad_input '{"q":[1,2,3,4],"k":[[1,2,3,4],[1,2,3,4]]}
{"q":[1,2,3,4],"k":[[1,2,3,4],[1,2,3,4],[1,2,3,4],[1,2,3,4,5]]}' 'attn-scale-sweep: stdin:2: k row 3 has 5 values, expected 4 (the length of q)'
	bad_input '{"scores":[1],"q":[1],"k":[[1]]}' 'attn-scale-sweep: stdin:1: the object has both q/k and "scores"; expected one of them'
	bad_input '{"x":[1,2]}' 'attn-scale-sweep: stdin:1: expected "q" and "k", or "scores", in the object'
	bad_input '"hello"' 'attn-scale-sweep: stdin:1: expected an object with "q" and "k" or "scores", or an array of scores, got a string' -i json
	bad_input '{"q":[1,2]}' 'attn-scale-sweep: stdin:1: "q" without "k"'
	bad_input '{"q":[1,2],"k":[1,2]}' 'attn-scale-sweep: stdin:1: "k" must be an array of rows (one per key), even for one key'
	bad_input '{"q":[],"k":[[1]]}' 'attn-scale-sweep: stdin:1: empty q'
	bad_input '{"q":[1],"k":[]}' 'attn-scale-sweep: stdin:1: empty k'
	bad_input '{"scores":[]}' 'attn-scale-sweep: stdin:1: empty score vector'
	bad_input '[]' 'attn-scale-sweep: stdin:1: empty score vector'
	bad_input $'[1,2]\n[1,"NaN"]' 'attn-scale-sweep: stdin:2: scores holds a non-finite number (NaN); every number must be finite or -Infinity (masked)'
	bad_input '{"scores":[1,null]}' 'attn-scale-sweep: stdin:1: scores holds a non-finite number (NaN); every number must be finite or -Infinity (masked)'
	bad_input '{"q":[1,"-Infinity"],"k":[[1,2]]}' 'attn-scale-sweep: stdin:1: q holds a non-finite number (-Infinity); every number must be finite'
	bad_input $'[1,2]\n{"q":[1],"k":[[1]]}' 'attn-scale-sweep: stdin:2: a q/k record after score records (the first record decides the type)'
	bad_input $'{"q":[1],"k":[[1]]}\n[1,2]' 'attn-scale-sweep: stdin:2: a score record after q/k records (the first record decides the type)'
	bad_input $'[1,2,3]\n[1,2]' 'attn-scale-sweep: stdin:2: 2 scores, expected 3 (-n)' -n 3
	bad_input '{"q":[1,2],"k":[[1,2]]}' 'attn-scale-sweep: stdin:1: q has 2 values, expected 3 (-d)' -d 3
	bad_input '{"q":[1,2],"k":[[1,2]]}' 'attn-scale-sweep: stdin:1: k has 1 rows, expected 2 (-n)' -n 2
	bad_input '[1,"Infinity"]' 'attn-scale-sweep: stdin:1: scores holds a non-finite number (Infinity); every number must be finite or -Infinity (masked)'
	bad_input '["-Infinity",-Infinity]' 'attn-scale-sweep: stdin:1: every score is masked (-Infinity)'
	bad_input '{"scores":[[1,2],[-Infinity,"-inf"]]}' 'attn-scale-sweep: stdin:1: every score of row 1 is masked (-Infinity)'
	bad_input '{"scores":[[1,2],[3]]}' 'attn-scale-sweep: stdin:1: scores row 1 has 1 values, expected 2 (the length of row 0)'
	bad_input '{"q":[1e200,1e200],"k":[[1,2],[1e200,1e200]]}' 'attn-scale-sweep: stdin:1: the score of q and k row 1 is beyond the double range; scale q and k down'
}

@test "attn-scale-sweep: --score-norm cos gives the same cosines for vectors near the ends of the double range" {
	# |v| of 1e200 overflows the sum of squares and 1e-200 underflows it: the
	# cosines must still be those of the same directions at unit scale
	ref=$(attn-scale-sweep --input --score-norm cos --alpha 1 <<< '{"q":[1,0],"k":[[1,0],[0,3],[-2,2]]}' | jq -r 'select(.type=="point").mean')
	for e in e200 e-200 e300 e-300; do
		run attn-scale-sweep --input --score-norm cos --alpha 1 <<< "{\"q\":[1$e,0],\"k\":[[1$e,0],[0,3$e],[-2$e,2$e]]}"
		[ "$status" -eq 0 ]
		got=$(jq -r 'select(.type=="point").mean' <<< "$output")
		close "$got" "$ref" 1e-15
	done
	# and the value itself: alpha (1 - sum p^2) over the cosines 1, 0, -1/sqrt(2)
	want=$(py 'import numpy as np; s=np.array([1,0,-2**-0.5]); p=np.exp(s)/np.exp(s).sum(); print(repr(1-(p*p).sum()))')
	close "$ref" "$want" 1e-15
}

@test "attn-scale-sweep: no input records is exit 1 with the source name" {
	run attn-scale-sweep --input < /dev/null
	assert_failure 1
	assert_output 'attn-scale-sweep: stdin: no input records'
	: > "$BATS_TEST_TMPDIR/empty.jsonl"
	run attn-scale-sweep "$BATS_TEST_TMPDIR/empty.jsonl"
	assert_output "attn-scale-sweep: $BATS_TEST_TMPDIR/empty.jsonl: no input records"
}

@test "attn-scale-sweep: -K reports every bad record, sweeps the good ones, exits 1" {
	run attn-scale-sweep --input -K --alpha 1 -f mean <<< $'[1,2]\n[1,"x"]\n[0.5,-1]\n{"q":[1],"k":[[1]]}'
	assert_failure 1
	assert_line --partial 'attn-scale-sweep: stdin:2: '
	assert_line 'attn-scale-sweep: stdin:4: a q/k record after score records (the first record decides the type)'
	out=$(attn-scale-sweep --input -K --alpha 1 -f mean 2>/dev/null <<< $'[1,2]\n[1,"x"]\n[0.5,-1]\n{"q":[1],"k":[[1]]}' | head -n 1 | jq .mean)
	py "$GEN
assert abs((G(np.array([1, 2.]), 1) + G(np.array([0.5, -1]), 1)) / 2 - $out) < 1e-15"
	run attn-scale-sweep --input -K <<< '[1,"x"]'
	assert_failure 1
	assert_line 'attn-scale-sweep: stdin: no good input records'
}

@test "attn-scale-sweep: --help and --version exit 0" {
	run attn-scale-sweep --help
	assert_success
	assert_line --index 0 --partial 'usage: attn-scale-sweep'
	run attn-scale-sweep -V
	assert_output 'attn-scale-sweep (kexue-tools) 0.1.0'
}
