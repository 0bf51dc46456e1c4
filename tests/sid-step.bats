#!/usr/bin/env bats
# sid-step: the command line, the state object, resumption bit for bit, an
# independent Python implementation of the iteration, every error of sid.md
# §6.7, and the claims of §9 (the heavy multi-seed parts of S8-S10 are in
# examples/08-sid.sh).
load helper

setup() { cd "$BATS_TEST_TMPDIR"; }

# ref FILE N: N iterations of sid.md §5.3 in plain Python (its own xoshiro256**,
# Box-Muller, losses, hand gradients, Adam), from the state in FILE; prints the
# metrics lines and then the final state.
ref() {
	"$PYTHON" - "$@" <<'PY'
import json, math, sys
M = (1 << 64) - 1
def rotl(x, k): return ((x << k) | (x >> (64 - k))) & M
class Rng:
    def __init__(s, words, cached): s.w = [int(x, 16) for x in words]; s.c = cached
    def next(s):
        w = s.w; r = (rotl((w[1] * 5) & M, 7) * 9) & M; t = (w[1] << 17) & M
        w[2] ^= w[0]; w[3] ^= w[1]; w[1] ^= w[2]; w[0] ^= w[3]; w[2] ^= t; w[3] = rotl(w[3], 45)
        return r
    def uni(s): return (s.next() >> 11) * 2.0 ** -53
    def normal(s):
        if s.c is not None:
            c = s.c; s.c = None; return c
        u1 = 1.0 - s.uni(); u2 = s.uni(); r = math.sqrt(-2.0 * math.log(u1)); th = 2 * math.pi * u2
        s.c = r * math.sin(th); return r * math.cos(th)
S = json.load(open(sys.argv[1])); N = int(sys.argv[2])
c = S['config']; D = S['dim']; B = c['batch']; g = Rng(S['rng']['words'], S['rng']['cached_normal'])
mu, tau = S['data']['mean'], S['data']['std']
def update(o, kb, p1, p2, g1, g2, lr):
    if c['optimizer'] == 'sgd':
        return [p - lr * x for p, x in zip(p1, g1)], [p - lr * x for p, x in zip(p2, g2)]
    o['t'] += 1; t = o['t']; b1, b2 = c['beta1'], c['beta2']
    bc1, bc2 = 1 - b1 ** t, 1 - b2 ** t
    out = []
    for p, gr, km, kv in ((p1, g1, 'm_mean', 'v_mean'), (p2, g2, 'm_' + kb, 'v_' + kb)):
        q = []
        for i in range(D):
            o[km][i] = b1 * o[km][i] + (1 - b1) * gr[i]
            o[kv][i] = b2 * o[kv][i] + (1 - b2) * gr[i] * gr[i]
            q.append(p[i] - (lr / bc1) * o[km][i] / (math.sqrt(o[kv][i]) / math.sqrt(bc2) + c['eps']))
        out.append(q)
    return out
for it in range(N):
    m, s, mf, u = S['gen']['mean'], S['gen']['scale'], S['fake']['mean'], S['fake']['logstd']
    lf = None; fgm = fgu = None
    if c['fake_mode'] == 'exact':
        mf = list(m); u = [math.log(abs(x)) if x != 0 else -1000 for x in s]; v = [x * x for x in s]
    else:
        for k in range(c['fake_steps']):
            z = [[g.normal() for i in range(D)] for b in range(B)]
            sg = [math.exp(c['p_mean'] + c['p_std'] * g.normal()) for b in range(B)]
            e = [[g.normal() for i in range(D)] for b in range(B)]
            L = 0; gm = [0] * D; gu = [0] * D; sd2 = c['sigma_data'] ** 2
            for b in range(B):
                lam = 1 / sd2 + 1 / sg[b] ** 2
                for i in range(D):
                    xg = m[i] + s[i] * z[b][i]; xt = xg + sg[b] * e[b][i]
                    vv = math.exp(2 * u[i]); cc = vv / (vv + sg[b] ** 2)
                    ee = cc * xt + (1 - cc) * mf[i] - xg
                    L += lam * ee * ee; gm[i] += 2 * lam * ee * (1 - cc)
                    gu[i] += 4 * lam * ee * cc * (1 - cc) * (xt - mf[i])
            lf = L / B; fgm = [x / B for x in gm]; fgu = [x / B for x in gu]
            mf, u = update(S['opt']['fake'], 'logstd', mf, u, fgm, fgu, c['fake_lr'])
        v = [math.exp(2 * x) for x in u]
    z = [[g.normal() for i in range(D)] for b in range(B)]
    A = c['sigma_max'] ** (1 / c['rho']); Bm = c['sigma_min'] ** (1 / c['rho'])
    sg = [(A + (1 - g.uni() * c['tmax'] / 1000) * (Bm - A)) ** c['rho'] for b in range(B)]
    e = [[g.normal() for i in range(D)] for b in range(B)]
    al = c['alpha']; Lg = l1s = l2s = 0; gm = [0] * D; gs = [0] * D
    for b in range(B):
        xg = [m[i] + s[i] * z[b][i] for i in range(D)]
        xt = [xg[i] + sg[b] * e[b][i] for i in range(D)]
        a = [tau[i] ** 2 / (tau[i] ** 2 + sg[b] ** 2) for i in range(D)]
        cc = [v[i] / (v[i] + sg[b] ** 2) for i in range(D)]
        fphi = [a[i] * xt[i] + (1 - a[i]) * mu[i] for i in range(D)]
        fpsi = [cc[i] * xt[i] + (1 - cc[i]) * mf[i] for i in range(D)]
        d = [fphi[i] - fpsi[i] for i in range(D)]; r = [fphi[i] - xg[i] for i in range(D)]
        w = max(sum(abs(r[i]) for i in range(D)) / D, c['weight_floor']) if c['weight'] == 'dmd' else 1
        l1 = sum(x * x for x in d) / w; l2 = sum(d[i] * r[i] for i in range(D)) / w
        l1s += l1; l2s += l2; Lg += l1 if c['loss'] == 'l1' else l2 - al * l1
        for i in range(D):
            if c['loss'] == 'l1':
                gr = 2 * d[i] * (a[i] - cc[i]) / w
            else:
                gr = ((a[i] - cc[i]) * (r[i] - al * d[i]) + d[i] * ((a[i] - 1) - al * (a[i] - cc[i]))) / w
            gm[i] += gr; gs[i] += gr * z[b][i]
    m, s = update(S['opt']['gen'], 'scale', m, s, [x / B for x in gm], [x / B for x in gs], c['lr'])
    S['step'] += 1
    S['gen'] = {'mean': m, 'scale': s}; S['fake'] = {'mean': mf, 'logstd': u}
    S['rng'] = {'words': ['%016x' % x for x in g.w], 'cached_normal': g.c}
    kl = sum(math.log(tau[i] / abs(s[i])) + (s[i] ** 2 + (m[i] - mu[i]) ** 2) / (2 * tau[i] ** 2) - 0.5 for i in range(D))
    w2 = math.sqrt(sum((m[i] - mu[i]) ** 2 + (abs(s[i]) - tau[i]) ** 2 for i in range(D)))
    fw2 = math.sqrt(sum((mf[i] - m[i]) ** 2 + (math.exp(u[i]) - abs(s[i])) ** 2 for i in range(D)))
    S['metrics'] = {'step': S['step'], 'loss_fake': lf, 'loss_gen': Lg / B, 'l1': l1s / B, 'l2': l2s / B,
                    'kl': kl, 'w2': w2, 'fake_w2': fw2, 'mean': m, 'scale': s}
    print(json.dumps(S['metrics']))
print(json.dumps(S))
PY
}

