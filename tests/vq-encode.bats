#!/usr/bin/env bats
# vq-encode: the command line (quantize.md 2, 3, 4.2), against numpy/scipy
# brute force, math.fsum, faiss when importable, and closed forms.
load helper

setup() {
	cd "$BATS_TEST_TMPDIR"
	printf '[1,0]\n[0,1]\n[-1,0]\n' > cb3.jsonl
}

# data.jsonl: N vectors of width D from three blobs; cb.jsonl: K codewords
mkdata() {
	py "
r = np.random.default_rng($1)
X = r.standard_normal(($2, $3)) + 4 * r.integers(0, 3, ($2, 1))
C = r.standard_normal(($4, $3)) * 2
open('data.jsonl', 'w').write(''.join(json.dumps(x) + '\n' for x in X.tolist()))
open('cb.jsonl', 'w').write(''.join(json.dumps(c) + '\n' for c in C.tolist()))"
}

# ----- assignment ----------------------------------------------------------

@test "vq-encode: an exact three-way tie goes to index 0 (claim 11)" {
	run vq-encode -c cb3.jsonl <<< '[0,0]'
	assert_success
	assert_output '{"index":0,"dist":1}'
	run vq-encode -c cb3.jsonl -n 3 -f index <<< '[0,0]'
	assert_output '[0,1,2]'
}

@test "vq-encode: l2, cosine and ip agree with numpy brute force (GEMM path, 600 vectors)" {
	mkdata 1 600 8 64
	for m in l2 cosine ip; do
		vq-encode -c cb.jsonl -m $m -n 3 < data.jsonl > out.jsonl
		py "
X = np.array([json.loads(l) for l in open('data.jsonl')]); C = np.array([json.loads(l) for l in open('cb.jsonl')])
if '$m' == 'l2': D = ((X[:, None] - C[None]) ** 2).sum(-1)
elif '$m' == 'ip': D = -X @ C.T
else:
    n = lambda A: A / np.maximum(np.linalg.norm(A, axis=1, keepdims=True), 1e-12)
    D = 1 - n(X) @ n(C).T
I = np.argsort(D, axis=1, kind='stable')[:, :3]
out = [json.loads(l) for l in open('out.jsonl')]
got = np.array([o['index'] for o in out]); dist = np.array([o['dist'] for o in out])
assert (got == I).all(), (got != I).sum()
assert np.allclose(dist, np.take_along_axis(D, I, 1), rtol=1e-12, atol=1e-12)
"
	done
}

@test "vq-encode: top-1 agrees with faiss IndexFlatL2 (if faiss imports)" {
	"$PYTHON" -c 'import faiss' 2>/dev/null || skip "faiss is not importable"
	mkdata 2 2000 16 256
	vq-encode -c cb.jsonl -f index < data.jsonl > idx.txt
	py "
import faiss
X = np.array([json.loads(l) for l in open('data.jsonl')]); C = np.array([json.loads(l) for l in open('cb.jsonl')])
ix = faiss.IndexFlatL2(16); ix.add(C.astype('float32')); D, I = ix.search(X.astype('float32'), 1)
got = np.loadtxt('idx.txt', dtype=int)
ref = ((X[:, None] - C[None]) ** 2).sum(-1)
# where faiss differs it is a float32 near-tie: our pick is the double-precision argmin
diff = np.nonzero(got != I[:, 0])[0]
assert len(diff) <= 2, len(diff)
assert (got == ref.argmin(1)).all()
"
}

@test "vq-encode: an input equal to a codeword has dist exactly 0 on the GEMM path (claim 18)" {
	py "
import itertools
g = [[(2 * t - (L - 1)) / (L - 1) for t in range(L)] for L in (8, 5, 5, 5)]
C = np.array([list(reversed(p)) for p in itertools.product(*reversed(g))])
np.save('grid.npy', C)
open('grid.jsonl', 'w').write(''.join(json.dumps(c) + '\n' for c in C.tolist()))"
	run bash -c 'vq-encode -c grid.npy -f dist < grid.jsonl | sort -u'
	assert_output '0'
	run bash -c 'vq-encode -c grid.npy -f index < grid.jsonl | awk "\$1 != NR - 1" | wc -l'
	assert_output '0'
}

