#!/usr/bin/env bats
# sparsemax: the command line (softmax.md 3.2, 4), against numpy/scipy, brute
# force and closed forms.
load helper

# ----- the published numbers (softmax.md 8) -----

@test "sparsemax: [-2,0,0.5] is [0,0.25,0.75] and 1.5-entmax [0,0.3260,0.6740] (claims 2, 3)" {
	run sparsemax <<< '[-2,0,0.5]'
	assert_output '[0,0.25,0.75]'
	# 1.5-entmax in closed form on the support {1,2}: z = x/2 - 1/4, tau = -1/8 - sqrt(31/64)
	want=$(py 't = -0.125 - math.sqrt(31 / 64); print(json.dumps([0, (-0.25 - t) ** 2, (0 - t) ** 2]))')
	for algo in auto sort bisect; do
		run sparsemax -a 1.5 --algo=$algo <<< '[-2,0,0.5]'
		assert_success
		close "$output" "$want" 1e-15 1e-16
	done
}

@test "sparsemax: alpha 1.33 matches entmax_bisect's README rows, converged and with --iters 24 (claim 4)" {
	run sparsemax -a 1.33 <<< '[[-1,0,0.5],[1,2,3.5]]'
	assert_success
	close "$output" '[[0.045982030452347215,0.3276322536002527,0.6263857159474001],[0.0025580581939998468,0.10115537767501365,0.8962865641309864]]' 1e-15 1e-16
	# 24 steps of entmax_bisect's iteration (the package's vectorised pow is an ulp off libm's)
	run sparsemax -a 1.33 --algo=bisect --iters 24 <<< '[-1,0,0.5]'
	close "$output" '[0.04598203118558707,0.3276322540153174,0.6263857147990954]' 4e-16
	run sparsemax -a 1.33 --iters 24 <<< '[-1,0,0.5]'
	close "$output" '[0.04598203118558707,0.3276322540153174,0.6263857147990954]' 4e-16
}

@test "sparsemax: dp_0/dalpha at alpha 1.33 is -0.25617 by central differences (claim 5)" {
	up=$(sparsemax -a 1.33001 <<< '[-1,0,0.5]' | jq '.[0]')
	dn=$(sparsemax -a 1.32999 <<< '[-1,0,0.5]' | jq '.[0]')
	run py "print(abs(($up - $dn) / 2e-5 - (-0.25616772212152317)) < 1e-8)"
	assert_output True
}

@test "sparsemax: --dalpha gives the README's -0.2562 directly, and matches differences in alpha" {
	run sparsemax -a 1.33 -f dalpha <<< '[-1,0,0.5]'
	close "$(jq -c '.[0]' <<< "$output")" -0.25616772212152317 1e-14
	# T = 3 keeps every support away from a kink (an entry at the threshold), where only
	# one-sided derivatives exist
	for a in 1.6 2 3; do
		d=$(sparsemax -a $a -T 3 -f dalpha <<< '[0.3,-0.2,0.9,0.1]')
		u=$(sparsemax -a $(py "print($a + 1e-5)") -T 3 <<< '[0.3,-0.2,0.9,0.1]')
		l=$(sparsemax -a $(py "print($a - 1e-5)") -T 3 <<< '[0.3,-0.2,0.9,0.1]')
		run py "print(np.abs((np.array($u) - np.array($l)) / 2e-5 - np.array($d)).max() < 1e-8)"
		assert_output True
	done
}

@test "sparsemax: the spec's example object (tau, support, loss, grad)" {
	run sparsemax --tau --support --loss --grad <<< '{"x":[-2,0,0.5],"t":2}'
	assert_success
	assert_output '{"x":[-2,0,0.5],"t":2,"p":[0,0.25,0.75],"tau":-0.25,"support":2,"loss":0.0625,"grad":[0,0.25,-0.25]}'
	run bash -c "echo '{\"x\":[-2,0,0.5]}' | sparsemax --tau | jq '.tau as \$t | [.x[] - \$t | if . > 0 then . else 0 end] == .p'"
	assert_output true
}

