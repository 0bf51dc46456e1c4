#!/usr/bin/env bats
# lora-init: the command line (lora.md 8, 9) and the claims of lora.md 11,
# against numpy's SVD, closed forms and an independent Python generator.
load helper

TOY='{"name":"toy","w0":[[1,0,0,0],[0,1,0,0],[0,0,1,0],[0,0,0,1]],"grad":[[4,0,0,0],[0,3,0,0],[0,0,2,0],[0,0,0,1]]}'

# layers N: N random records (d_out 9, d_in 7, decaying gradient spectrum) on stdout
layers() {
	py "r = np.random.default_rng(${2:-0})
for i in range($1):
    w = r.standard_normal((9, 7)); g = r.standard_normal((9, 7)) @ np.diag(0.8 ** np.arange(7))
    print(json.dumps({'name': f'l{i}', 'w0': w.tolist(), 'grad': g.tolist()}))"
}

@test "lora-init: the worked example of 8.9 matches its closed form" {
	run lora-init -r 1 --check <<< "$TOY"
	assert_success
	c=0.3535533905932738
	close "$output" "{\"name\":\"toy\",\"method\":\"lora-ga\",\"layout\":\"torch\",\"rows\":4,\"cols\":4,\"rank\":1,
	  \"alpha\":16,\"scaling\":\"standard\",\"scale\":16,\"init_scale\":$c,\"sigma\":[4,3],
	  \"A\":[[$c,0,0,0]],\"B\":[[0],[$c],[0],[0]],\"w0_adj\":[[1,0,0,0],[-2,1,0,0],[0,0,1,0],[0,0,0,1]],
	  \"check\":{\"recon_max_abs\":5.07522e-08,\"cos_step\":0.9128709291752769,\"cos_bound\":0.9128709291752769}}" 1e-6 1e-13
	# float32 printing: the shortest float32 decimals
	[[ "$output" == *'"A":[[0.35355338,0,0,0]]'* ]]
	[[ "$output" == *'"w0_adj":[[1,0,0,0],[-1.9999999,1,0,0]'* ]]
	run lora-init -r 1 --check --digits 6 <<< "$TOY"
	[[ "$output" == *'"init_scale":0.353553,"sigma":[4,3],"A":[[0.353553,0,0,0]]'* ]]
}

@test "lora-init: w0, grad and grads are not echoed; other fields keep their text" {
	run lora-init -r 1 -f rank <<< '{"id":1.50,"w0":[[1,0],[0,1]],"grads":[[[1,0],[0,1]]],"x":[1],"z":"k"}'
	assert_success
	assert_output '{"id":1.50,"z":"k","rank":1}'
	run lora-init -m lora -r 1 -f rank --key W <<< '{"W":[[1,0],[0,1]],"w0":3}'
	assert_output '{"w0":3,"rank":1}'
}

@test "lora-init: record-level known answers of 7.1 (Kaiming, Gaussian)" {
	run lora-init -m lora -r 1 -s 42 -f A <<< '{"w0":[[0,0,0,0,0,0,0]]}'
	assert_output '{"A":[[0.15468769,0.2739517,0.22946669,-0.206732,0.3200633,0.22704619,0.046444464]]}'
	run lora-init -m lora -r 1 -s 0 -f A <<< '{"w0":[[0,0,0,0,0,0,0]]}'
	[[ "$output" == '{"A":[[0.07654763,0.18729961,-0.30008867,-0.06305273,'* ]]
	run lora-init -m gaussian -r 2 -s 0 -f A <<< '{"w0":[[0,0,0,0]]}'
	assert_output '{"A":[[-0.0094824955,-0.6779651,-0.20186055,0.11667549],[0.812555,-0.0012843432,-0.5106244,-0.116346136]]}'
}

@test "lora-init: seeds: a record's own seed equals record 0 of that --seed; 2^64-1 works; 2^64 is a usage error" {
	a=$(printf '%s\n' '{"w0":[[0,0,0]]}' '{"w0":[[0,0,0]]}' | lora-init -m gaussian -r 1 -s 42 -f A | head -1)
	b=$(printf '%s\n' '{"w0":[[0,0,0]]}' '{"seed":42,"w0":[[0,0,0]]}' | lora-init -m gaussian -r 1 -s 7 -f A | tail -1 | jq -c '{A}')
	[ "$a" = "$b" ]
	c=$(lora-init -m gaussian -r 1 -s 7 -f A <<< '{"seed":"42","w0":[[0,0,0]]}' | jq -c '{A}')
	[ "$a" = "$c" ]
	run lora-init -m gaussian -r 1 -s 18446744073709551615 -f A <<< '{"w0":[[0,0,0,0]]}'
	close "$output" '{"A":[[-0.758721771292548,-1.3583135838943015,-0.5239347498890001,-0.21154951535274993]]}' 1e-7
	run lora-init -s 18446744073709551616 <<< '{}'
	assert_failure 2
}