# quad ALPHA: the population gradient of sid.md §4.2 at theta = ((0.3, 0.2), (0.9, 0.4)),
# data ((1, -1), (0.5, 1)), averaged over the Karras ramp with scipy.
quad() {
	py "
from scipy import integrate
al = $1; mu = [1, -1]; tau = [0.5, 1]; m = [0.3, 0.2]; s = [0.9, 0.4]
def sig(u):
    A = 80 ** (1 / 7); Bm = 0.002 ** (1 / 7); t = u * 0.8
    return (A + (1 - t) * (Bm - A)) ** 7
def terms(u, i):
    sg = sig(u); a = tau[i] ** 2 / (tau[i] ** 2 + sg ** 2); c = s[i] ** 2 / (s[i] ** 2 + sg ** 2)
    return (1 - a) * (mu[i] - m[i]) * ((a - c) * (1 - 2 * al) + a - 1), 2 * s[i] * (a - c) * ((a - 1) - al * (a - c))
q = lambda f: integrate.quad(f, 0, 1, epsabs=1e-13, limit=400)[0]
print(json.dumps({'gen_grad_mean': [q(lambda u: terms(u, i)[0]) for i in range(2)],
                  'gen_grad_scale': [q(lambda u: terms(u, i)[1]) for i in range(2)]}))"
}