@test "vq-encode: batches, objects, text and -u give the same assignments" {
	mkdata 3 40 3 7
	vq-encode -c cb.jsonl -f index < data.jsonl > a.txt
	py "print(json.dumps([json.loads(l) for l in open('data.jsonl')]))" | vq-encode -c cb.jsonl -f index > b.json
	run py "print(json.load(open('b.json')) == [int(l) for l in open('a.txt')])"
	assert_output True
	jq -c '{id: 1, x: .}' data.jsonl | vq-encode -c cb.jsonl -f index | jq -r .index > c.txt
	cmp a.txt c.txt
	jq -r 'map(tostring) | join(" ")' data.jsonl | vq-encode -c cb.jsonl -u -f index > d.txt
	cmp a.txt d.txt
}

@test "vq-encode: an object keeps its fields; batch with -n 2 nests quantized rows" {
	run vq-encode -c cb3.jsonl -f quantized,index <<< '{"id":"a","x":[0.9,0.1]}'
	assert_output '{"id":"a","x":[0.9,0.1],"quantized":[1,0],"index":0}'
	run vq-encode -c cb3.jsonl -n 2 -f index,quantized <<< '[[0.9,0.2],[-1,0.1]]'
	assert_output '{"index":[[0,1],[2,1]],"quantized":[[[1,0],[0,1]],[[-1,0],[0,1]]]}'
}

@test "vq-encode: raw f32 in, u32 out, counted with numpy" {
	mkdata 4 300 4 16
	py "np.array([json.loads(l) for l in open('data.jsonl')]).astype('<f4').tofile('x.f32')
np.save('cb.npy', np.array([json.loads(l) for l in open('cb.jsonl')]))"
	vq-encode -c cb.npy -i f32 -O u32 x.f32 > i.u32
	run py "
X = np.fromfile('x.f32', '<f4').astype(float).reshape(-1, 4); C = np.load('cb.npy')
print((np.fromfile('i.u32', '<u4') == ((X[:, None] - C[None]) ** 2).sum(-1).argmin(1)).all())"
	assert_output True
	vq-encode -c cb.npy -i f32 x.f32 > q.f32
	run py "
X = np.fromfile('x.f32', '<f4').astype(float).reshape(-1, 4); C = np.load('cb.npy')
print(np.array_equal(np.fromfile('q.f32', '<f4'), C[((X[:, None] - C[None]) ** 2).sum(-1).argmin(1)].astype('<f4').ravel()))"
	assert_output True
}

@test "vq-encode: summary: perplexity <= used <= K, entropy equals scipy's (claim 13)" {
	mkdata 5 500 4 32
	vq-encode -c cb.jsonl -f index < data.jsonl > idx.txt
	vq-encode -c cb.jsonl --stats-only < data.jsonl > s.json
	run py "
from scipy.stats import entropy
s = json.load(open('s.json')); i = np.loadtxt('idx.txt', dtype=int); n = np.bincount(i, minlength=32)
assert s['count'] == 500 and s['codebook_size'] == 32 and s['used'] == (n > 0).sum() and s['dead'] == 32 - s['used']
assert abs(s['usage'] - s['used'] / 32) < 1e-15 and 1 <= s['perplexity'] <= s['used'] <= 32
assert abs(s['entropy_bits'] - entropy(n, base=2)) < 1e-12, (s['entropy_bits'], entropy(n, base=2))
print(list(s))"
	assert_output "['count', 'codebook_size', 'used', 'usage', 'entropy_bits', 'perplexity', 'sqdist_mean', 'mse', 'codebook_loss', 'commit_loss', 'dead']"
}

@test "vq-encode: codebook and commitment losses equal mse; commit = beta mse (claim 14)" {
	mkdata 6 200 5 9
	run bash -c 'vq-encode -c cb.jsonl --stats-only --beta 0.5 < data.jsonl'
	s=$output
	run py "
s = json.loads('$s'); X = np.array([json.loads(l) for l in open('data.jsonl')]); C = np.array([json.loads(l) for l in open('cb.jsonl')])
d = ((X[:, None] - C[None]) ** 2).sum(-1).min(1)
assert s['codebook_loss'] == s['mse'] and s['commit_loss'] == 0.5 * s['mse']
assert abs(s['sqdist_mean'] - 5 * s['mse']) <= 1e-15 * s['sqdist_mean']
assert abs(s['sqdist_mean'] - d.mean()) <= 1e-12 * d.mean()"
	assert_success
	run bash -c 'vq-encode -c cb.jsonl --stats < /dev/null 2>&1 >/dev/null'
	assert_output '{"count":0,"codebook_size":9,"used":0,"usage":0,"entropy_bits":null,"perplexity":null,"sqdist_mean":null,"mse":null,"codebook_loss":null,"commit_loss":null,"dead":9}'
}