@test "lora-init: Kaiming and Gaussian fills agree with an independent Python generator (record k, odd fills)" {
	printf '%s\n' '{"w0":[[0,0,0,0,0]]}' '{"w0":[[0,0,0,0,0]]}' '{"w0":[[0,0,0,0,0]]}' > "$BATS_TEST_TMPDIR/z"
	lora-init -m lora -r 3 -s 12345 -f A < "$BATS_TEST_TMPDIR/z" > "$BATS_TEST_TMPDIR/k"
	lora-init -m gaussian -r 3 -s 12345 -f A < "$BATS_TEST_TMPDIR/z" > "$BATS_TEST_TMPDIR/g"
	run py '
M = (1 << 64) - 1
def mix(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    return z ^ (z >> 31)
class G:
    def __init__(s, x):
        s.s = []
        for _ in range(4):
            x = (x + 0x9E3779B97F4A7C15) & M; s.s.append(mix(x))
    def next(s):
        a = s.s; rot = lambda v, k: ((v << k) | (v >> (64 - k))) & M
        res = (rot((a[1] * 5) & M, 7) * 9) & M; t = (a[1] << 17) & M
        a[2] ^= a[0]; a[3] ^= a[1]; a[1] ^= a[2]; a[0] ^= a[3]; a[2] ^= t; a[3] = rot(a[3], 45)
        return res
    def u(s): return (s.next() >> 11) * 2.0 ** -53
def normals(g, n):
    out = []
    while len(out) < n:
        u1 = 1 - g.u(); u2 = g.u(); r = math.sqrt(-2 * math.log(u1)); th = 6.283185307179586 * u2
        out += [r * math.cos(th), r * math.sin(th)]
    return out[:n]
f32 = lambda v: float(np.float32(v))
K = [json.loads(l)["A"] for l in open(sys.argv[1])]
N = [json.loads(l)["A"] for l in open(sys.argv[2])]
ok = True
for k in range(3):
    g = G((mix(12345) + k) & M)
    want = [f32((2 * g.u() - 1) * (1 / math.sqrt(5))) for _ in range(15)]
    ok &= [f32(v) for v in sum(K[k], [])] == want
    g = G((mix(12345) + k) & M)
    ok &= [f32(v) for v in sum(N[k], [])] == [f32(z * (1 / 3)) for z in normals(g, 15)]
print(ok)' "$BATS_TEST_TMPDIR/k" "$BATS_TEST_TMPDIR/g"
	assert_output True
}

@test "lora-init: lora-ga agrees with numpy's SVD: subspaces, sigma, D = c^2 G_[2r] (C3), reconstruction (C1)" {
	layers 3 > "$BATS_TEST_TMPDIR/in"
	for d in ArB2r A2rBr ArBr; do
		lora-init -r 2 --direction $d --check < "$BATS_TEST_TMPDIR/in" > "$BATS_TEST_TMPDIR/out.$d"
	done
	run py '
ins = [json.loads(l) for l in open(sys.argv[1])]
ok = True
for d, (ia, ib) in {"ArB2r": ([0, 1], [2, 3]), "A2rBr": ([2, 3], [0, 1]), "ArBr": ([1, 3], [0, 2])}.items():
    for i, l in enumerate(open(sys.argv[2] + "." + d)):
        o = json.loads(l); r = 2
        W = np.array(ins[i]["w0"], np.float32).astype(float); G = np.array(ins[i]["grad"], np.float32).astype(float)
        A = np.array(o["A"], np.float32).astype(float); B = np.array(o["B"], np.float32).astype(float); s = o["scale"]; c = o["init_scale"]
        U, S, Vh = np.linalg.svd(G)
        ok &= np.allclose(o["sigma"], S[:4], rtol=1e-12)
        ok &= abs(c - 9 ** 0.25 / 4) < 1e-15
        ok &= np.allclose(A.T @ A, c * c * Vh[ia].T @ Vh[ia], atol=1e-6)
        ok &= np.allclose(B @ B.T, c * c * U[:, ib] @ U[:, ib].T, atol=1e-6)
        G2r = U[:, :4] @ np.diag(S[:4]) @ Vh[:4]
        ok &= np.allclose(B @ B.T @ G + G @ A.T @ A, c * c * G2r, atol=1e-5)
        rec = np.abs(np.array(o["w0_adj"], np.float32).astype(float) + s * B @ A - W).max()
        ok &= rec <= 1e-5 * max(1, np.abs(W).max()) and abs(rec - o["check"]["recon_max_abs"]) < 1e-12
        ok &= abs(o["check"]["cos_step"] - o["check"]["cos_bound"]) < 1e-6
        ok &= abs(o["check"]["cos_bound"] - math.sqrt((S[:4] ** 2).sum() / (S ** 2).sum())) < 1e-12
print(ok)' "$BATS_TEST_TMPDIR/in" "$BATS_TEST_TMPDIR/out"
	assert_output True
}

@test "lora-init: C3 published numbers: diag 5,3,2,1.2,0.5 gives 0.99684562 (r 2) and 0.92554792 (r 1)" {
	rec='{"w0":[[0,0,0,0,0],[0,0,0,0,0],[0,0,0,0,0],[0,0,0,0,0],[0,0,0,0,0],[0,0,0,0,0]],"grad":[[5,0,0,0,0],[0,3,0,0,0],[0,0,2,0,0],[0,0,0,1.2,0],[0,0,0,0,0.5],[0,0,0,0,0]]}'
	for d in ArB2r A2rBr ArBr; do
		run lora-init -r 2 --direction $d --check -f init_scale,check <<< "$rec"
		close "$(jq -c '[.check.cos_step, .check.cos_bound, .init_scale]' <<< "$output")" '[0.99684562,0.99684562,0.391271145]' 0 6e-9
		run lora-init -r 1 --direction $d --check -f check <<< "$rec"
		close "$(jq -c '[.check.cos_step, .check.cos_bound]' <<< "$output")" '[0.92554792,0.92554792]' 0 6e-9
	done
}

@test "lora-init: C2 orthogonal factors: A A^T = B^T B = c^2 I in torch, A^T A = B B^T in blog" {
	layers 2 > "$BATS_TEST_TMPDIR/in"
	lora-init -r 3 < "$BATS_TEST_TMPDIR/in" > "$BATS_TEST_TMPDIR/t"
	lora-init -r 3 -l blog < "$BATS_TEST_TMPDIR/in" > "$BATS_TEST_TMPDIR/b"
	run py '
ok = True
for l in open(sys.argv[1]):
    o = json.loads(l); A = np.array(o["A"], np.float32).astype(float); B = np.array(o["B"], np.float32).astype(float); c2 = o["init_scale"] ** 2
    ok &= np.allclose(A @ A.T, c2 * np.eye(3), atol=1e-6) and np.allclose(B.T @ B, c2 * np.eye(3), atol=1e-6)
for l in open(sys.argv[2]):
    o = json.loads(l); A = np.array(o["A"], np.float32).astype(float); B = np.array(o["B"], np.float32).astype(float); c2 = o["init_scale"] ** 2
    ok &= A.shape == (9, 3) and B.shape == (3, 7) and o["rows"] == 9 and o["cols"] == 7
    ok &= np.allclose(A.T @ A, c2 * np.eye(3), atol=1e-6) and np.allclose(B @ B.T, c2 * np.eye(3), atol=1e-6)
    ok &= abs(c2 - math.sqrt(7) / 16) < 1e-15
print(ok)' "$BATS_TEST_TMPDIR/t" "$BATS_TEST_TMPDIR/b"
	assert_output True
}

@test "lora-init: --layout blog is the transpose of torch for every method" {
	layers 2 > "$BATS_TEST_TMPDIR/in"
	jq -c '.w0 |= ([transpose[]]) | .grad |= ([transpose[]])' "$BATS_TEST_TMPDIR/in" > "$BATS_TEST_TMPDIR/inT"
	for m in lora-ga lora gaussian orthogonal pissa olora; do
		lora-init -m $m -r 2 -f A,B,w0_adj < "$BATS_TEST_TMPDIR/in" | jq -c '[(.A|transpose), (.B|transpose), (.w0_adj|transpose)]' > "$BATS_TEST_TMPDIR/t"
		lora-init -m $m -r 2 -l blog -f A,B,w0_adj < "$BATS_TEST_TMPDIR/inT" | jq -c '[.A, .B, .w0_adj]' > "$BATS_TEST_TMPDIR/b"
		run cmp "$BATS_TEST_TMPDIR/t" "$BATS_TEST_TMPDIR/b"
		assert_success
	done
}

@test "lora-init: C5 the exact SGD step matches its closed form; A, B are numpy's vectors under the sign convention" {
	layers 2 > "$BATS_TEST_TMPDIR/in"
	lora-init -r 2 --scaling rslora < "$BATS_TEST_TMPDIR/in" > "$BATS_TEST_TMPDIR/out"
	run py '
ok = True
eta = 1e-2
for li, lo in zip(open(sys.argv[1]), open(sys.argv[2])):
    i = json.loads(li); o = json.loads(lo); r = 2
    G = np.array(i["grad"], np.float32).astype(float); A = np.array(o["A"], np.float32).astype(float); B = np.array(o["B"], np.float32).astype(float)
    s = o["scale"]; c = o["init_scale"]; S = np.array(o["sigma"])
    A1 = A - eta * s * B.T @ G; B1 = B - eta * s * G @ A.T
    dW = s * (B1 @ A1 - B @ A)
    U, _, Vh = np.linalg.svd(G)
    for k in range(len(S)):   # the sign convention of 7.2: the first largest |u_j| is positive
        u = U[:, k]; p = np.nonzero(np.abs(u) >= np.abs(u).max() * (1 - 1e-6))[0][0]
        if u[p] < 0: U[:, k] *= -1; Vh[k] *= -1
    ok &= np.allclose(B, c * U[:, r:2 * r], atol=1e-6) and np.allclose(A, c * Vh[:r], atol=1e-6)
    G2r = U[:, :4] @ np.diag(S) @ Vh[:4]
    second = sum(S[k] * S[r + k] * np.outer(U[:, k], Vh[r + k]) for k in range(r))
    want = -eta * s * s * c * c * G2r + eta ** 2 * s ** 3 * c * c * second
    ok &= np.abs(dW - want).max() < 1e-6 * np.abs(want).max() + 1e-9
print(ok)' "$BATS_TEST_TMPDIR/in" "$BATS_TEST_TMPDIR/out"
	assert_output True
}

@test "lora-init: C4 no other init beats the bound; C1 every method reconstructs W0" {
	py 'r = np.random.default_rng(3)
U, _ = np.linalg.qr(r.standard_normal((24, 16))); V, _ = np.linalg.qr(r.standard_normal((16, 16)))
G = U @ np.diag(0.7 ** np.arange(16)) @ V.T
print(json.dumps({"w0": (r.standard_normal((24, 16)) * 3).tolist(), "grad": G.tolist()}))' > "$BATS_TEST_TMPDIR/one"
	for s in $(seq 0 19); do cat "$BATS_TEST_TMPDIR/one"; done > "$BATS_TEST_TMPDIR/in"
	for m in lora gaussian orthogonal pissa olora lora-ga; do
		lora-init -m $m -r 4 --check -f check < "$BATS_TEST_TMPDIR/in"
	done > "$BATS_TEST_TMPDIR/out"
	run py '
cs = [json.loads(l)["check"] for l in open(sys.argv[1])]
ok = all(c["cos_step"] <= c["cos_bound"] + 1e-12 for c in cs)
ok &= all(c["recon_max_abs"] <= 3e-5 for c in cs)
ok &= max(c["cos_step"] for c in cs[:-20]) < cs[-1]["cos_step"] - 0.05
print(ok, len(cs))' "$BATS_TEST_TMPDIR/out"
	assert_output 'True 120'
}

@test "lora-init: C18 cos_step does not depend on alpha, gamma, --ga-scale or --scaling" {
	layers 1 > "$BATS_TEST_TMPDIR/in"
	want=$(lora-init -r 2 --check -f check < "$BATS_TEST_TMPDIR/in" | jq .check.cos_step)
	for o in "-a 1" "-a 300" "-g 1" "-g 64" "--ga-scale unit" "--ga-scale gd" "--scaling rslora"; do
		got=$(lora-init -r 2 $o --check -f check < "$BATS_TEST_TMPDIR/in" | jq .check.cos_step)
		close "$got" "$want" 1e-9
	done
	run bash -c "lora-init -r 2 --ga-scale gd -f scale,init_scale < '$BATS_TEST_TMPDIR/in' | jq -c 'del(.name)'"
	close "$output" '{"scale":8,"init_scale":0.125}' 1e-15
}

@test "lora-init: C10 PiSSA on diag(4,3,2,1), r 2, alpha 4; against numpy on random W0" {
	run lora-init -m pissa -r 2 -a 4 -f sigma,A,w0_adj <<< '{"w0":[[4,0,0,0],[0,3,0,0],[0,0,2,0],[0,0,0,1]]}'
	close "$output" '{"sigma":[4,3],"A":[[1.4142135,0,0,0],[0,1.2247449,0,0]],"w0_adj":[[0,0,0,0],[0,0,0,0],[0,0,2,0],[0,0,0,1]]}' 1e-7 3e-7
	layers 2 > "$BATS_TEST_TMPDIR/in"
	lora-init -m pissa -r 3 < "$BATS_TEST_TMPDIR/in" > "$BATS_TEST_TMPDIR/out"
	run py '
ok = True
for li, lo in zip(open(sys.argv[1]), open(sys.argv[2])):
    W = np.array(json.loads(li)["w0"], np.float32).astype(float); o = json.loads(lo)
    A = np.array(o["A"], np.float32).astype(float); B = np.array(o["B"], np.float32).astype(float); s = o["scale"]
    U, S, Vh = np.linalg.svd(W)
    ok &= np.allclose(s * B @ A, U[:, :3] @ np.diag(S[:3]) @ Vh[:3], atol=1e-5)
    ok &= np.allclose(np.linalg.svd(np.array(o["w0_adj"], np.float32).astype(float), compute_uv=False)[:4], S[3:7], atol=1e-5)
    ok &= np.allclose(A @ A.T, np.diag(S[:3]) / s, atol=1e-5) and np.allclose(B.T @ B, np.diag(S[:3]) / s, atol=1e-5)
    ok &= np.allclose(o["sigma"], S[:3], rtol=1e-12)
print(ok)' "$BATS_TEST_TMPDIR/in" "$BATS_TEST_TMPDIR/out"
	assert_output True
}

@test "lora-init: C11 OLoRA (tall, wide), orthogonal B A = 0; lora, gaussian, orthogonal keep W0 bit for bit" {
	py 'r = np.random.default_rng(5)
for sh in [(9, 5), (5, 9)]: print(json.dumps({"w0": r.standard_normal(sh).astype(np.float32).tolist()}))' > "$BATS_TEST_TMPDIR/in"
	lora-init -m olora -r 3 < "$BATS_TEST_TMPDIR/in" > "$BATS_TEST_TMPDIR/ol"
	lora-init -m orthogonal -r 4 < "$BATS_TEST_TMPDIR/in" > "$BATS_TEST_TMPDIR/or"
	run py '
ok = True
for li, lo, lr in zip(open(sys.argv[1]), open(sys.argv[2]), open(sys.argv[3])):
    W = np.array(json.loads(li)["w0"]); o = json.loads(lo); t = json.loads(lr)
    A = np.array(o["A"], np.float32).astype(float); B = np.array(o["B"], np.float32).astype(float)
    ok &= np.allclose(B.T @ B, np.eye(3), atol=1e-6)
    ok &= np.allclose(np.tril(A, -1), 0) and (np.diag(A) >= 0).all()
    Q, R = np.linalg.qr(W); sg = np.sign(np.diag(R)); ok &= np.allclose(A, (sg[:, None] * R)[:3], atol=1e-5)
    ok &= np.abs(np.array(t["B"], np.float32).astype(float) @ np.array(t["A"], np.float32).astype(float)).max() <= 1e-7 and np.abs(np.array(t["A"], np.float32).astype(float)).max() > 0.01
    ok &= (np.array(t["w0_adj"], np.float32) == np.array(json.loads(li)["w0"], np.float32)).all()
print(ok)' "$BATS_TEST_TMPDIR/in" "$BATS_TEST_TMPDIR/ol" "$BATS_TEST_TMPDIR/or"
	assert_output True
	for m in lora gaussian orthogonal; do
		lora-init -m $m -r 2 -f w0_adj -O f32 < "$BATS_TEST_TMPDIR/in" > "$BATS_TEST_TMPDIR/w.f32"
		run py 'a = np.fromfile(sys.argv[1], np.float32)
b = np.concatenate([np.array(json.loads(l)["w0"], np.float32).ravel() for l in open(sys.argv[2])])
print(a.tobytes() == b.tobytes())' "$BATS_TEST_TMPDIR/w.f32" "$BATS_TEST_TMPDIR/in"
		assert_output True
	done
}

@test "lora-init: C13 LoRA+ rates, --lr-ratio blog and per-record overrides" {
	run lora-init -m lora -r 2 --lr 1 --lr-ratio blog -f lr_A,lr_B,lr_ratio <<< '{"w0":[[0,0,0,0,0,0],[0,0,0,0,0,0],[0,0,0,0,0,0],[0,0,0,0,0,0]]}'
	close "$output" '{"lr_A":1,"lr_B":2.598076211353316,"lr_ratio":2.598076211353316}' 1e-15
	run lora-init -m lora -r 2 -l blog --lr 1 --lr-ratio blog -O text -f lr_ratio <<< '{"w0":[[0,0,0,0],[0,0,0,0],[0,0,0,0],[0,0,0,0],[0,0,0,0],[0,0,0,0]]}'
	close "$output" 2.598076211353316 1e-15
	run lora-init -m lora -r 8 --lr 2e-4 -f lr_A,lr_B,lr_ratio <<< '{"w0":[[1,2]],"lr_ratio":2}'
	assert_output '{"lr_ratio":2,"lr_A":0.0002,"lr_B":0.0004}'
	run lora-init -m lora -r 8 -f lr_B <<< '{"w0":[[1,2]],"lr":1}'
	assert_output '{"lr":1,"lr_B":16}'
	run lora-init -m lora -r 8 -f lr_B <<< '{"w0":[[1,2]]}'
	assert_output '{}'
}

@test "lora-init: per-record overrides: rank, method, alpha, scaling, layout, direction, svd" {
	run lora-init -f method,rank,alpha,scaling,scale <<< '{"w0":[[1,2,3],[4,5,6]],"rank":2,"method":"olora","alpha":8,"scaling":"rslora"}'
	close "$output" '{"rank":2,"method":"olora","alpha":8,"scaling":"rslora","scale":5.656854249492381}' 1e-15
	lora-init -r 1 <<< "$TOY" > "$BATS_TEST_TMPDIR/a"
	jq -c '. + {w0: [[1,0,0,0],[0,1,0,0],[0,0,1,0],[0,0,0,1]], grad: [[4,0,0,0],[0,3,0,0],[0,0,2,0],[0,0,0,1]]}' "$BATS_TEST_TMPDIR/a" | lora-init -r 3 -a 2 -m pissa > "$BATS_TEST_TMPDIR/b"
	[ "$(jq -c 'del(.w0, .grad)' "$BATS_TEST_TMPDIR/a")" = "$(cat "$BATS_TEST_TMPDIR/b")" ]
}

@test "lora-init: grads are averaged; flat arrays with rows and cols; --rows/--cols from the command line" {
	a=$(lora-init -r 1 -f A,B,w0_adj,sigma <<< '{"w0":[[1,2],[3,4]],"grad":[[2,0.5],[1,-1]]}')
	b=$(lora-init -r 1 -f A,B,w0_adj,sigma <<< '{"w0":[[1,2],[3,4]],"grads":[[[1,0],[2,-3]],[[3,1],[0,1]]]}')
	[ "$a" = "$b" ]
	c=$(lora-init -r 1 -f A,B,w0_adj,sigma <<< '{"rows":2,"cols":2,"w0":[1,2,3,4],"grads":[[1,0,2,-3],[3,1,0,1]]}' | jq -c 'del(.rows, .cols)')
	[ "$a" = "$c" ]
	d=$(lora-init -r 1 --rows 2 --cols 2 -f A,B,w0_adj,sigma <<< '{"w0":[1,2,3,4],"grad":[2,0.5,1,-1]}')
	[ "$a" = "$d" ]
}

@test "lora-init: C16 randomized SVD recovers the top-2r subspace (principal cosines >= 0.99999)" {
	py 'r = np.random.default_rng(2)
U, _ = np.linalg.qr(r.standard_normal((300, 200))); V, _ = np.linalg.qr(r.standard_normal((200, 200)))
G = U @ np.diag(1 / np.arange(1, 201)) @ V.T + 1e-5 * r.standard_normal((300, 200))
print(json.dumps({"w0": np.zeros((300, 200)).tolist(), "grad": G.tolist()}))' > "$BATS_TEST_TMPDIR/in"
	lora-init -r 4 --svd full -f sigma,A < "$BATS_TEST_TMPDIR/in" > "$BATS_TEST_TMPDIR/f"
	lora-init -r 4 --svd randomized -f sigma,A < "$BATS_TEST_TMPDIR/in" > "$BATS_TEST_TMPDIR/r"
	run py '
f = json.load(open(sys.argv[1])); g = json.load(open(sys.argv[2]))
sf = np.array(f["sigma"]); sr = np.array(g["sigma"])
Af = np.linalg.qr(np.array(f["A"], np.float32).astype(float).T)[0]; Ar = np.linalg.qr(np.array(g["A"], np.float32).astype(float).T)[0]
cosines = np.linalg.svd(Af.T @ Ar, compute_uv=False)
print(np.abs(sr / sf - 1).max() < 1e-5, cosines.min() >= 0.99999)' "$BATS_TEST_TMPDIR/f" "$BATS_TEST_TMPDIR/r"
	assert_output 'True True'
}

@test "lora-init: C6 on the toy of 11.1 (seeds 0-2 as records 0-2): first-step cosines of LoRA-GA, LoRA, Gaussian, PiSSA" {
	py '
for seed in range(3):
    r = np.random.default_rng(seed)
    W0 = r.standard_normal((32, 48)) / np.sqrt(48)
    Ut = np.linalg.qr(r.standard_normal((32, 12)))[0]; Vt = np.linalg.qr(r.standard_normal((48, 12)))[0]
    Ws = W0 + Ut @ np.diag(2 * 0.75 ** np.arange(12)) @ Vt.T
    X = r.standard_normal((512, 48)); Y = X @ Ws.T + 0.01 * r.standard_normal((512, 32))
    gs = [((X[i:i+64] @ W0.T - Y[i:i+64]).T @ X[i:i+64] / 64).tolist() for i in range(0, 512, 64)]
    print(json.dumps({"w0": W0.tolist(), "grads": gs}))' > "$BATS_TEST_TMPDIR/toy"
	for m in lora-ga lora gaussian pissa; do
		a=; [ $m = lora-ga ] && a='--scaling rslora'
		lora-init -m $m -r 4 $a --check -f check < "$BATS_TEST_TMPDIR/toy" | jq -c -s "[min_by(.check.cos_step), max_by(.check.cos_step)] | map(.check.cos_step)"
	done > "$BATS_TEST_TMPDIR/cos"
	# the spec's ranges, to the digits it prints (half a unit of the last digit)
	run py 'c = [json.loads(l) for l in open(sys.argv[1])]
want = [(0.9958, 0.9961, 5e-5), (0.28, 0.33, 5e-3), (0.29, 0.39, 5e-3), (0.37, 0.43, 5e-3)]
print(all(lo - t <= a and b <= hi + t for (a, b), (lo, hi, t) in zip(c, want)), c)' "$BATS_TEST_TMPDIR/cos"
	[[ "$output" == True* ]]
}

@test "lora-init: G = 0 or rank(G) < 2r warns on stderr, still writes; -q silences it" {
	run lora-init -r 1 --check -f check <<< '{"w0":[[1,0],[0,1]],"grad":[[0,0],[0,0]]}'
	assert_success
	assert_line --index 0 'lora-init: warning: stdin:1: gradient has rank < 2r; the factors are not unique'
	close "${lines[1]}" '{"check":{"recon_max_abs":0,"cos_step":0,"cos_bound":0}}' 0 1e-7
	run lora-init -q -r 1 -f rank <<< '{"w0":[[1,0],[0,1]],"grad":[[1,0],[0,0]]}'
	assert_output '{"rank":1}'
}

@test "lora-init: text and raw output" {
	run lora-init -m pissa -r 2 -O text -f method,sigma,rank <<< '{"w0":[[4,0,0],[0,3,0],[0,0,1]]}'
	assert_output $'pissa\t4 3\t2'
	lora-init -m pissa -r 1 -a 1 -O f32 -f B <<< '{"w0":[[0,4],[3,0]]}' > "$BATS_TEST_TMPDIR/b"
	run py 'print(np.fromfile(sys.argv[1], np.float32) == [2, 0])' "$BATS_TEST_TMPDIR/b"
	assert_output '[ True  True]'
	run lora-init -m lora -r 1 -O text -f sigma <<< '{"w0":[[1]]}'
	assert_failure 1
	assert_output "lora-init: stdin:1: this record has no field 'sigma' (method lora)"
	run lora-init -m pissa -r 1 -f init_scale <<< '{"w0":[[1]]}'
	assert_output '{}'
}

@test "lora-init: bad records: message with the line, exit 1, every earlier record written" {
	ok='{"w0":[[1,2],[3,4]],"method":"lora","rank":1}'
	while IFS='|' read -r rec msg; do
		run lora-init -m lora-ga -r 1 -f rank <<< "$ok"$'\n'"$rec"$'\n'"$ok"
		assert_failure 1
		assert_line --index 0 '{"method":"lora","rank":1}'
		assert_line --index 1 "lora-init: stdin:2: $msg"
		[ "${#lines[@]}" -eq 2 ]
	done <<'EOF'
[1,2]|expected a JSON object with "w0", got an array
"x"|expected a JSON object with "w0", got a string
{"w0"|invalid JSON
{"grad":[[1]]}|no "w0" in the object
{"w0":[]}|"w0" is a flat array: give "rows" and "cols" (or --rows, --cols)
{"w0":[[]]}|"w0" is empty
{"w0":[[1,2],[3]]}|"w0" has ragged rows: row 2 has 1 values, row 1 has 2
{"w0":[[1,"a"]]}|"w0": expected a number, got the string "a"
{"w0":[1,2,3],"rows":2,"cols":2}|"w0" has 3 values, not rows x cols
{"w0":[[1,2]],"rows":2}|"w0" is 1 x 2, but rows/cols say 2 x 2
{"w0":[[1,2],[3,4]],"grad":[[1,2]]}|"grad" is 1 x 2, w0 is 2 x 2
{"w0":[[1,2],[3,4]],"grads":[]}|"grads" is an empty list
{"w0":[[1,2],[3,4]],"grads":[[[1,2],[3,4]],[[1,2]]]}|"grads"[1] is 1 x 2, w0 is 2 x 2
{"w0":[[1,"NaN"],[3,4]]}|"w0"[0][1] is not a finite float32 value
{"w0":[[1,2],[3,1e39]]}|"w0"[1][1] is not a finite float32 value
{"w0":[[1,2],[3,4]],"grad":[[1,2],[null,4]]}|"grad"[1][0] is not a finite float32 value
{"w0":[[1,2],[3,4]],"rank":0}|"rank" is 0, expected an integer >= 1
{"w0":[[1,2],[3,4]],"rank":1.5}|"rank" is 1.5, expected an integer
{"w0":[[1,2],[3,4]],"grad":[[1,2],[3,4]],"rank":2}|rank 2 needs 2r <= min(rows, cols) = 2 for lora-ga
{"w0":[[1,2],[3,4]],"method":"pissa","rank":3}|rank 3 needs r <= min(rows, cols) = 2 for pissa
{"w0":[[1,2],[3,4]],"method":"olora","rank":3}|rank 3 needs r <= min(rows, cols) = 2 for olora
{"w0":[[1,2],[3,4]],"method":"orthogonal","rank":1}|orthogonal needs an even rank, got 1
{"w0":[[1,2],[3,4]],"alpha":0}|"alpha" must be a finite number > 0
{"w0":[[1,2],[3,4]],"gamma":-1}|"gamma" must be a finite number > 0
{"w0":[[1,2],[3,4]],"lr":0}|"lr" must be a finite number > 0
{"w0":[[1,2],[3,4]],"lr_ratio":"fast"}|"lr_ratio" must be a number > 0 or "blog"
{"w0":[[1,2],[3,4]],"method":"qlora"}|unknown method 'qlora'
{"w0":[[1,2],[3,4]],"direction":"BrA2r"}|unknown direction 'BrA2r'
{"w0":[[1,2],[3,4]],"ga_scale":"big"}|unknown ga_scale 'big'
{"w0":[[1,2],[3,4]],"scaling":"sqrt"}|unknown scaling 'sqrt'
{"w0":[[1,2],[3,4]],"layout":"jax"}|unknown layout 'jax'
{"w0":[[1,2],[3,4]],"svd":"eig"}|unknown svd 'eig'
{"w0":[[1,2],[3,4]],"method":3}|"method" holds a number, expected a string
{"w0":[[1,2],[3,4]]}|lora-ga needs a gradient ("grad" or "grads")
{"w0":[[1,2],[3,4]],"method":"corda","x":[[1,2]],"rank":3}|rank 3 needs r <= min(rows, cols) = 2 for corda
{"w0":[[1,2],[3,4]],"method":"mica","rank":3}|rank 3 needs r <= min(rows, cols) = 2 for mica
{"w0":[[1,2],[3,4]],"grad_transform":"abs"}|unknown grad_transform 'abs'
{"w0":[[1,2],[3,4]],"corda_mode":"all"}|unknown corda_mode 'all'
{"w0":[[1,2],[3,4]],"seed":-1}|"seed" must be an integer from 0 to 2^64-1
{"w0":[[1,2],[3,4]],"grad":[[1,2],[3,4]],"svd":"randomized","oversample":1}|--svd randomized needs q = min(oversample r, min(rows, cols)) >= 2
EOF
}

@test "lora-init: -K writes every good record and exits 1" {
	run lora-init -K -m lora -r 1 -f rank <<< $'{"w0":[[1]]}\n{"w0":[]}\n\n{"w0":[[2]]}'
	assert_failure 1
	assert_line --index 0 '{"rank":1}'
	assert_line --index 1 'lora-init: stdin:2: "w0" is a flat array: give "rows" and "cols" (or --rows, --cols)'
	assert_line --index 2 '{"rank":1}'
	run lora-init <<< ''
	assert_success
	assert_output ''
}

@test "lora-init: usage errors exit 2 before reading input" {
	for args in "-m qlora" "-r 0" "-r x" "-a 0" "-a inf" "-g -1" "--lr 0" "--lr-ratio 0" \
	            "--lr-ratio fast" "-m orthogonal -r 3" "--scaling sqrt" "-l jax" "--direction x" "--ga-scale x" \
	            "--svd eig" "--niter -1" "--oversample 0" "--svd randomized --oversample 1" \
	            "--grad-transform x" "--w0 a.npy --convert" "--corda-mode xpm" "--x x.npy" "-i text" "-i f32" "-O u32" \
	            "-O text" "-O text -f A" "-O text -f check" "-O f32" "-O f32 -f rank" "-f nope" "-O f32 -f A,B" \
	            "--grad g.npy" "--out-prefix p" "--w0 a.npy x.jsonl" "--w0 - --grad -" "--w0 w.f32" \
	            "--w0 a.npy --out-prefix p -O text" "--w0 a.npy --out-prefix p -o f" "--bogus"; do
		run lora-init $args < /dev/null
		[ "$status" -eq 2 ] || { echo "no usage error for: $args ($status: $output)"; false; }
		[[ "${lines[0]}" == "lora-init: "* ]]
	done
	run lora-init -m qlora
	assert_line --index 0 "lora-init: -m: unknown method 'qlora' (lora-ga, lora, gaussian, orthogonal, pissa, olora, mica, corda)"
}

@test "lora-init: file mode: .npy in and out, PREFIX.json last, f4 by default, f8 with --npy-f64" {
	cd "$BATS_TEST_TMPDIR"
	py 'r = np.random.default_rng(0)
np.save("w.npy", r.standard_normal((40, 30)).astype(np.float32)); np.save("g.npy", r.standard_normal((3, 40, 30)))
np.save("g2.npy", np.load("g.npy").reshape(120, 30))'
	mkdir out
	run lora-init --w0 w.npy --grad g.npy -r 3 --check --out-prefix out/q
	assert_success
	assert_output ''
	run py 'm = json.load(open("out/q.json")); A = np.load("out/q.A.npy"); B = np.load("out/q.B.npy"); W = np.load("out/q.w0.npy")
w0 = np.load("w.npy").astype(float); G = np.load("g.npy").astype(np.float32).astype(float).mean(0)
U, S, Vh = np.linalg.svd(G)
print(A.dtype, A.shape, B.shape, W.shape, "A" in m, np.abs(W + m["scale"] * B.astype(float) @ A.astype(float) - w0).max() < 1e-5,
      np.allclose(m["sigma"], S[:6], rtol=1e-12), m["rows"], m["cols"])'
	assert_output 'float32 (3, 30) (40, 3) (40, 30) False True True 40 30'
	lora-init --w0 w.npy --grad g2.npy -r 3 --check --out-prefix out/q2 --npy-f64
	run py 'print(np.load("out/q2.A.npy").dtype, (np.load("out/q2.A.npy") == np.load("out/q.A.npy")).all())'
	assert_output 'float64 True'
	[ "$(cat out/q.json)" = "$(cat out/q2.json)" ]
	run lora-init --w0 w.npy --grad g.npy -r 3 --out-prefix nodir/q
	assert_failure 1
	[ ! -e nodir/q.json ]
}

@test "lora-init: file mode: JSON and raw f32/f64 give the same result; one JSON record without --out-prefix" {
	cd "$BATS_TEST_TMPDIR"
	py 'r = np.random.default_rng(1)
w = r.standard_normal((6, 8)); g = r.standard_normal((2, 6, 8))
w.astype(np.float32).tofile("w.f32"); w.tofile("w.f64"); g.tofile("g.f64"); g.astype(np.float32).tofile("g.raw")
json.dump(w.tolist(), open("w.json", "w")); json.dump(g.reshape(12, 8).tolist(), open("g.json", "w"))
print(json.dumps({"name": "L", "w0": w.tolist(), "grads": g.tolist()}))' > rec.jsonl
	want=$(lora-init -r 2 -f sigma,A,B,w0_adj < rec.jsonl | jq -c 'del(.name)')
	[ "$(lora-init --w0 w.json --grad g.json -r 2 -f sigma,A,B,w0_adj)" = "$want" ]
	[ "$(lora-init --w0 w.f64 --cols 8 --grad g.f64 -r 2 -f sigma,A,B,w0_adj)" = "$want" ]
	[ "$(lora-init --w0 w.f32 -d 8 --rows 6 -i f32 --grad g.raw -r 2 -f sigma,A,B,w0_adj)" = "$want" ]
	lora-init --w0 w.json --grad g.json -r 2 -O f32 --out-prefix p
	run py 'A = np.fromfile("p.A.f32", np.float32).reshape(2, 8); print((A == np.array(json.loads(sys.argv[1])["A"], np.float32)).all())' "$want"
	assert_output True
	lora-init --w0 w.json --grad g.json -r 2 -O f64 -f w0_adj > w0adj.f64
	run py 'print((np.fromfile("w0adj.f64").reshape(6, 8) == np.array(json.loads(sys.argv[1])["w0_adj"], np.float32)).all())' "$want"
	assert_output True
	run lora-init --w0 w.json -m pissa -r 1 -f method,rank
	assert_output '{"method":"pissa","rank":1}'
	py 'np.save("x.npy", np.random.default_rng(3).standard_normal((20, 8)))'
	a=$(lora-init --w0 w.json --x x.npy -m corda -r 2 -f A,B,sigma)
	b=$(py 'print(json.dumps({"w0": json.load(open("w.json")), "x": np.load("x.npy").tolist()}))' | lora-init -m corda -r 2 -f A,B,sigma)
	[ "$a" = "$b" ]
}

@test "lora-init: file mode streams large files in pieces: same mean, same positions in messages, W0 unchanged" {
	cd "$BATS_TEST_TMPDIR"
	# 200 x 200 = 40000 values: W0 and each gradient span two 32768-value pieces
	py 'r = np.random.default_rng(3)
w = r.standard_normal((200, 200)).astype(np.float32); g = r.standard_normal((3, 200, 200)).astype(np.float32)
np.save("w.npy", w); np.save("g.npy", g); g[:2].tofile("g01.f32"); np.save("g2.npy", g[2:])
b = g.copy(); b[1, 180, 123] = np.inf; np.save("gbad.npy", b)
v = w.copy(); v[190, 7] = np.nan; np.save("wbad.npy", v)'
	lora-init --w0 w.npy --grad g.npy -r 4 --svd full --out-prefix a
	lora-init --w0 w.npy --grad g01.f32 --grad g2.npy -r 4 --svd full --out-prefix b
	run py 'm = json.load(open("a.json")); A = np.load("a.A.npy").astype(float); B = np.load("a.B.npy").astype(float)
W = np.load("a.w0.npy").astype(float); w0 = np.load("w.npy").astype(float); G = np.load("g.npy").astype(float).mean(0)
S = np.linalg.svd(G, compute_uv=False)
print(np.allclose(m["sigma"], S[:8], rtol=1e-12, atol=0), np.abs(W + m["scale"] * B @ A - w0).max() < 1e-5,
      all((np.load("a." + x + ".npy") == np.load("b." + x + ".npy")).all() for x in ("A", "B", "w0")))'
	assert_output 'True True True'
	lora-init --w0 w.npy -m lora -r 2 --out-prefix c
	run py 'print((np.load("c.w0.npy") == np.load("w.npy")).all())'
	assert_output True
	run lora-init --w0 w.npy --grad gbad.npy -r 2 --out-prefix d
	assert_failure 1
	assert_output 'lora-init: gbad.npy: gradient 2, row 181, column 124 is not a finite float32 value'
	run lora-init --w0 wbad.npy --grad g.npy -r 2 --out-prefix d
	assert_failure 1
	assert_output 'lora-init: wbad.npy: the value at row 191, column 8 is not a finite float32 value'
}

@test "lora-init: file mode bad files: message names the file, exit 1" {
	cd "$BATS_TEST_TMPDIR"
	py 'r = np.random.default_rng(1)
np.save("w.npy", r.standard_normal((6, 8))); np.save("g.npy", r.standard_normal((6, 7)))
np.save("i.npy", np.arange(48).reshape(6, 8)); np.save("f.npy", np.asfortranarray(r.standard_normal((6, 8))))
np.zeros(47, np.float32).tofile("w.f32"); open("x.txt", "w").write("1 2 3\n")'
	run lora-init --w0 w.npy --grad g.npy -r 2
	assert_failure 1
	[[ "$output" == "lora-init: g.npy: expected gradients of W0's shape 6 x 8"* ]]
	run lora-init --w0 i.npy -m lora
	assert_failure 1
	[[ "$output" == "lora-init: i.npy: .npy dtype"* ]]
	run lora-init --w0 f.npy -m lora
	assert_failure 1
	[[ "$output" == *"Fortran order"* ]]
	run lora-init --w0 w.f32 --cols 8 -m lora
	assert_failure 1
	[[ "$output" == "lora-init: w.f32: "* ]]
	run lora-init --w0 w.f32 --cols 47 --rows 2 -m lora
	assert_failure 1
	run lora-init --w0 x.txt -m lora
	assert_failure 1
	[[ "$output" == "lora-init: x.txt: unknown matrix format"* ]]
	run lora-init --w0 missing.npy -m lora
	assert_failure 1
	run lora-init --w0 w.npy -r 2
	assert_failure 1
	assert_output 'lora-init: w.npy: lora-ga needs a gradient ("grad" or "grads")'
	head -c 200 g.npy > t.npy
	run lora-init --w0 w.npy --grad t.npy -r 2
	assert_failure 1
	[[ "$output" == "lora-init: t.npy: .npy data is truncated"* ]]
	head -c 100 /dev/zero > g.f32
	run lora-init --w0 w.npy --grad g.f32 -r 2
	assert_failure 1
	assert_output 'lora-init: g.f32: 100 bytes is not a whole number of rows of 8 f32 values'
	py 'np.full((2, 6, 8), np.inf).tofile("gi.f64")'
	run lora-init --w0 w.npy --grad gi.f64 -r 2
	assert_failure 1
	assert_output 'lora-init: gi.f64: gradient 1, row 1, column 1 is not a finite float32 value'
}

@test "lora-init: mica (C11): B^T B = I from the r smallest singular vectors, A = 0, w0_adj = W0 bit for bit" {
	py 'r = np.random.default_rng(7)
for sh in [(9, 5), (5, 9)]: print(json.dumps({"w0": r.standard_normal(sh).astype(np.float32).tolist()}))' > "$BATS_TEST_TMPDIR/in"
	lora-init -m mica -r 2 < "$BATS_TEST_TMPDIR/in" > "$BATS_TEST_TMPDIR/out"
	run py '
ok = True
for li, lo in zip(open(sys.argv[1]), open(sys.argv[2])):
    W = np.array(json.loads(li)["w0"], np.float32); o = json.loads(lo)
    B = np.array(o["B"], np.float32).astype(float); U, S, Vh = np.linalg.svd(W.astype(float), full_matrices=False)
    ok &= np.allclose(B.T @ B, np.eye(2), atol=1e-6) and np.allclose(B @ B.T, U[:, -2:] @ U[:, -2:].T, atol=1e-6)
    ok &= not np.array(o["A"]).any() and (np.array(o["w0_adj"], np.float32) == W).all()
    ok &= np.allclose(o["sigma"], S[-2:], rtol=1e-12) and o["sigma"][0] >= o["sigma"][1]
print(ok)' "$BATS_TEST_TMPDIR/in" "$BATS_TEST_TMPDIR/out"
	assert_output True
}

@test "lora-init: --grad-transform sign equals lora-ga on sign(G); --dora gives the output-row norms; --stats" {
	layers 2 > "$BATS_TEST_TMPDIR/in"
	jq -c '.grad |= map(map(if . > 0 then 1 elif . < 0 then -1 else 0 end))' "$BATS_TEST_TMPDIR/in" > "$BATS_TEST_TMPDIR/sg"
	a=$(lora-init -r 2 --grad-transform sign --check -f A,B,w0_adj,sigma,check < "$BATS_TEST_TMPDIR/in")
	b=$(lora-init -r 2 --check -f A,B,w0_adj,sigma,check < "$BATS_TEST_TMPDIR/sg")
	[ "$a" = "$b" ]
	c=$(jq -c '. + {grad_transform: "sign"}' "$BATS_TEST_TMPDIR/in" | lora-init -r 2 --check -f A,B,w0_adj,sigma,check | jq -c 'del(.name, .grad_transform)')
	[ "$(jq -c 'del(.name)' <<< "$a")" = "$c" ]
	lora-init -m lora -r 2 --dora -f dora_m < "$BATS_TEST_TMPDIR/in" > "$BATS_TEST_TMPDIR/t"
	lora-init -m lora -r 2 -l blog -f dora_m < "$BATS_TEST_TMPDIR/in" > "$BATS_TEST_TMPDIR/b"
	run py '
ok = True
for li, lt, lb in zip(open(sys.argv[1]), open(sys.argv[2]), open(sys.argv[3])):
    W = np.array(json.loads(li)["w0"], np.float32).astype(float)
    t = np.array(json.loads(lt)["dora_m"], np.float32); b = np.array(json.loads(lb)["dora_m"], np.float32)
    ok &= (t == np.linalg.norm(W, axis=1).astype(np.float32)).all() and (b == np.linalg.norm(W, axis=0).astype(np.float32)).all()
print(ok, len(t), len(b))' "$BATS_TEST_TMPDIR/in" "$BATS_TEST_TMPDIR/t" "$BATS_TEST_TMPDIR/b"
	assert_output 'True 9 7'
	run lora-init -m lora -r 1 --stats -f rank <<< $'{"w0":[[1]]}\n{"w0":[]}\n{"w0":[[0,0],[0,0]],"grad":[[0,0],[0,0]],"method":"lora-ga"}' -K
	assert_failure 1
	[[ "${lines[-1]}" =~ ^\{\"records\":3,\"bad\":1,\"warnings\":1,\"seconds\":[0-9.e-]+\}$ ]]
}

@test "lora-init: --convert (C14): W0 + s B' A' = w0_adj + s B A, alpha' = 2 alpha or sqrt 2 alpha, blog is the transpose" {
	layers 2 > "$BATS_TEST_TMPDIR/in"
	# a PiSSA init, then a pretend training step on A and B
	lora-init -m pissa -r 2 -a 8 --scaling rslora < "$BATS_TEST_TMPDIR/in" |
		jq -c '{name, A0: .A, B0: .B, A: (.A | map(map(. + 0.01))), B: (.B | map(map(. * 1.1))), w0_adj}' > "$BATS_TEST_TMPDIR/tr"
	lora-init --convert -a 8 --scaling rslora < "$BATS_TEST_TMPDIR/tr" > "$BATS_TEST_TMPDIR/cv"
	jq -c '{A0: (.A0 | transpose), B0: (.B0 | transpose), A: (.A | transpose), B: (.B | transpose)}' "$BATS_TEST_TMPDIR/tr" |
		lora-init --convert -a 8 --scaling rslora -l blog -f A,B | jq -c '[(.A | transpose), (.B | transpose)]' > "$BATS_TEST_TMPDIR/bl"
	run py '
ok = True
f = lambda x: np.array(x, np.float32).astype(float)
for li, lt, lc, lb in zip(open(sys.argv[1]), open(sys.argv[2]), open(sys.argv[3]), open(sys.argv[4])):
    W0 = f(json.loads(li)["w0"]); t = json.loads(lt); c = json.loads(lc); b = json.loads(lb)
    s = 8 / math.sqrt(2)
    ok &= c["rank"] == 4 and abs(c["alpha"] - 8 * math.sqrt(2)) < 1e-12 and abs(c["scale"] - s) < 1e-12
    ok &= np.allclose(W0 + s * f(c["B"]) @ f(c["A"]), f(t["w0_adj"]) + s * f(t["B"]) @ f(t["A"]), atol=2e-5)
    ok &= np.allclose(f(c["B"]) @ f(c["A"]), f(t["B"]) @ f(t["A"]) - f(t["B0"]) @ f(t["A0"]), atol=1e-6)
    ok &= c["A0"] == t["A0"] and c["method"] == "convert" and b == [c["A"], c["B"]]
print(ok)' "$BATS_TEST_TMPDIR/in" "$BATS_TEST_TMPDIR/tr" "$BATS_TEST_TMPDIR/cv" "$BATS_TEST_TMPDIR/bl"
	assert_output True
	run lora-init --convert <<< '{"A":[[1]],"B":[[1]],"A0":[[1]]}'
	assert_failure 1
	assert_output 'lora-init: stdin:1: --convert needs "A0", "B0", "A" and "B"; no "B0"'
}

@test "lora-init: corda (C12) agrees with a numpy transcription of peft's corda.py; recon holds for ipm and kpm" {
	py 'r = np.random.default_rng(4)
w = r.standard_normal((7, 5)); x = r.standard_normal((30, 5)) * np.array([3, 1, 0.5, 0.1, 2])
print(json.dumps({"w0": w.tolist(), "x": x.tolist()}))
c = x.T @ x / 30
print(json.dumps({"w0": w.tolist(), "cov": c.tolist(), "x": [[1]]}))
print(json.dumps({"w0": w.T.tolist(), "cov": c.tolist(), "layout": "blog"}))' > "$BATS_TEST_TMPDIR/in"
	for mode in ipm kpm; do
		lora-init -m corda -r 2 -a 4 --corda-mode $mode --check < "$BATS_TEST_TMPDIR/in" > "$BATS_TEST_TMPDIR/$mode"
	done
	run py '
recs = [json.loads(l) for l in open(sys.argv[1])]
f = lambda v: np.array(v, np.float32).astype(float)
W = f(recs[0]["w0"]); X = f(recs[0]["x"]); C = X.T @ X / len(X)
damp = 0.01
while True:
    Cf = C + np.eye(5) * np.mean(np.diag(C)) * damp; inv = np.linalg.inv(Cf)
    if np.linalg.norm(Cf @ inv - np.eye(5)) < 0.05: break
    damp *= 2
U, S, Vh = np.linalg.svd(W @ Cf, full_matrices=False); Vt = Vh @ inv
ok = True
for mode, sl in (("ipm", slice(0, 2)), ("kpm", slice(3, 5))):
    outs = [json.loads(l) for l in open(sys.argv[2] + "/" + mode)]
    o = outs[0]; s = o["scale"]; A = f(o["A"]); B = f(o["B"])
    ok &= np.allclose(o["sigma"], S[sl], rtol=1e-10)
    ok &= np.allclose(s * B @ A, U[:, sl] @ np.diag(S[sl]) @ Vt[sl], atol=1e-5)
    ok &= all(x["check"]["recon_max_abs"] <= 1e-5 for x in outs)
    ok &= np.allclose(f(outs[1]["A"]), A, atol=1e-5) and np.allclose(f(outs[2]["A"]).T, A, atol=1e-5)
print(ok)' "$BATS_TEST_TMPDIR/in" "$BATS_TEST_TMPDIR"
	assert_output True
	run lora-init -m corda -r 1 <<< '{"w0":[[1,2],[3,4]]}'
	assert_failure 1
	assert_output 'lora-init: stdin:1: corda needs "x" (layer inputs) or "cov" (their covariance)'
	run lora-init -m corda -r 1 <<< '{"w0":[[1,2],[3,4]],"cov":[[0,0],[0,0]]}'
	assert_output 'lora-init: stdin:1: corda: the covariance is all zero'
	run lora-init -m corda -r 1 <<< '{"w0":[[1,2],[3,4]],"x":[[1,2,3]]}'
	assert_output 'lora-init: stdin:1: "x" has 1 rows of 3 values, expected rows of d_in = 2'
}