SPEC_INIT='{"format":"sid-step/1","dim":2,"step":0,"rng":{"words":["e220a8397b1dcdaf","6e789e6aa1b965f4","06c45d188009454f","f88bb8a8724c81ec"],"cached_normal":null},"config":{"alpha":1.2,"loss":"sid","weight":"dmd","lr":0.01,"fake_lr":0.01,"optimizer":"adam","beta1":0,"beta2":0.999,"eps":1e-08,"batch":256,"fake_steps":1,"fake_mode":"sgd","sigma_min":0.002,"sigma_max":80,"rho":7,"tmax":800,"p_mean":-1.2,"p_std":1.2,"sigma_data":0.5,"weight_floor":1e-05},"data":{"mean":[1,-1],"std":[0.5,1]},"gen":{"mean":[0.9615384615384616,-0.8620689655172413],"scale":[0.09615384615384616,0.3448275862068966]},"fake":{"mean":[1,-1],"logstd":[-0.6931471805599453,0]},"opt":{"gen":{"t":0,"m_mean":[0,0],"v_mean":[0,0],"m_scale":[0,0],"v_scale":[0,0]},"fake":{"t":0,"m_mean":[0,0],"v_mean":[0,0],"m_logstd":[0,0],"v_logstd":[0,0]}},"metrics":{"step":0,"loss_fake":null,"loss_gen":null,"l1":null,"l2":null,"kl":1.803784583963201,"w2":0.782845366586611,"fake_w2":0.782845366586611,"mean":[0.9615384615384616,-0.8620689655172413],"scale":[0.09615384615384616,0.3448275862068966]}}'

# ===== the state =====

@test "sid-step: --init writes the default state of sid.md 5.1 byte for byte" {
	run sid-step --init
	assert_success
	assert_output "$SPEC_INIT"
}