@test "vq-encode: a codebook far from the data collapses to 1-3 codes, the smallest norm first (claim 9)" {
	py "
r = np.random.default_rng(0); C = r.standard_normal((1024, 16)); X = 0.01 * r.standard_normal((1000, 16))
np.save('far.npy', C); np.save('small.npy', X.astype('<f8')); X.tofile('x.f64')
open('argmin.txt', 'w').write(str(int(np.argmin((C ** 2).sum(1)))))"
	run bash -c 'vq-encode -c far.npy -i f64 --stats-only x.f64 | jq .used'
	[ "$output" -ge 1 ] && [ "$output" -le 3 ]
	run bash -c 'vq-encode -c far.npy -i f64 -O json -f index x.f64 | sort | uniq -c | sort -rn | head -1 | awk "{print \$2}"'
	assert_output "$(cat argmin.txt)"
}

# ----- training ------------------------------------------------------------

@test "vq-encode: k-means history is non-increasing and a seed reproduces the file (claim 12)" {
	mkdata 7 600 3 4
	vq-encode -t 6 -s 3 --stats < data.jsonl > a.jsonl 2> s.json
	vq-encode -t 6 -s 3 < data.jsonl > b.jsonl
	cmp a.jsonl b.jsonl
	run py "
s = json.load(open('s.json')); h = s['history']
assert all(b <= a for a, b in zip(h, h[1:])) and s['inertia'] == h[-1] and len(h) == s['iters'] + 1
print(list(s))"
	assert_output "['k', 'n', 'seed', 'iters', 'converged', 'inertia', 'history', 'used', 'usage', 'entropy_bits', 'perplexity']"
	vq-encode -t 6 -s 4 < data.jsonl > c.jsonl
	! cmp -s a.jsonl c.jsonl
}

@test "vq-encode: --init first --empty keep agrees with scipy kmeans2 (claim 12)" {
	mkdata 8 400 4 5
	vq-encode -t 5 --init first --empty keep --iters 7 < data.jsonl > ours.jsonl
	run py "
from scipy.cluster.vq import kmeans2
X = np.array([json.loads(l) for l in open('data.jsonl')])
C, _ = kmeans2(X, X[:5].copy(), iter=7, minit='matrix', missing='warn')
ours = np.array([json.loads(l) for l in open('ours.jsonl')])
print(np.abs(ours - C).max() < 1e-12)"
	assert_output True
}

@test "vq-encode: centroids are fl(fsum(points) / n), bit for bit (claim 20)" {
	mkdata 9 300 3 6
	vq-encode -c cb.jsonl -t 6 --iters 1 --empty keep < data.jsonl > next.jsonl
	run py "
X = np.array([json.loads(l) for l in open('data.jsonl')]); C = np.array([json.loads(l) for l in open('cb.jsonl')])
a = ((X[:, None] - C[None]) ** 2).sum(-1).argmin(1)
want = [[math.fsum(X[a == k, j]) / (a == k).sum() if (a == k).any() else C[k, j] for j in range(3)] for k in range(6)]
got = [json.loads(l) for l in open('next.jsonl')]
print(got == want)"
	assert_output True
}

@test "vq-encode: --redo keeps the lowest inertia over seeds seed..seed+R-1" {
	mkdata 10 300 2 5
	for s in 2 3 4; do vq-encode -t 5 -s $s --stats-only < data.jsonl | jq .inertia; done > each.txt
	run bash -c 'vq-encode -t 5 -s 2 --redo 3 --stats-only < data.jsonl | jq -c "[.inertia, .seed]"'
	want=$(awk 'NR == 1 || $1 < m { m = $1; s = NR + 1 } END { printf "[%s,%d]", m, s }' each.txt)
	close "$output" "$want" 0 0
}