@test "sparsemax: Fenchel-Young losses of the spec, >= 0, 0 at one-hot, = the post's closed form (claim 15)" {
	run sparsemax --loss -f loss <<< $'{"x":[-2,0,0.5],"t":0}\n{"x":[3,1,1],"t":0}'
	assert_line --index 0 '{"x":[-2,0,0.5],"t":0,"loss":2.5625}'
	assert_line --index 1 '{"x":[3,1,1],"t":0,"loss":0}'
	run sparsemax -a 1.5 --loss -f loss <<< $'{"x":[-2,0,0.5],"t":2}\n{"x":[-2,0,0.5],"t":0}'
	close "$(jq -s -c 'map(.loss)' <<< "$output")" '[0.1843713789180696,2.6843713789180694]' 1e-15
	# the post: L = 1/2 - x_t + 1/2 sum_Omega (x_i^2 - lambda^2), lambda = tau, on random moderate rows
	py 'r = np.random.default_rng(4)
for _ in range(40):
    n = int(r.integers(2, 9)); print(json.dumps({"x": r.uniform(-2, 2, n).tolist(), "t": int(r.integers(0, n))}))' > "$BATS_TEST_TMPDIR/in"
	sparsemax --loss --tau -f p,tau,loss < "$BATS_TEST_TMPDIR/in" > "$BATS_TEST_TMPDIR/out"
	run py 'bad = 0
for a in open(sys.argv[1]):
    o = json.loads(a); x = np.array(o["x"]); p = np.array(o["p"]); om = p > 0
    post = 0.5 - x[o["t"]] + 0.5 * ((x[om] ** 2) - o["tau"] ** 2).sum()
    bad += not (o["loss"] >= 0 and abs(o["loss"] - post) <= 1e-14)
print(bad)' "$BATS_TEST_TMPDIR/out"
	assert_output 0
}

# ----- independent checks: KKT, brute force, brentq, finite differences -----

@test "sparsemax: KKT conditions hold from --tau for alpha 1.25 .. 3 and several T" {
	py 'r = np.random.default_rng(5)
for _ in range(30):
    n = int(r.integers(1, 40)); print(json.dumps((r.standard_normal(n) * float(r.choice([0.1, 1, 5]))).tolist()))' > "$BATS_TEST_TMPDIR/x"
	for a in 1.25 1.5 1.75 2 3; do
		for T in 0.5 1 3; do
			sparsemax -a $a -T $T --tau < "$BATS_TEST_TMPDIR/x" > "$BATS_TEST_TMPDIR/o"
			run py "e = $a - 1; T = $T; worst = 0; ok = True
for a, b in zip(open(sys.argv[1]), open(sys.argv[2])):
    x = np.array(json.loads(a)); o = json.loads(b); p = np.array(o['p']); tau = o['tau']
    s = p > 0
    worst = max(worst, abs(p.sum() - 1), np.abs(e * x[s] / T - p[s] ** e - tau).max())
    ok &= bool((p >= 0).all()) and bool((e * x[~s] / T <= tau + 1e-14).all())
print(ok and worst <= 1e-14, worst)" "$BATS_TEST_TMPDIR/x" "$BATS_TEST_TMPDIR/o"
			assert_output --partial 'True'
		done
	done
}

@test "sparsemax: alpha 1: x_i/T - log p_i = tau (the limit of the KKT conditions)" {
	run bash -c "echo '[[0.3,-1.2,2,0.5],[-3,0,100]]' | sparsemax -a 1 -T 0.7 --tau"
	run py "o = json.loads('$output'); x = np.array([[0.3,-1.2,2,0.5],[-3,0,100]], dtype=object)
print(all(np.abs(np.array(r) / 0.7 - np.log(p) - t).max() < 1e-13 * max(1, abs(t)) for r, p, t in zip(x, o['p'], o['tau']) if min(p) > 0))"
	assert_output True
}

@test "sparsemax: alpha 2 equals brute-force support enumeration on tie-heavy rows (radius 1 and 2.5)" {
	py 'r = np.random.default_rng(6)
for _ in range(200):
    n = int(r.integers(1, 9)); print(json.dumps((0.25 * r.integers(-3, 3, n)).tolist()))' > "$BATS_TEST_TMPDIR/x"
	for R in 1 2.5; do
		sparsemax -r $R < "$BATS_TEST_TMPDIR/x" > "$BATS_TEST_TMPDIR/o"
		run py "from itertools import combinations
from fractions import Fraction as F
R = F('$R'); worst = 0
for a, b in zip(open(sys.argv[1]), open(sys.argv[2])):
    x = [F(v) for v in json.loads(a)]; n = len(x); got = json.loads(b)
    for k in range(1, n + 1):
        for S in combinations(range(n), k):
            tau = (sum(x[i] for i in S) - R) / k
            if all(x[i] >= tau for i in S) and all(x[j] <= tau for j in range(n) if j not in S): break
        else: continue
        break
    want = [max(v - tau, 0) for v in x]
    worst = max(worst, max(abs(float(w) - g) for w, g in zip(want, got)))
print(worst <= 4e-16, worst)" "$BATS_TEST_TMPDIR/x" "$BATS_TEST_TMPDIR/o"
		assert_output --partial 'True'
	done
}