@test "sid-step: --init seeds the words from splitmix64 at mix(S)" {
	run sid-step --init -s 12345
	assert_success
	want=$(py "
M = (1 << 64) - 1
def mix(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    return z ^ (z >> 31)
x = mix(12345); w = []
for i in range(4):
    x = (x + 0x9E3779B97F4A7C15) & M; w.append('%016x' % mix(x))
print(json.dumps(w, separators=(',', ':')))")
	assert_equal "$(echo "$output" | jq -c .rng.words)" "$want"
}

@test "sid-step: --init options set data, generator, fake and persist CONFIG" {
	run sid-step --init -d 3 --data-mean 2 --data-std 0.5,1,2 --init-sigma 1 -a 0.5 --loss l1 \
		--weight none --lr 0.1 --fake-lr 0.2 --optimizer sgd --beta1 0.5 --beta2 0.9 --eps 1e-6 \
		-B 8 --fake-steps 3 --fake-mode exact --sigma-min 0.01 --sigma-max 50 --rho 5 --tmax 500 \
		--p-mean -1 --p-std 1.5 --sigma-data 0.4 --weight-floor 1e-4
	assert_success
	close "$(echo "$output" | jq -c '[.data.mean, .data.std]')" '[[2,2,2],[0.5,1,2]]'
	want=$(py "tau = np.array([0.5, 1, 2]); a0 = tau**2 / (tau**2 + 1); print(json.dumps([((1 - a0) * 2).tolist(), a0.tolist()]))")
	close "$(echo "$output" | jq -c '[.gen.mean, .gen.scale]')" "$want" 1e-15
	close "$(echo "$output" | jq -c '[.fake.mean, .fake.logstd]')" "[[2,2,2],[$(py 'print(math.log(0.5))'),0,$(py 'print(math.log(2))')]]" 1e-15
	assert_equal "$(echo "$output" | jq -c .config)" \
		'{"alpha":0.5,"loss":"l1","weight":"none","lr":0.1,"fake_lr":0.2,"optimizer":"sgd","beta1":0.5,"beta2":0.9,"eps":1e-06,"batch":8,"fake_steps":3,"fake_mode":"exact","sigma_min":0.01,"sigma_max":50,"rho":5,"tmax":500,"p_mean":-1,"p_std":1.5,"sigma_data":0.4,"weight_floor":0.0001}'
}

@test "sid-step: --gen-init standard, --gen-mean/--gen-scale and --fake-init generator" {
	run sid-step --init -d 1 --gen-init standard
	assert_equal "$(echo "$output" | jq -c '[.data.mean, .data.std, .gen.mean, .gen.scale]')" '[[1],[0.5],[0],[1]]'
	run sid-step --init --gen-scale 0,-2 --fake-init generator
	assert_success
	assert_equal "$(echo "$output" | jq -c '[.gen.mean, .gen.scale, .fake.mean]')" '[[0,0],[0,-2],[0,0]]'
	close "$(echo "$output" | jq -c .fake.logstd)" "[-1000,$(py 'print(math.log(2))')]"
	assert_equal "$(echo "$output" | jq -c '.metrics.kl')" '"Infinity"'
	run sid-step --init --gen-scale 0 --strict-json
	assert_equal "$(echo "$output" | jq -c '.metrics.kl')" 'null'
}

@test "sid-step: the first iteration with a batch of 3 matches sid.md 5.4" {
	sid-step --init | sid-step -B 3 -e both > out
	assert_equal "$(wc -l < out)" 2
	close "$(head -1 out)" '{"step":1,"loss_fake":0.5342310136731169,"loss_gen":-0.0013755304880982983,"l1":0.0007605122323595517,"l2":-0.00046291580926683594,"kl":1.885273244409809,"w2":0.7786083457084076,"fake_w2":0.766817019712242,"mean":[0.9515384636945348,-0.8720689603780861],"scale":[0.08615384884338709,0.3548275829053047]}' 1e-11
	assert_equal "$(tail -1 out | jq -c .rng)" '{"words":["4c5ca3d8244314e9","4adb8052ad40e586","ecaded9c974b36c9","2ef82a559e8bfeef"],"cached_normal":1.6231514400470226}'
	close "$(tail -1 out | jq -c .fake)" '{"mean":[1.0099999997941829,-0.9900000001713125],"logstd":[-0.7031471792016616,-0.009999998743388456]}' 1e-12
	close "$(tail -1 out | jq -c .opt.gen.m_mean)" '[0.046380603361544516,0.01945844101893002]' 1e-12
	assert_equal "$(tail -1 out | jq -c '[.step, .opt.gen.t, .opt.fake.t, .config.batch]')" '[1,1,1,3]'
}

@test "sid-step: agrees with an independent Python implementation (Adam, dmd, 2 fake steps)" {
	sid-step --init -d 3 -s 3 -B 5 --fake-steps 2 --beta1 0.5 --gen-mean 0.2 --gen-scale 0.7,-0.3,1.1 > s0
	sid-step -n 4 -e both < s0 > got
	ref s0 4 > want
	for k in 1 2 3 4; do
		close "$(sed -n ${k}p got)" "$(sed -n ${k}p want)" 1e-10 1e-14
	done
	close "$(tail -1 got | jq -c 'del(.rng)')" "$(tail -1 want | jq -c 'del(.rng)')" 1e-10 1e-14
	assert_equal "$(tail -1 got | jq -c .rng.words)" "$(tail -1 want | jq -c .rng.words)"
}

@test "sid-step: agrees with the Python implementation (exact fake, SGD, l1, weight none)" {
	sid-step --init -s 4 -B 6 --fake-mode exact --optimizer sgd --lr 0.3 --loss l1 --weight none > s0
	sid-step -n 3 -e both < s0 > got
	ref s0 3 > want
	close "$(tail -1 got | jq -c 'del(.rng)')" "$(tail -1 want | jq -c 'del(.rng)')" 1e-10 1e-14
	close "$(sed -n 3p got)" "$(sed -n 3p want)" 1e-10 1e-14
	assert_equal "$(tail -1 got | jq -c '[.opt.fake.t, .opt.gen.t, .metrics.loss_fake]')" '[0,0,null]'
}

@test "sid-step: N single steps equal one -n N run byte for byte (state and metrics)" {
	N=$(vg 20 5)
	sid-step --init -s 1 -B 5 > s0.json
	for k in $(seq 0 $((N - 1))); do sid-step < s$k.json > s$((k + 1)).json; done
	sid-step -n $N -e state < s0.json | cmp - s$N.json
	for k in $(seq 0 $((N - 1))); do sid-step -e metrics < s$k.json; done > single.jsonl
	sid-step -n $N < s0.json | cmp - single.jsonl
	sid-step -n $N -e both < s0.json > both
	head -$N both | cmp - single.jsonl
	tail -1 both | cmp - s$N.json
}

@test "sid-step: --save writes the final state atomically, also over its own input" {
	sid-step --init -B 4 > run.json
	sid-step -n 7 -e state < run.json > want.json
	sid-step -n 3 --save run.json < run.json > log1
	sid-step -n 4 --save run.json < run.json > log2
	cmp run.json want.json
	assert_equal "$(cat log1 log2 | wc -l)" 7
	assert_equal "$(ls -A | grep -c '^\.run')" 0
	sid-step -n 2 -e grad --save other.json < want.json > /dev/null
	assert_equal "$(jq .step other.json)" 9
}

@test "sid-step: a pretty-printed state with keys in any order and upper-case hex reads the same" {
	sid-step --init -B 4 > s0
	sid-step < s0 > want
	jq -S . s0 | jq '.rng.words |= map(ascii_upcase) | .config.tmax = 800.0' > pretty
	run sid-step pretty
	assert_success
	assert_output "$(cat want)"
	run sid-step - < pretty
	assert_output "$(cat want)"
}

@test "sid-step: -n 0 edits a state: CONFIG and --seed applied, losses null, nothing stepped" {
	sid-step --init | sid-step -n 3 -e state > s3
	run sid-step -n 0 -e state -a 0.5 --fake-mode exact -s 9 < s3
	assert_success
	assert_equal "$(echo "$output" | jq -c '[.step, .config.alpha, .config.fake_mode, .rng.cached_normal, .metrics.step, .metrics.loss_gen]')" '[3,0.5,"exact",null,3,null]'
	assert_equal "$(echo "$output" | jq -c .rng.words)" "$(sid-step --init -s 9 | jq -c .rng.words)"
	assert_equal "$(echo "$output" | jq -c .gen)" "$(jq -c .gen s3)"
	close "$(echo "$output" | jq -c .metrics.w2)" "$(jq -c .metrics.w2 s3)"
	run sid-step -n 0 < s3
	assert_success
	assert_output ""
	# the changed config persists
	assert_equal "$(sid-step -n 0 -e state -a 0.5 < s3 | sid-step | jq .config.alpha)" 0.5
}

@test "sid-step: --seed with a state re-seeds the generator and clears the cache" {
	sid-step --init -s 5 -B 3 | sid-step -n 2 -e state > want
	sid-step --init -B 3 | sid-step -n 1 -e state > s1
	assert_equal "$(jq .rng.cached_normal s1)" "1.6231514400470226"
	sid-step --init -B 3 | sid-step -n 0 -e state -s 5 | sid-step -n 2 -e state > got
	cmp got want
}

@test "sid-step: -f picks fields; one field is a bare value; text and raw output" {
	sid-step --init -B 4 > s0
	run sid-step -n 2 -f w2 < s0
	assert_success
	assert_equal "${#lines[@]}" 2
	[[ "${lines[0]}" =~ ^0\.[0-9]+$ ]]
	run sid-step -n 1 -f mean,step < s0
	assert_output --regexp '^\{"mean":\[[^]]*\],"step":1\}$'
	sid-step -n 3 -f step,w2,mean -O text < s0 > t
	sid-step -n 3 < s0 > j
	py "
t = np.loadtxt('t'); j = [json.loads(l) for l in open('j')]
assert t.shape == (3, 4), t.shape
assert np.allclose(t[:, 0], [1, 2, 3]) and np.allclose(t[:, 1], [r['w2'] for r in j], rtol=1e-15)
assert np.allclose(t[:, 2:], [r['mean'] for r in j], rtol=1e-15)"
	sid-step -n 3 -f mean -O f64 < s0 > m.f64
	py "
m = np.fromfile('m.f64').reshape(-1, 2); j = [json.loads(l) for l in open('j')]
assert np.array_equal(m, np.array([r['mean'] for r in j]))"
	sid-step -n 2 -f step -O f32 < s0 > s.f32
	run py "print(np.fromfile('s.f32', dtype='<f4').tolist())"
	assert_output "[1.0, 2.0]"
	run sid-step -n 1 -f loss_fake -O text --fake-mode exact < s0
	assert_output "NaN"
}

@test "sid-step: -e grad lines; --digits shapes the lines but never the state" {
	sid-step --init -B 4 > s0
	run sid-step -e grad < s0
	assert_success
	assert_equal "$(echo "$output" | jq -c 'keys_unsorted')" '["step","loss_fake","fake_grad_mean","fake_grad_logstd","loss_gen","l1","l2","gen_grad_mean","gen_grad_scale"]'
	run sid-step -e grad --fake-mode exact -f fake_grad_mean,gen_grad_mean < s0
	assert_output --regexp '^\{"fake_grad_mean":null,"gen_grad_mean":\[.*\]\}$'
	run sid-step -n 1 -e both --digits 3 < s0
	assert_line --index 0 --regexp '"w2":0\.[0-9]{3},'
	[ "${lines[1]}" = "$(sid-step -n 1 -e state < s0)" ]
}

@test "sid-step: --stats writes one JSON object on stderr" {
	sid-step --init -B 4 > s0
	sid-step -n 5 --stats -f w2 < s0 2> err > out
	assert_equal "$(jq -c '[.steps, .step]' err)" '[5,5]'
	close "$(jq .w2 err)" "$(tail -1 out)"
	jq -e '.seconds >= 0 and (.fake_w2 | type) == "number"' err
}

# ===== errors =====

@test "sid-step: usage errors exit 2 before reading input" {
	for args in "--foo" "-n -1" "-n x" "-e foo" "--loss foo" "--weight x" "--optimizer x" \
		"--fake-mode x" "-a nan" "-a inf" "--lr -1" "--fake-lr -0.1" "--beta1 1" "--beta2 -0.1" \
		"--eps -1" "-B 0" "--fake-steps -1" "--sigma-min 0" "--sigma-max -1" "--rho 0" \
		"--tmax 1001" "--p-std -1" "--sigma-data 0" "--weight-floor 0" "-s -1" \
		"--sigma-min 3 --sigma-max 2" "-i text" "-i f64" "-O u32" "--key x" \
		"-O text" "-O f32 -e both" "-n 2 -O f64" "-n 2 -O f64 -f w2,kl" "-f w2" "-e state -f w2" \
		"-n 1 -f gen_grad_mean" "-e grad -f kl" "-n 1 -f nosuch" "a b" \
		"--data-mean 1" "--data-std 1" "--gen-init teacher" "--gen-mean 1" "--gen-scale 1" \
		"--init-sigma 2" "--fake-init teacher"; do
		run sid-step $args < /dev/null
		[ "$status" -eq 2 ] || { echo "args: $args: status $status: $output"; return 1; }
		[[ "${lines[0]}" == "sid-step: "* ]] || { echo "args: $args: $output"; return 1; }
		[[ "$output" == *"sid-step --help"* ]] || { echo "args: $args: $output"; return 1; }
	done
}

@test "sid-step: --init combinations that are usage errors" {
	for args in "-n 1" "-e state" "--save f" "-f w2" "s0.json" "-O text" "-O f64" \
		"--gen-init standard --gen-mean 1" "--gen-init teacher --gen-scale 1" \
		"--gen-init standard --init-sigma 2" "--gen-mean 0 --init-sigma 2" \
		"--data-mean 1,2,3" "-d 3 --gen-scale 1,2" "--data-std 0,1" "--data-std 1,-1" \
		"--data-mean 1,nan" "--gen-init x" "--fake-init x" "--init-sigma 0" "--sigma-min 100"; do
		run sid-step --init $args
		[ "$status" -eq 2 ] || { echo "args: $args: status $status: $output"; return 1; }
		[[ "${lines[0]}" == "sid-step: "* ]] || { echo "args: $args: $output"; return 1; }
	done
	run sid-step --init --data-mean 1,2,3
	assert_line --index 0 "sid-step: --data-mean: expected 1 or 2 numbers (dim), got 3"
}

# bad STATE-EDIT MESSAGE: the edited default state is rejected with exit 1,
# the message, and no output (nor a -o file).
bad() {
	sid-step --init > s0
	jq -c "$1" s0 > bad.json
	run sid-step -o out.json -n 2 < bad.json
	[ "$status" -eq 1 ] || { echo "$1: status $status: $output"; return 1; }
	[ "$output" = "sid-step: stdin:1: $2" ] || { echo "$1: got: $output"; echo "want: sid-step: stdin:1: $2"; return 1; }
	[ ! -e out.json ] || { echo "$1: out.json was created"; return 1; }
}

@test "sid-step: empty input, not JSON, not an object, more input after the state" {
	run sid-step < /dev/null
	assert_failure 1
	assert_output "sid-step: stdin:1: empty input (expected a state object; make one with --init)"
	printf '{\n  "format": "sid-step/1",\n  "dim": 2,,\n}\n' > broken
	run sid-step broken
	assert_failure 1
	assert_output "sid-step: broken:3: not JSON (a syntax error)"
	run sid-step <<< '[1, 2]'
	assert_output "sid-step: stdin:1: expected a state object, got an array"
	sid-step --init > s0
	run sid-step < <(cat s0 s0)
	assert_failure 1
	assert_output "sid-step: stdin:1: more input after the state (at line 2): one state per run"
	printf '\n\n' > lines; jq '.config.batch = 0' s0 >> lines
	run sid-step lines
	assert_output "sid-step: lines:3: config.batch: expected an integer >= 1, got 0"
	run sid-step nosuch.json
	assert_failure 1
	assert_output --partial "sid-step: nosuch.json: "
}

@test "sid-step: format, missing, unknown and mistyped keys are bad states" {
	bad '.format = "sid-step/2"' 'format: expected "sid-step/1", got "sid-step/2"'
	bad 'del(.format)' 'format: missing (expected "sid-step/1")'
	bad 'del(.config.rho)' 'config.rho: missing'
	bad 'del(.opt.fake.v_logstd)' 'opt.fake.v_logstd: missing'
	bad '.config.foo = 1' 'config.foo: unknown key'
	bad '.seed = 1' 'seed: unknown key (the state carries its generator: re-seed with --seed)'
	bad '.gen.extra = []' 'gen.extra: unknown key'
	bad '.config.alpha = "1"' 'config.alpha: expected a number, got a string'
	bad '.config.loss = "l2"' 'config.loss: expected "sid" or "l1", got "l2"'
	bad '.gen = [1]' 'gen: expected an object, got an array'
	bad '.rng.cached_normal = true' 'rng.cached_normal: expected a number, got true'
	# metrics is optional and ignored
	sid-step --init | jq -c 'del(.metrics)' | sid-step > /dev/null
}

@test "sid-step: lengths, non-finite numbers, integers and ranges are checked" {
	bad '.gen.mean = [1, 2, 3]' 'gen.mean: expected 2 numbers (dim), got 3'
	bad '.dim = 3' 'data.mean: expected 3 numbers (dim), got 2'
	bad '.dim = 0' 'dim: expected an integer >= 1, got 0'
	bad '.gen.scale[1] = "Infinity"' 'gen.scale[1]: expected a finite number, got "Infinity"'
	bad '.fake.mean[0] = null' 'fake.mean[0]: expected a number, got null'
	bad '.config.tmax = 800.5' 'config.tmax: expected an integer, got 800.5'
	bad '.step = -1' 'step: expected an integer from 0 to 2^53-1, got -1'
	bad '.opt.gen.t = 1.5' 'opt.gen.t: expected an integer, got 1.5'
	bad '.config.batch = 0' 'config.batch: expected an integer >= 1, got 0'
	bad '.config.beta2 = 1' 'config.beta2: expected a number in [0, 1), got 1'
	bad '.config.sigma_min = 100' 'config.sigma_min: expected a number <= sigma_max (80), got 100'
	bad '.config.weight_floor = 0' 'config.weight_floor: expected a number > 0, got 0'
	bad '.config.tmax = 2000' 'config.tmax: expected an integer from 0 to 1000, got 2000'
	bad '.data.std[0] = 0' 'data.std[0]: expected a number > 0, got 0'
	bad '.opt.gen.v_mean[0] = -1' 'opt.gen.v_mean[0]: expected a number >= 0, got -1'
	bad '.rng.words[2] = "xyz"' 'rng.words[2]: expected a string of 16 hex digits, got "xyz"'
	bad '.rng.words = ["0000000000000000","0000000000000000","0000000000000000","0000000000000000"]' \
		'rng.words: all four words are zero (xoshiro256** would stay at zero)'
	bad '.dim = 1e300' 'dim: expected an integer >= 1, got 1e+300'
	bad '.dim = 1e10' 'data.mean: expected 10000000000 numbers (dim), got 2'
}

@test "sid-step: an option combined with the state out of range, and -d, are bad records" {
	sid-step --init > s0
	run sid-step --sigma-min 100 s0
	assert_failure 1
	assert_output "sid-step: s0:1: config.sigma_min: expected a number <= sigma_max (80), got 100"
	run sid-step -d 3 -o out s0
	assert_failure 1
	assert_output "sid-step: s0:1: dim: the state has 2, -d says 3"
	[ ! -e out ]
	# given with the state, the option repairs a bad value
	jq -c '.config.batch = 0' s0 | sid-step -B 2 | jq -e '.config.batch == 2'
	run sid-step -d 2 -n 1 -f step s0
	assert_output "1"
}

@test "sid-step: non-finite parameters stop the run after the earlier lines (sid.md 5.5)" {
	sid-step --init --optimizer sgd --lr 1e300 -B 4 > s0
	cp s0 keep.json
	run sid-step -n 5 -f step,w2 --save keep.json s0
	assert_failure 1
	assert_equal "${lines[0]}" '{"step":1,"w2":"Infinity"}'
	assert_line --index 1 --regexp '^sid-step: s0:1: step 2: non-finite parameters \((gen|fake)\.[a-z]+\[[01]\] = (NaN|-?Infinity)\)$'
	assert_equal "${#lines[@]}" 2
	cmp keep.json s0
	run sid-step -n 5 -e state s0
	assert_failure 1
	assert_output --regexp '^sid-step: s0:1: step 2: non-finite'
	# eps 0 with an exactly zero gradient is 0/0 (sid.md 6.3)
	run sid-step -n 1 --eps 0 --fake-mode exact < <(sid-step --init --gen-mean 1,-1 --gen-scale 0.5,1)
	assert_failure 1
	assert_output "sid-step: stdin:1: step 1: non-finite parameters (gen.mean[0] = NaN)"
}

# ===== claims of sid.md §9 =====

@test "sid-step: S1 central differences of loss_gen and loss_fake match the hand gradients" {
	sid-step --init --gen-mean 0.3,0.2 --gen-scale 0.9,0.4 --fake-init generator --weight none --fake-steps 0 -B 64 > g.json
	for p in 'gen.mean[0]' 'gen.mean[1]' 'gen.scale[0]' 'gen.scale[1]'; do
		lp=$(jq -c ".$p += 1e-6" g.json | sid-step -e grad -f loss_gen)
		lm=$(jq -c ".$p -= 1e-6" g.json | sid-step -e grad -f loss_gen)
		k=$(echo "$p" | sed 's/gen\.\(mean\|scale\)\[\(.\)\]/gen_grad_\1 \2/')
		hand=$(sid-step -e grad -f "${k% *}" < g.json | jq ".[${k#* }]")
		close "$(py "print(($lp - $lm) / 2e-6)")" "$hand" 1e-6
	done
	sid-step --init -B 64 -s 2 | sid-step -n 2 -e state > f.json
	for p in 'fake.mean[0]' 'fake.logstd[1]'; do
		lp=$(jq -c ".$p += 1e-6" f.json | sid-step -e grad -f loss_fake)
		lm=$(jq -c ".$p -= 1e-6" f.json | sid-step -e grad -f loss_fake)
		field=$([ "${p%%[*}" = fake.mean ] && echo fake_grad_mean || echo fake_grad_logstd)
		hand=$(sid-step -e grad -f $field < f.json | jq ".[${p: -2:1}]")
		close "$(py "print(($lp - $lm) / 2e-6)")" "$hand" 1e-6
	done
}

@test "sid-step: S2 S3 alpha 0.5 and 1 give 1/2 grad F and 1/2 grad F+ at B = 10^6" {
	for a in 0.5 1; do
		got=$(sid-step --init --gen-mean 0.3,0.2 --gen-scale 0.9,0.4 --fake-mode exact --weight none -a $a -B 1000000 |
			sid-step -e grad -f gen_grad_mean,gen_grad_scale)
		close "$got" "$(quad $a)" 0 0.003
	done
}

@test "sid-step: S4 S5 exponential convergence with the exact fake score" {
	prev=1
	for a in 0.5 1 1.2; do
		sid-step --init --fake-mode exact --optimizer sgd --weight none --lr 1 -a $a |
			sid-step -n 100 -f step,w2 -O text > c
		slope=$(awk '$1 >= 20 {x = $1; y = log($2); n++; sx += x; sy += y; sxx += x*x; sxy += x*y}
			END {print (n*sxy - sx*sy) / (n*sxx - sx*sx)}' c)
		py "assert -0.137 <= $slope <= -0.120, $slope"
		w100=$(awk '$1 == 100 {print $2}' c)
		py "assert $w100 < 1e-5, $w100"
		w20=$(awk '$1 == 20 {print $2}' c)
		py "assert $w20 < $prev, ($w20, $prev)"
		prev=$w20
	done
}

@test "sid-step: S6 alpha <= 1.2 restores a wide start, alpha >= 1.5 blows up" {
	for a in 0.5 1 1.2 1.5 2; do
		s=$(sid-step --init -d 1 --data-mean 0 --data-std 0.5 --gen-mean 0 --gen-scale 5 --fake-init generator \
			-s 1 --fake-mode exact --optimizer sgd --weight none --lr 0.05 -a $a |
			sid-step -n 300 -f scale -O text | awk 'NR % 100 == 0' | tr '\n' ' ')
		py "
s = [abs(x) for x in map(float, '$s'.split())]
if $a <= 1.2: assert s[0] > s[1] > s[2] and max(s) < 5, s
else: assert s[0] < s[1] < s[2] and min(s) > 5, s"
	done
}

@test "sid-step: S7 paper-like settings converge; S8 S9 for seed 0" {
	w0=$(sid-step --init | jq .metrics.w2)
	assert_equal "$w0" 0.782845366586611
	for L in 1e-2 3e-3 1e-3; do
		n=2000 lo=1000
		[ $L = 1e-2 ] && n=600 lo=300
		sid-step --init --lr $L --fake-lr $L | sid-step -n $n -f step,w2,fake_w2 -O text |
			awk -v lo=$lo '$2 < 0.2 && !f {f = $1} $1 > lo {a += $2; b += $3; n++} END {print f, a/n, b/n}' >> r
	done
	py "
r = np.loadtxt('r')
assert 30 <= r[0, 0] <= 45 and 90 <= r[1, 0] <= 170 and 300 <= r[2, 0] <= 400, r[:, 0]
assert 0.04 <= r[0, 1] <= 0.10, r[0, 1]
assert r[0, 1] > r[1, 1] > r[2, 1], r[:, 1]
assert np.all((r[:, 2] / r[:, 1] >= 1.0) & (r[:, 2] / r[:, 1] <= 1.3)), r[:, 2] / r[:, 1]"
}

@test "sid-step: S10 alpha hardly matters from the teacher init (seed 0)" {
	for a in 0 0.5 1 1.2 1.5; do
		sid-step --init -a $a | sid-step -n 400 -f w2 | tail -n 200 | awk '{t += $1} END {print t / NR}'
	done > m
	py "
m = np.loadtxt('m')
assert m.max() / m.min() < 1.15 and m.min() >= 0.04 and m.max() <= 0.09, m"
}

@test "sid-step: S11 the naive L1 fails, and stalls at |s| = tau with the exact fake" {
	w=$(sid-step --init --loss l1 | sid-step -n 351 -f w2 | tail -1)
	py "assert $w > 5, $w"
	sid-step --init --loss l1 --fake-mode exact --optimizer sgd --weight none --lr 1 |
		sid-step -n 1000 -f step,w2,scale -O text | awk '$1 == 500 || $1 == 1000' > st
	py "
r = np.loadtxt('st')
assert r[0, 1] > 10 and r[0, 1] == r[1, 1], r
assert np.allclose(np.abs(r[0, 2:]), [0.5, 1], rtol=1e-9), r"
}

@test "sid-step: a --save failure, a write error and a closed pipe" {
	sid-step --init -B 4 > s0
	run sid-step -n 2 -f step --save nosuchdir/x.json s0
	assert_failure 1
	assert_line --index 0 "1"
	assert_line --index 1 "2"
	assert_line --index 2 --partial "sid-step: nosuchdir/x.json: cannot create a temporary file"
	run sid-step -n 2 -o /dev/full s0
	assert_failure 1
	assert_output --partial "sid-step: write error on /dev/full"
	run bash -c 'set -o pipefail; sid-step -n 100000 -q s0 | head -n 1 > /dev/null'
	[ "$status" -eq 141 ]
}