@test "vq-encode: every --init draws rows of the data; --iters 0 writes the initial codebook" {
	mkdata 11 50 2 4
	for m in kmeans++ random first maximin; do
		vq-encode -t 4 --init $m --iters 0 < data.jsonl > c.jsonl
		run py "
X = [json.loads(l) for l in open('data.jsonl')]; C = [json.loads(l) for l in open('c.jsonl')]
print(len(C) == 4 and all(c in X for c in C) and len({tuple(c) for c in C}) == 4)"
		assert_output True
	done
	vq-encode -t 4 --init first --iters 0 < data.jsonl | cmp - <(head -4 data.jsonl | jq -c .)
}

@test "vq-encode: -o cb.npy writes the trained codebook as .npy" {
	mkdata 12 100 3 4
	vq-encode -t 4 -o c.npy < data.jsonl
	vq-encode -t 4 < data.jsonl > c.jsonl
	run py "print(np.array_equal(np.load('c.npy'), np.array([json.loads(l) for l in open('c.jsonl')])))"
	assert_output True
}

# ----- map and merge ---------------------------------------------------------

@test "vq-encode: map/merge over 1, 2 and 7 shards equals -t byte for byte, with relocations (claim 21)" {
	mkdata 13 700 4 10
	py "
C = np.array([json.loads(l) for l in open('cb.jsonl')]); C[3] += 60; C[7] -= 90; C[8] = C[2]
open('c0.jsonl', 'w').write(''.join(json.dumps(c) + '\n' for c in C.tolist()))"
	for T in 1 $(vg 3 2); do
		vq-encode -c c0.jsonl -t 10 --iters $T < data.jsonl > ref.jsonl
		for S in 1 $(vg '2 7' 3); do
			cp c0.jsonl cur.jsonl
			for i in $(seq $T); do
				rm -f sh.*; split -n l/$S data.jsonl sh.
				for f in sh.*; do vq-encode -c cur.jsonl --partial < $f; done > parts.jsonl
				vq-encode -c cur.jsonl --merge --stats < parts.jsonl > next.jsonl 2>> merge.log
				mv next.jsonl cur.jsonl
			done
			cmp cur.jsonl ref.jsonl
		done
	done
	run bash -c "jq -s 'map(.relocated) | max' merge.log"
	[ "$output" -ge 1 ]
}

@test "vq-encode: a partial has the keys of 2.5 and its sums read back exactly in numpy" {
	mkdata 14 100 3 5
	vq-encode -c cb.jsonl --partial < data.jsonl > p.json
	run py "
p = json.load(open('p.json')); X = np.array([json.loads(l) for l in open('data.jsonl')]); C = np.array([json.loads(l) for l in open('cb.jsonl')])
a = ((X[:, None] - C[None]) ** 2).sum(-1).argmin(1)
assert list(p) == ['k', 'dim', 'n', 'counts', 'sums', 'inertia', 'far'] and p['n'] == 100
assert p['counts'] == np.bincount(a, minlength=5).tolist()
assert all(p['sums'][0][k][j] == math.fsum(X[a == k, j]) for k in range(5) for j in range(3))
print('ok')"
	assert_output ok
}

@test "vq-encode: merge rejects a line that is not a partial, and a k or dim not CUR's" {
	run vq-encode -c cb3.jsonl --merge <<< '[1,2]'
	assert_failure 1
	assert_output 'vq-encode: stdin:1: expected a partial object, got an array'
	printf '[1,0,0]\n[0,1,0]\n' > cb2.jsonl
	vq-encode -c cb2.jsonl --partial <<< '[1,1,1]' > p.json
	run vq-encode -c cb3.jsonl --merge p.json
	assert_failure 1
	assert_output 'vq-encode: p.json:1: the partial has k = 2 and dim = 3, the codebook 3 and 2'
}

@test "vq-encode: train or merge with fewer than K vectors is exit 1" {
	run vq-encode -t 5 <<< $'[1]\n[2]\n[3]'
	assert_failure 1
	assert_output 'vq-encode: need at least 5 vectors, got 3'
	vq-encode -c cb3.jsonl --partial <<< '[1,1]' > p.json
	run vq-encode -c cb3.jsonl --merge p.json
	assert_failure 1
	assert_output 'vq-encode: need at least 3 vectors, got 1'
}