@test "sparsemax: converged bisection agrees with scipy.optimize.brentq to 3e-14" {
	py 'r = np.random.default_rng(7)
for _ in range(20): print(json.dumps((r.standard_normal(int(r.integers(2, 30))) * 2).tolist()))' > "$BATS_TEST_TMPDIR/x"
	for a in 1.1 1.33 2.5 4; do
		sparsemax -a $a --tau < "$BATS_TEST_TMPDIR/x" > "$BATS_TEST_TMPDIR/o"
		run py "from scipy.optimize import brentq
e = $a - 1; worst = 0
for a, b in zip(open(sys.argv[1]), open(sys.argv[2])):
    z = e * np.array(json.loads(a)); o = json.loads(b)
    f = lambda t: (np.clip(z - t, 0, None) ** (1 / e)).sum() - 1
    tau = brentq(f, z.max() - 1, z.max(), xtol=1e-300, rtol=8.9e-16, maxiter=500)
    p = np.clip(z - tau, 0, None) ** (1 / e); p /= p.sum()
    worst = max(worst, np.abs(p - o['p']).max(), abs(tau - o['tau']) / max(1, abs(tau)))
print(worst <= 3e-14, worst)" "$BATS_TEST_TMPDIR/x" "$BATS_TEST_TMPDIR/o"
		assert_output --partial 'True'
	done
}

@test "sparsemax: grad, jvp and vjp match central differences (alpha 1, 1.5, 1.8, 2; T 0.7)" {
	x='[0.3,-0.2,0.9,0.1,-1.5,0.75]'
	for a in 1 1.5 1.8 2; do
		# one record for the derivatives, then 2 per coordinate for the loss, 2 for p along v
		py "x = np.array($x); v = [0.7, -1.1, 0.4, 2.0, 0.3, -0.6]; h = 1e-6
print(json.dumps({'x': x.tolist(), 't': 2, 'v': v, 'g': v}))
for j in range(6):
    for s in (1, -1):
        y = x.copy(); y[j] += s * h; print(json.dumps({'x': y.tolist(), 't': 2, 'v': v, 'g': v}))
for s in (1, -1): print(json.dumps({'x': (x + s * h * np.array(v)).tolist(), 't': 2, 'v': v, 'g': v}))" > "$BATS_TEST_TMPDIR/in"
		sparsemax -a $a -T 0.7 --loss --grad --jvp --vjp < "$BATS_TEST_TMPDIR/in" > "$BATS_TEST_TMPDIR/o"
		run py 'o = [json.loads(l) for l in open(sys.argv[1])]; h = 1e-6
g = np.array(o[0]["grad"]); fd = np.array([(o[1 + 2 * j]["loss"] - o[2 + 2 * j]["loss"]) / (2 * h) for j in range(6)])
jv = (np.array(o[13]["p"]) - np.array(o[14]["p"])) / (2 * h)
print(np.abs(g - fd).max() < 1e-8, np.abs(jv - o[0]["jvp"]).max() < 1e-8, o[0]["jvp"] == o[0]["vjp"])' "$BATS_TEST_TMPDIR/o"
		assert_output 'True True True'
	done
}