@test "vq-encode: an exact sum that overflows the double range is exit 1" {
	run vq-encode -t 1 --init first -q <<< $'[1e308]\n[1e308]'
	assert_failure 1
	assert_output 'vq-encode: an exact sum overflows the double range'
}

# ----- Transformer-VQ --------------------------------------------------------

mkattn() {
	py "
r = np.random.default_rng(1); n, dk, dv, c = $1, 8, 4, 16
f = lambda *s: r.standard_normal(s).tolist()
print(json.dumps({'q': f(n, dk), 'k': f(n, dk), 'v': f(n, dv), 'codebook': f(c, dk)}))" > rec.jsonl
}

@test "vq-encode: -A: the identity holds to 1e-12 and quadratic is numpy's softmax (claim 15)" {
	mkattn 48
	for s in "" "--scale 30"; do
		run bash -c "vq-encode -A $s -f codes,quadratic,exact,max_rel_diff < rec.jsonl"
		echo "$output" > o.json
		run py "
r = json.load(open('rec.jsonl')); o = json.load(open('o.json'))
Q, K, V, C = (np.array(r[k]) for k in ('q', 'k', 'v', 'codebook')); s = float('${s#--scale }' or 8 ** -0.5)
z = ((K[:, None] - C[None]) ** 2).sum(-1).argmin(1)
def att(K):
    S = s * Q @ K.T; P = np.exp(S - S.max(1, keepdims=True)); return (P / P.sum(1, keepdims=True)) @ V
assert o['codes'] == z.tolist() and o['max_rel_diff'] < 1e-12
assert np.abs(np.array(o['quadratic']) - att(C[z])).max() < 1e-13
assert np.abs(np.array(o['exact']) - att(K)).max() < 1e-13
print('ok')"
		assert_output ok
	done
}

@test "vq-encode: -A --causal: every block 1..n, with and without a bias, < 1e-12 (claim 16)" {
	mkattn 12
	for L in $(vg "$(seq 1 12)" '1 2 5 12'); do
		vq-encode -A --causal --block $L -f max_abs_diff,linear < rec.jsonl
		[ $L -ge 2 ] && vq-encode -A --causal --block $L --bias 0.5,-0.25,0.125 -f max_abs_diff < rec.jsonl
	done > all.jsonl
	run py "
o = [json.loads(l) for l in open('all.jsonl')]
assert max(x['max_abs_diff'] for x in o) < 1e-12
lin = [np.array(x['linear']) for x in o if 'linear' in x]
print(len(lin), max(np.abs(l - lin[0]).max() for l in lin) < 1e-12)"
	assert_output "$(vg 12 4) True"
}

@test "vq-encode: -A --causal --bias matches a numpy biased causal softmax" {
	mkattn 17
	vq-encode -A --causal --block 4 --bias 0.5,-0.25,0.125 -f quadratic < rec.jsonl > o.json
	run py "
r = json.load(open('rec.jsonl')); Q, K, V, C = (np.array(r[k]) for k in ('q', 'k', 'v', 'codebook'))
z = ((K[:, None] - C[None]) ** 2).sum(-1).argmin(1); S = Q @ C[z].T / np.sqrt(8); b = [0.5, -0.25, 0.125]
for i in range(17):
    for j in range(17):
        S[i, j] = S[i, j] + b[i - j] if 0 <= i - j <= 2 else (S[i, j] if j < i else (S[i, j] if i == j else -np.inf))
P = np.exp(S - S.max(1, keepdims=True)); O = (P / P.sum(1, keepdims=True)) @ V
print(np.abs(np.array(json.load(open('o.json'))['quadratic']) - O).max() < 1e-13)"
	assert_output True
}

@test "vq-encode: flops ratio reproduces the table of 3.3 at n = c = 512, dk = 128, dv = 1536 (claim 17)" {
	py "
z = lambda r, c: [[0] * c for _ in range(r)]
print(json.dumps({'q': z(512, 128), 'k': z(512, 128), 'v': z(512, 1536), 'codebook': z(512, 128)}))" > big.jsonl
	run bash -c 'vq-encode -A -f flops < big.jsonl | jq -c .flops'
	close "$output" '{"quadratic":436207616,"linear":436994048,"assign":33554432,"ratio":0.9982003599280144}'
	run bash -c 'vq-encode -A --causal --block 512 -f flops < big.jsonl | jq .flops.ratio'
	close "$output" 0.33 0 0.005
	run bash -c 'vq-encode -A --causal --block 1 -f flops < big.jsonl | jq .flops.ratio'
	close "$output" 0.50 0 0.005
}

@test "vq-encode: -A errors: missing, ragged, empty, mismatched, no codebook (exit 1, line number)" {
	run vq-encode -A <<< $'{"q":[[1]],"k":[[1]],"v":[[1]],"codebook":[[1]]}\n{"q":[[1]],"v":[[1]]}'
	assert_failure 1
	assert_line -n 1 'vq-encode: stdin:2: missing "k"'
	[ "${#lines[@]}" -eq 2 ]
	run vq-encode -A <<< '{"q":[[1,2],[1]],"k":[[1]],"v":[[1]]}'
	assert_output 'vq-encode: stdin:1: "q" is ragged (its rows differ in length, or are empty)'
	run vq-encode -A <<< '{"q":[],"k":[],"v":[]}'
	assert_output 'vq-encode: stdin:1: "q" must be a non-empty array of rows'
	run vq-encode -A <<< '{"q":[[1]],"k":[[1],[2]],"v":[[1]],"codebook":[[1]]}'
	assert_output --partial 'vq-encode: stdin:1: shapes disagree'
	run vq-encode -A <<< '{"q":[[1]],"k":[[1]],"v":[[1]]}'
	assert_failure 1
	assert_output 'vq-encode: stdin:1: no codebook: give -c FILE or a "codebook" field'
}

# ----- errors of 4.2 ---------------------------------------------------------

@test "vq-encode: a vector of the wrong width stops after every earlier record, exit 1" {
	run vq-encode -c cb3.jsonl -f index <<< $'[0.9,0]\n[0,1]\n[1,2,3]\n[0,0]'
	assert_failure 1
	assert_output $'0\n1\nvq-encode: stdin:3: expected 2 values, got 3'
}

@test "vq-encode: NaN or infinity in a vector is exit 1 with the line; -K goes on" {
	run vq-encode -c cb3.jsonl -f index <<< $'[1,0]\n[NaN,0]'
	assert_failure 1
	assert_output $'0\nvq-encode: stdin:2: expected finite numbers, got NaN at position 0'
	run vq-encode -c cb3.jsonl -f index -K <<< $'[1,0]\n["-Infinity",0]\n[-1,0]\n[0,"x"]\n[0,1]'
	assert_failure 1
	assert_output $'0\nvq-encode: stdin:2: expected finite numbers, got -Infinity at position 0\n2\nvq-encode: stdin:4: expected a number, got the string "x"\n1'
}

@test "vq-encode: raw input ending in a partial record is exit 1 after every whole record" {
	py "np.array([1, 0, 0, 1, 5], '<f8').tofile('x.f64')"
	run vq-encode -c cb3.jsonl -i f64 -O json -f index x.f64
	assert_failure 1
	assert_output $'0\n1\nvq-encode: x.f64: record 3: trailing partial record (8 of 16 bytes)'
}

@test "vq-encode: raw in, raw out over many tiles: -n 2 indices and distances against numpy" {
	# 9000 vectors: more than two blocks of the raw path, ending in a part block
	py "
r = np.random.default_rng(11)
C = r.standard_normal((37, 5)).astype('<f4').astype(float); np.save('cb.npy', C)
X = r.standard_normal((9000, 5)); X[::5] = C[r.integers(0, 37, 1800)]   # some on codewords
X.astype('<f4').tofile('x.f32')"
	vq-encode -c cb.npy -i f32 -O u32 -n 2 x.f32 > i.u32
	vq-encode -c cb.npy -i f32 -O f64 -n 2 -f dist x.f32 > d.f64
	run py "
X = np.fromfile('x.f32', '<f4').astype(float).reshape(-1, 5); C = np.load('cb.npy')
D = ((X[:, None] - C[None]) ** 2).sum(-1); o = np.argsort(D, 1, kind='stable')[:, :2]
i = np.fromfile('i.u32', '<u4').reshape(-1, 2); d = np.fromfile('d.f64', '<f8').reshape(-1, 2)
print(np.array_equal(i, o), np.allclose(d, np.take_along_axis(D, o, 1), rtol=1e-13, atol=0), (d[::5, 0] == 0).all())"
	assert_output 'True True True'
}