@test "sparsemax: the Jacobian is I - 11^T/|S| on the support (alpha 2), from --jvp columns" {
	run bash -c "py 'x = [0.5, 0.2, -3, 0.4]
for j in range(4): print(json.dumps({\"x\": x, \"v\": [1.0 if i == j else 0.0 for i in range(4)]}))' | sparsemax --jvp -f p,jvp,support | py '
rows = [json.loads(l) for l in sys.stdin]; J = np.array([r[\"jvp\"] for r in rows]).T; s = np.array(rows[0][\"p\"]) > 0; k = s.sum()
W = np.where(np.outer(s, s), np.eye(4) - 1 / k, 0); print(np.abs(J - W).max() < 1e-15, abs(np.abs(J).sum() / 2 - (k - 1)) < 1e-14)'"
	assert_output 'True True'
}

# ----- closed forms and the other claims -----

@test "sparsemax: n = 2 closed forms for alpha 2 and 1.5, swept over the gap (claim 18)" {
	py '[print(json.dumps([float(d), 0.0])) for d in np.linspace(-2.5, 2.5, 41)]' > "$BATS_TEST_TMPDIR/x"
	sparsemax < "$BATS_TEST_TMPDIR/x" > "$BATS_TEST_TMPDIR/p2"
	sparsemax -a 1.5 < "$BATS_TEST_TMPDIR/x" > "$BATS_TEST_TMPDIR/p15"
	run py 'd = np.array([json.loads(l)[0] for l in open(sys.argv[1])])
p2 = np.array([json.loads(l)[0] for l in open(sys.argv[2])]); p15 = np.array([json.loads(l)[0] for l in open(sys.argv[3])])
h = d / 2; w15 = np.where(np.abs(h) < 1, ((h + np.sqrt(np.clip(2 - h * h, 0, None))) / 2) ** 2, (h > 0) * 1.0)
print(np.abs(p2 - np.clip((d + 1) / 2, 0, 1)).max() <= 2e-16, np.abs(p15 - w15).max() <= 4e-16)' \
		"$BATS_TEST_TMPDIR/x" "$BATS_TEST_TMPDIR/p2" "$BATS_TEST_TMPDIR/p15"
	assert_output 'True True'
	run sparsemax -a 1.5 <<< '[1,0]'
	close "$output" '[0.8307189138830738,0.1692810861169262]' 1e-15
}

@test "sparsemax: one-hot iff (alpha-1) times the top gap >= 1 (claim 16); weak monotonicity (claim 23)" {
	run sparsemax <<< $'[1,0]\n[0.999,0]\n[5,1,0]'
	assert_line --index 0 '[1,0]'
	close "${lines[1]}" '[0.9995,0.0005]' 1e-12
	assert_line --index 2 '[1,0,0]'
	run sparsemax -a 1.5 <<< '[2,0]'
	assert_output '[1,0]'
	run sparsemax -a 1.5 <<< '[1.999,0]'
	refute_output '[1,0]'
	run sparsemax -a 3 -f support <<< $'[0.5,0]\n[0.49,0]'
	assert_output $'1\n2'
}

@test "sparsemax: full support iff sum (x_i - min x) < 1 (claim 17)" {
	run sparsemax -f p,support <<< '[0.3,0.2,0.1]'
	close "$output" '{"p":[0.4333333333333333,0.3333333333333333,0.2333333333333333],"support":3}' 1e-15
	# binary-exact rows: sum (x - min) = 0.875 < 1, then = 1 (the min entry gets exactly 0)
	run sparsemax -f support <<< $'[0.875,0.5,0.25]\n[1,0.5,0.25]\n[1.5,0.5,0.5]'
	assert_output $'3\n2\n1'
}

@test "sparsemax: entmax tends to softmax linearly in alpha - 1; alpha 1 is softmax (claim 19)" {
	sm=$(softmax <<< '[-2,0,0.5]')
	[ "$(sparsemax -a 1 <<< '[-2,0,0.5]')" = "$sm" ]
	for aw in "1.1 0.021" "1.01 0.0021" "1.001 0.00021"; do
		set -- $aw
		run py "p = np.array($(sparsemax -a $1 <<< '[-2,0,0.5]')); print(abs(np.abs(p - np.array($sm)).max() / $2 - 1) < 0.05)"
		assert_output True
	done
}

@test "sparsemax: alpha 1 agrees with softmax: p, loss, grad, jvp; tau = lse at T = 1, lse/T otherwise" {
	rec='{"x":[1,2,-0.5],"t":0,"v":[1,0,2],"g":[0,1,0]}'
	[ "$(sparsemax -a 1 --loss --grad --jvp --vjp <<< "$rec")" = "$(softmax --loss --grad --jvp --vjp <<< "$rec")" ]
	[ "$(sparsemax -a 1 -f tau <<< '[1,2,3]')" = "$(softmax -f lse <<< '[1,2,3]')" ]
	run sparsemax -a 1 -T 0.5 -f tau <<< '[1,2,3]'
	close "$output" "$(py 'from scipy.special import logsumexp; print(logsumexp(np.array([1,2,3]) / 0.5))')" 1e-15
}

@test "sparsemax: the post's 1.5-entmax snippet failures are handled (claims 21, 22)" {
	run sparsemax -a 1.5 --support <<< '[2,0]'
	assert_output '{"p":[1,0],"support":1}'
	run sparsemax -a 1.5 <<< '[[100000000,100000000.5],[0,0.5],[3,1,1]]'
	[ "$(jq -c '.[0]' <<< "$output")" = "$(sparsemax -a 1.5 <<< '[0,0.5]')" ]
	close "$output" '[[0.32600736366156174,0.6739926363384381],[0.32600736366156174,0.6739926363384381],[1,0,0]]' 1e-15
	[ "$(sparsemax -a 1.5 <<< '[3,1,1]')" = '[1,0,0]' ]
}

@test "sparsemax: temperature 0, 1e6 and inf (claim 24), radius" {
	run sparsemax -T 0 --tau <<< '[1,3,3]'
	assert_output '{"p":[0,0.5,0.5],"tau":"NaN"}'
	run sparsemax -T 1e6 <<< '[1,2,3]'
	run py "p = np.array($output) - 1/3; print(np.abs(p - np.array([-1e-6, 0, 1e-6])).max() < 1e-15)"
	assert_output True
	run sparsemax -T inf <<< '[1,2,3]'
	assert_output '[0.3333333333333333,0.3333333333333333,0.3333333333333333]'
	run sparsemax -T inf -r 3 <<< '[1,"-inf",2]'
	assert_output '[1.5,0,1.5]'
	run sparsemax -r 2 <<< '[-2,0,0.5]'
	assert_output '[0,0.75,1.25]'
	run sparsemax -T 2 <<< '[-2,0,0.5]'
	close "$output" '[0,0.375,0.625]' 1e-16
}

@test "sparsemax: ties get bitwise equal p; the order of the row does not matter" {
	run sparsemax -a 1.7 <<< $'[0.3,1,0.3,1,-2]\n[1,-2,0.3,1,0.3]'
	run py "a, b = [json.loads(l) for l in '''$output'''.splitlines()]; print(a[0] == a[2] and a[1] == a[3] and sorted(a) == sorted(b))"
	assert_output True
}

@test "sparsemax: large magnitudes: max subtracted everywhere (tfa #2314, spec 5)" {
	run sparsemax <<< $'[1e308,1e308]\n[-1e308,1e308]\n[137000000,160000000]'
	assert_output $'[0.5,0.5]\n[0,1]\n[0,1]'
	py 'np.array([[1.37e8, 1.60e8]], "<f4").tofile(sys.argv[1])' "$BATS_TEST_TMPDIR/x.f32"
	run bash -c "sparsemax -i f32 -d 2 -O json < $BATS_TEST_TMPDIR/x.f32"
	assert_output '[0,1]'
}

# ----- non-finite input (3.0) -----

@test "sparsemax: -inf masks a score; fully masked rows are NaN, zeros with --safe" {
	run sparsemax -a 1.5 <<< '["-Infinity",1,1]'
	close "$output" '[0,0.5,0.5]' 3e-16
	run sparsemax --tau --support <<< '[[0,"-Infinity"],["-Infinity","-Infinity"]]'
	assert_output '{"p":[[1,0],["NaN","NaN"]],"tau":[-1,"NaN"],"support":[1,0]}'
	run sparsemax --safe -a 1.3 <<< '[[0,"-Infinity"],["-Infinity","-Infinity"]]'
	assert_output '[[1,0],[0,0]]'
	run sparsemax --safe -T 2 --loss --grad --tau <<< '{"x":[-Infinity,-Infinity],"t":1}'
	assert_output '{"x":[-Infinity,-Infinity],"t":1,"p":[0,0],"tau":"NaN","loss":"Infinity","grad":[0,-0.5]}'
	run sparsemax --safe --jvp -f jvp <<< '{"x":[-Infinity,-Infinity],"v":[1,2]}'
	assert_output '{"x":[-Infinity,-Infinity],"v":[1,2],"jvp":[0,0]}'
}

@test "sparsemax: a -inf target gives loss +inf, not NaN (entmax #9)" {
	for a in 1 1.5 2 2.5; do
		run sparsemax -a $a --loss -f loss <<< '{"x":[1,"-inf",0.5],"t":1}'
		assert_output '{"x":[1,"-inf",0.5],"t":1,"loss":"Infinity"}'
	done
}

@test "sparsemax: NaN and +inf rows are NaN, also with --safe; --strict-json writes null" {
	run sparsemax --safe --tau --support --loss -f p,tau,support,loss <<< '{"x":[NaN,1],"t":0}'
	assert_output '{"x":[NaN,1],"t":0,"p":["NaN","NaN"],"tau":"NaN","support":0,"loss":"NaN"}'
	run sparsemax -a 1.5 <<< '["inf",1]'
	assert_output '["NaN","NaN"]'
	run sparsemax --strict-json <<< '[null,1]'
	assert_output '[null,null]'
}

# ----- formats -----

@test "sparsemax: text in, text out; a batch is a line per row with its fields" {
	run sparsemax <<< '-2 0 0.5'
	assert_output '0 0.25 0.75'
	run sparsemax -O text --tau --support <<< '[[-2,0,0.5],[0,0]]'
	assert_line --index 0 $'0 0.25 0.75\t-0.25\t2'
	assert_line --index 1 $'0.5 0.5\t-0.5\t2'
}

@test "sparsemax: raw f64 output is bitwise the JSON output (Condat on the raw path = sort)" {
	py 'r = np.random.default_rng(8); x = r.standard_normal((300, 40)) * np.repeat([0.05, 1, 4], 100)[:, None]
x[::7, 3] = x[::7, 5]; x.tofile(sys.argv[1])
for row in x: print(json.dumps(row.tolist()))' "$BATS_TEST_TMPDIR/x.f64" > "$BATS_TEST_TMPDIR/x.jsonl"
	for a in 2 1.5 1.4; do
		sparsemax -a $a -i f64 -d 40 < "$BATS_TEST_TMPDIR/x.f64" > "$BATS_TEST_TMPDIR/p.f64"
		sparsemax -a $a -i f64 -d 40 -f tau < "$BATS_TEST_TMPDIR/x.f64" > "$BATS_TEST_TMPDIR/t.f64"
		sparsemax -a $a --tau < "$BATS_TEST_TMPDIR/x.jsonl" > "$BATS_TEST_TMPDIR/p.jsonl"
		run py 'p = np.fromfile(sys.argv[1], "<f8").reshape(-1, 40); t = np.fromfile(sys.argv[2], "<f8")
o = [json.loads(l) for l in open(sys.argv[3])]
print(p.shape, np.array_equal(p, [r["p"] for r in o]), np.array_equal(t, [r["tau"] for r in o]))' \
			"$BATS_TEST_TMPDIR/p.f64" "$BATS_TEST_TMPDIR/t.f64" "$BATS_TEST_TMPDIR/p.jsonl"
		assert_output '(300, 40) True True'
	done
}

@test "sparsemax: raw f32 output equals the JSON output within float32 rounding" {
	py 'x = np.random.default_rng(9).standard_normal((100, 16), dtype=np.float32); x.tofile(sys.argv[1])
for row in x.astype(np.float64): print(json.dumps(row.tolist()))' "$BATS_TEST_TMPDIR/x.f32" > "$BATS_TEST_TMPDIR/x.jsonl"
	sparsemax -a 1.5 -i f32 -d 16 < "$BATS_TEST_TMPDIR/x.f32" > "$BATS_TEST_TMPDIR/p.f32"
	sparsemax -a 1.5 < "$BATS_TEST_TMPDIR/x.jsonl" > "$BATS_TEST_TMPDIR/p.jsonl"
	run py 'p = np.fromfile(sys.argv[1], "<f4").reshape(-1, 16); q = np.array([json.loads(l) for l in open(sys.argv[2])])
print(np.array_equal(p, q.astype(np.float32)) or bool(np.all(np.abs(p - q) <= 1e-6 * np.abs(q))))' "$BATS_TEST_TMPDIR/p.f32" "$BATS_TEST_TMPDIR/p.jsonl"
	assert_output True
}

@test "sparsemax: -i f64 -O json, one value a row for -f tau; a trailing partial record is an error" {
	py 'np.arange(5, dtype="<f8").tofile(sys.argv[1])' "$BATS_TEST_TMPDIR/x.f64"
	run sparsemax -i f64 -d 2 -O json --tau "$BATS_TEST_TMPDIR/x.f64"
	assert_failure 1
	assert_line --index 0 '{"p":[0,1],"tau":0}'
	assert_line --index 1 '{"p":[0,1],"tau":2}'
	assert_line --index 2 "sparsemax: $BATS_TEST_TMPDIR/x.f64: record 3: trailing partial record (8 of 16 bytes)"
}

@test "sparsemax: -O u32 -f support writes one little-endian count a row" {
	run bash -c "echo '[[-2,0,0.5],[1,1,1],[5,0,0]]' | sparsemax -a 1.5 -O u32 -f support | py 'print(np.frombuffer(sys.stdin.buffer.read(), \"<u4\").tolist())'"
	assert_output '[2, 3, 1]'
}

@test "sparsemax: fields: -f tau and -f support print bare values; batches give lists" {
	run sparsemax -f tau <<< '[-2,0,0.5]'
	assert_output '-0.25'
	run sparsemax -f support <<< '[[-2,0,0.5],[1,1]]'
	assert_output '[2,2]'
	run sparsemax -f support,p <<< '{"id":7,"x":[1,0]}'
	assert_output '{"id":7,"x":[1,0],"support":1,"p":[1,0]}'
	run sparsemax --loss -f loss <<< '{"x":[[0,0],[1,2,3]],"t":[1,2]}'
	close "$(jq -c .loss <<< "$output")" '[0.25,0]' 1e-15
}

@test "sparsemax: --key, pass-through fields kept as typed, an existing key replaced in place" {
	run sparsemax --key s <<< '{"p":1,"w":0.1000000000000000055511151231257827,"s":[0,0]}'
	assert_output '{"p":[0.5,0.5],"w":0.1000000000000000055511151231257827,"s":[0,0]}'
}

@test "sparsemax: \"alpha\" and \"temperature\" in an object record override -a and -T" {
	run sparsemax -q --iters 24 <<< $'{"x":[-1,0,0.5],"alpha":1.33}\n{"x":[-2,0,0.5],"temperature":2}\n{"x":[-2,0,0.5]}'
	assert_success
	close "$(jq -c .p <<< "${lines[0]}")" '[0.04598203118558707,0.3276322540153174,0.6263857147990954]' 4e-16
	close "$(jq -c .p <<< "${lines[1]}")" '[0,0.375,0.625]' 1e-16
	assert_line --index 2 '{"x":[-2,0,0.5],"p":[0,0.25,0.75]}'
	[ "$(sparsemax <<< '{"x":[-2,0,0.5],"alpha":1,"temperature":0.5}' | jq -c .p)" = "$(softmax -T 0.5 <<< '[-2,0,0.5]')" ]
}

@test "sparsemax: bad per-record settings are bad records" {
	while IFS='|' read -r opts rec msg; do
		run sparsemax $opts <<< "$(printf '[0]\n%s' "$rec")"
		assert_failure 1
		assert_line --index 0 "[$( [ "$opts" = '-r 2' ] && echo 2 || echo 1)]"
		assert_line --index 1 "sparsemax: stdin:2: $msg"
	done <<'EOF2'
|{"x":[1,2],"alpha":0.5}|"alpha" must be a finite number >= 1
|{"x":[1,2],"alpha":"x"}|"alpha" holds a string, expected a number
|{"x":[1,2],"temperature":-1}|"temperature" must be a number >= 0 (inf allowed)
-r 2|{"x":[1,2],"alpha":3}|alpha 3: a radius other than 1 needs alpha = 2
--algo=sort|{"x":[1,2],"alpha":1.2}|alpha 1.2: --algo=sort needs alpha = 1.5 or 2
EOF2
	run sparsemax --loss <<< '{"x":[1,2],"t":0,"temperature":"inf"}'
	assert_failure 1
	assert_output 'sparsemax: stdin:1: loss and grad need a temperature 0 < T < inf'
}

# ----- errors -----

@test "sparsemax: bad records of 4.7, each with its message, exit 1, earlier records written" {
	while IFS='|' read -r opts rec msg; do
		run sparsemax $opts <<< "$(printf '[0]\n%s' "$rec")"
		assert_failure 1
		assert_line --index 0 '[1]'
		assert_line --index 1 "sparsemax: stdin:2: $msg"
		[ "${#lines[@]}" -eq 2 ]
	done <<'EOF2'
|{"x":[1,2|invalid JSON
|"abc"|expected an array of numbers or an object, got a string
|7|expected an array of numbers or an object, got a number
|{"y":[1]}|no "x" in the object
|{"x":3}|"x" holds a number, expected an array of numbers
|[]|empty vector
|[[1],[]]|empty row 1 in the batch
|[true]|expected a number, got true
|[1,"a"]|expected a number, got the string "a"
|[1,[2]]|a batch mixing numbers and arrays
-d 1|[1,2]|expected 1 values, got 2
EOF2
}

@test "sparsemax: records that lack what an option needs (t, v, g) are bad records" {
	while IFS='|' read -r opts rec msg; do
		run sparsemax $opts <<< "$rec"
		assert_failure 1
		assert_output "sparsemax: stdin:1: $msg"
	done <<'EOF2'
--loss|[1,2]|--loss needs an object record with "t"
--grad|[[1,2]]|--grad needs an object record with "t"
--jvp|[1,2]|--jvp needs an object record with "v"
--vjp|[1,2]|--vjp needs an object record with "g"
--loss|{"x":[1,2]}|--loss needs "t" (the target index)
--loss|{"x":[1,2],"t":2}|"t" is 2, out of range for a row of 2 values
--loss|{"x":[1,2],"t":-1}|"t" is -1, out of range for a row of 2 values
--loss|{"x":[1,2],"t":1.5}|"t" is 1.5, expected an integer
--loss|{"x":[1,2],"t":"1"}|"t" holds a string, expected an integer
--grad|{"x":[1,2],"t":true}|"t" holds true, expected an integer
--loss|{"x":[[1,2],[3,4]],"t":1}|"t" must be a list of 2 targets, one per row
--loss|{"x":[[1,2],[3,4]],"t":[0,2]}|"t"[1] is 2, out of range for a row of 2 values
--jvp|{"x":[1,2],"v":[1,2,3]}|"v" has 3 values, x has 2
--jvp|{"x":[[1,2]],"v":[1,2]}|"v" has 1 rows, x has 1
--vjp|{"x":[1,2]}|--vjp needs "g"
EOF2
	run sparsemax --loss -f loss <<< '{"x":[1,2],"t":1.0}'
	assert_success
}

@test "sparsemax: a text line with a bad token; --loss meeting a text line found by -i auto" {
	run sparsemax <<< $'1 2\n1 x'
	assert_failure 1
	assert_line --index 0 '0 1'
	assert_line --index 1 --partial 'sparsemax: stdin:2: '
	run sparsemax --loss <<< '1 2'
	assert_failure 1
	assert_output 'sparsemax: stdin:1: --loss needs an object record with "t"'
}

@test "sparsemax: -K reports each bad record, writes the others, exits 1; --stats counts" {
	run bash -c "printf '[1,2]\n[1,\"a\"]\n[[3],[NaN]]\n[-Infinity]\n[]\n' | sparsemax -K --safe --stats"
	assert_failure 1
	assert_line --index 0 '[0,1]'
	assert_line 'sparsemax: stdin:2: expected a number, got the string "a"'
	assert_line '[[1],["NaN"]]'
	assert_line '[0]'
	assert_line 'sparsemax: stdin:5: empty vector'
	assert_line '{"records":5,"rows":4,"bad_records":2,"nan_rows":1,"zero_rows":1,"mean_support":1,"max_steps":0}'
}

@test "sparsemax: --stats reports mean support, mean loss and the bisection steps" {
	run bash -c "printf '{\"x\":[-2,0,0.5],\"t\":2}\n{\"x\":[-2,0,0.5],\"t\":0}\n' | sparsemax --loss --stats 2>&1 >/dev/null"
	assert_output '{"records":2,"rows":2,"bad_records":0,"nan_rows":0,"zero_rows":0,"mean_support":2,"mean_loss":1.3125,"max_steps":0}'
	run bash -c "echo '[1,2]' | sparsemax -a 1.3 --iters 30 --stats 2>&1 >/dev/null"
	assert_output --partial '"max_steps":30}'
}

@test "sparsemax: usage errors exit 2 with a hint, before reading any input" {
	for opts in "-a 0.5" "-a inf" "-a nan" "-a x" "-r 0" "-r -1" "-r inf" "-a 1.5 -r 2" "-r 2 --loss" \
	    "-r 2 -f grad" "--algo=sort -a 1.3" "--algo=sort -a 1" "--algo=fast" "--iters 0" "--iters x" \
	    "--algo=sort --iters 5" "--loss -T 0" "--grad -T inf" "-T -1" "-T nan" "-f p,q" "-f p,p" \
	    "--loss -f p" "--tau -f p" "-O f32 -f p,tau" "-O f64 -f support" "-O f64 -f dalpha" "-O f32 --loss" "-O u32" \
	    "-i text --loss" "-i f32 --jvp" "-i f64 -d 3 --tau" "-d 0" "--bogus" "-x" "-s 1"; do
		run sparsemax $opts < /dev/null
		assert_failure 2
		assert_line --index 1 "Try 'sparsemax --help' for more information."
	done
	run sparsemax -a 0.5 <<< '[1]'
	assert_output $'sparsemax: alpha must be a finite number >= 1, got \'0.5\'\nTry \'sparsemax --help\' for more information.'
}

@test "sparsemax: --iters is ignored with a warning where an exact method gives the result" {
	run bash -c "echo '[1,2]' | sparsemax --iters 5 2>&1"
	assert_output $'sparsemax: warning: --iters is ignored: alpha = 2 is computed exactly by sorting\n[0,1]'
	run bash -c "echo '[1,2]' | sparsemax -q -a 1 --iters 5 2>&1"
	assert_output '[0.2689414213699951,0.7310585786300049]'
	run sparsemax --algo=bisect --iters 60 <<< '[-2,0,0.5]'
	close "$output" '[0,0.25,0.75]' 1e-15 1e-16
}

@test "sparsemax: --help, --version, -o, operands, a closed pipe" {
	run sparsemax --help
	assert_success
	assert_line --index 0 --partial 'usage: sparsemax'
	run sparsemax -V
	assert_output 'sparsemax (kexue-tools) 0.1.0'
	sparsemax -o "$BATS_TEST_TMPDIR/o.jsonl" <<< '[0,0]'
	[ "$(cat "$BATS_TEST_TMPDIR/o.jsonl")" = '[0.5,0.5]' ]
	echo '[0]' > "$BATS_TEST_TMPDIR/a"
	run bash -c "echo '[1,1]' | sparsemax $BATS_TEST_TMPDIR/a - $BATS_TEST_TMPDIR/a"
	assert_output $'[1]\n[0.5,0.5]\n[1]'
	run bash -c "yes '[1,2,3]' | head -100000 | sparsemax -a 1.5 | head -1; echo \${PIPESTATUS[2]}"
	close "${lines[0]}" '[0,0.1692810861169262,0.8307189138830738]' 1e-15
	assert_line --index 1 141
}

@test "sparsemax: -a 1 equals softmax on 300 random vectors to 1e-15 (issue 3)" {
	py 'r = np.random.default_rng(5)
for i in range(300): print(json.dumps((r.standard_normal(1 + i % 40) * (1 + i % 7)).tolist()))' > "$BATS_TEST_TMPDIR/x.jsonl"
	sparsemax -a 1 < "$BATS_TEST_TMPDIR/x.jsonl" > "$BATS_TEST_TMPDIR/a"
	softmax < "$BATS_TEST_TMPDIR/x.jsonl" > "$BATS_TEST_TMPDIR/b"
	run py 'a = [json.loads(l) for l in open(sys.argv[1])]; b = [json.loads(l) for l in open(sys.argv[2])]
print(len(a), max(abs(x - y) for u, v in zip(a, b) for x, y in zip(u, v)) <= 1e-15)' "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
	assert_output '300 True'
}