@test "vq-encode: raw in, raw out: a NaN record is exit 1 after every earlier vector; -K goes on, also past a partial record" {
	py "
X = np.array([[1, 0], [0, 1], [np.nan, 0], [-1, 0], [0, -np.inf], [0.9, 0.2]], '<f4')
X.tofile('bad.f32'); open('part.f32', 'wb').write(X[:1].tobytes() + bytes(3))"
	run bash -c 'vq-encode -c cb3.jsonl -i f32 -O u32 bad.f32 | od -An -tu4 | xargs'
	assert_output $'vq-encode: bad.f32: record 3: expected finite numbers, got NaN at position 0\n0 1'
	run bash -c 'vq-encode -c cb3.jsonl -i f32 -O u32 -K part.f32 bad.f32 2>&1 >i.u32; echo "exit $?"; od -An -tu4 i.u32 | xargs'
	assert_output $'vq-encode: part.f32: record 2: trailing partial record (3 of 8 bytes)\nvq-encode: bad.f32: record 3: expected finite numbers, got NaN at position 0\nvq-encode: bad.f32: record 5: expected finite numbers, got -Infinity at position 1\nexit 1\n0 0 1 2 0'
	run bash -c 'vq-encode -c cb3.jsonl -i f32 --stats-only -K bad.f32 2>/dev/null | jq -c "[.count, .used]"'
	assert_output '[4,3]'
}

@test "vq-encode: usage errors are exit 2 before any input is read" {
	for args in "" "-t 2 --partial -c cb3.jsonl" "--partial" "--merge" "-c cb3.jsonl -n 0" "-c cb3.jsonl -n 4" \
		"-t 0" "-t 2 --iters -1" "-t 2 --redo 0" "-t 2 -m cosine" "-c cb3.jsonl --partial -m ip" "-A -m ip" \
		"-t 3 -c cb3.jsonl --init random" "-t 3 -c cb3.jsonl --redo 2" "-A --block 2" "-A --bias 1" \
		"-A --causal --block 1 --bias 1,2,3" "-A -i text" "-A -O text" "-c cb3.jsonl --partial -O text" \
		"-c cb3.jsonl -f index,nope" "-c cb3.jsonl -f index,index" "-c cb3.jsonl -O f64 -f index,dist" \
		"-c cb3.jsonl -O u32 -f dist" "-c cb3.jsonl --partial --stats" "-A --stats" "-c cb3.jsonl -m euclid" \
		"-t 2 --init nope" "-t 2 --empty nope" "-c cb3.jsonl --beta -1" "-A --scale inf" "-t 2 -n 2" \
		"--online" "-c cb3.jsonl --decay 0.5" "-c cb3.jsonl --online --decay 2" "-c cb3.jsonl --online -m ip" \
		"-c cb3.jsonl --online --dead -1" "-t 2 --save x.npy"; do
		run bash -c "echo '[0,0]' | vq-encode $args"
		[ "$status" -eq 2 ] || { echo "args: $args -> $status: $output"; return 1; }
		[[ "${lines[0]}" == vq-encode:\ * ]] && [[ "${lines[1]}" == *--help* ]] || { echo "$args: $output"; return 1; }
		[ "${#lines[@]}" -eq 2 ] || { echo "$args: $output"; return 1; }
	done
	run vq-encode
	assert_output --partial 'vq-encode: --codebook FILE is required (or --train K)'
}

@test "vq-encode: a bad codebook file is exit 1 before any input is read" {
	printf '[1,2]\n[3]\n' > ragged.jsonl
	printf '[1,2]\n["NaN",3]\n' > nan.jsonl
	printf '[]\n' > empty.json
	for f in nope.jsonl ragged.jsonl nan.jsonl empty.json; do
		run bash -c "echo '[0,0]' | vq-encode -c $f"
		assert_failure 1
		[[ "$output" == "vq-encode: $f: "* ]] && [ "${#lines[@]}" -eq 1 ]
	done
	run bash -c "echo '[0,0]' | vq-encode -c cb3.jsonl -d 3"
	assert_failure 1
	assert_output 'vq-encode: cb3.jsonl: --dim 3 disagrees with the codebook'"'"'s width 2'
	run bash -c "echo '[0,0]' | vq-encode -c cb3.jsonl -t 4"
	assert_failure 1
	assert_output 'vq-encode: cb3.jsonl: the initial codebook has 3 rows, -t asks for 4'
}

@test "vq-encode: the distributed Makefile of 4.3 (GNU parallel, cmp to a fixed point) equals -t" {
	command -v parallel > /dev/null || skip "GNU parallel is not installed"
	mkdata 15 "$(vg 500 200)" 3 8
	cat > Makefile <<'MK'
K  = 8
IT = 8

c0.jsonl: data.jsonl
	shuf -n 50000 --random-source=data.jsonl data.jsonl | vq-encode -t $(K) --iters 0 -o $@

codebook.jsonl: c0.jsonl data.jsonl
	cp c0.jsonl cur.jsonl; \
	for i in $$(seq $(IT)); do \
	  parallel --pipe --keep-order --block 4k vq-encode -c cur.jsonl --partial < data.jsonl \
	    | vq-encode -c cur.jsonl --merge -o next.jsonl || exit 1; \
	  if cmp -s cur.jsonl next.jsonl; then break; fi; mv next.jsonl cur.jsonl; \
	done; mv cur.jsonl $@

check: codebook.jsonl
	vq-encode -c c0.jsonl -t $(K) --iters $(IT) < data.jsonl | cmp - codebook.jsonl
MK
	run make -s check IT="$(vg 8 3)"
	assert_success
	[ "$(parallel --pipe --keep-order --block 4k vq-encode -c c0.jsonl --partial < data.jsonl | wc -l)" -ge 3 ]
}

@test "vq-encode: distances beyond the double range are Infinity (direct loop), and so are the losses" {
	run bash -c "echo '[1e200,0]' | vq-encode -c cb3.jsonl --stats 2>&1"
	assert_success
	assert_line -n 0 '{"index":0,"dist":"Infinity"}'
	assert_line -n 1 --partial '"sqdist_mean":"Infinity","mse":"Infinity"'
}

@test "vq-encode: --online: the assignment before each EMA update, and the final codebook, equal a numpy EMA (2.6)" {
	py "
r = np.random.default_rng(16)
open('b.jsonl', 'w').write(''.join(json.dumps((r.standard_normal((50, 3)) + 4 * r.integers(0, 3, (50, 1))).tolist()) + '\n' for _ in range(6)))
open('c0.jsonl', 'w').write(''.join(json.dumps(c) + '\n' for c in r.standard_normal((4, 3)).tolist()))"
	vq-encode -c c0.jsonl --online --decay 0.8 --laplace 1e-5 --save final.jsonl -f index < b.jsonl > idx.jsonl
	run py "
C = np.array([json.loads(l) for l in open('c0.jsonl')]); K = len(C); N = np.ones(K); m = C.copy()
ok = True
for line, got in zip(open('b.jsonl'), open('idx.jsonl')):
    X = np.array(json.loads(line)); a = ((X[:, None] - C[None]) ** 2).sum(-1).argmin(1)
    ok &= a.tolist() == json.loads(got)
    n = np.bincount(a, minlength=K); s = np.zeros_like(C); np.add.at(s, a, X)
    N = 0.8 * N + 0.2 * n; m = 0.8 * m + 0.2 * s; T = N.sum()
    C = m / ((N + 1e-5) / (T + K * 1e-5) * T)[:, None]
got = np.array([json.loads(l) for l in open('final.jsonl')])
print(ok, np.abs(got - C).max() < 1e-12)"
	assert_output 'True True'
}

@test "vq-encode: --online --dead replaces a starved code by the batch's worst-quantised vector" {
	printf '[0,0]\n[100,100]\n' > c2.jsonl
	run bash -c "echo '[[0,1],[0,-1],[3,0]]' | vq-encode -c c2.jsonl --online --decay 0.5 --laplace 0 --dead 0.6 --save s.jsonl -f index && cat s.jsonl"
	# code 0: N = 0.5 + 0.5 * 3 = 2, m = 0.5 * [3,0]: [0.75,0]; code 1: N = 0.5 < 0.6, takes [3,0] (d2 = 9)
	assert_output $'[0,0,0]\n[0.75,0]\n[3,0]'
}
