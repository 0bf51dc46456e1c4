#!/usr/bin/env bats
# fsq-encode: the command line (quantize.md 1, 4.1, 7), against an independent
# numpy FSQ, scipy, the spec's worked examples and closed forms.
load helper

# An independent numpy FSQ written from the formulas of quantize.md 1.2
# (tanh + rint per element, not the program's threshold count).
NPFSQ='
def fsq(z, L, bound="atanh", eps=1e-3):
    z = np.asarray(z, dtype=np.float64); L = np.asarray(L); hw = L // 2
    if bound == "symmetric":
        t = (L - 1) * (np.tanh(z) + 1) / 2
        l = np.clip(np.floor(t + 0.5), 0, L - 1)
        code = (2 * l - (L - 1)) / (L - 1); bounded = np.tanh(z)
    else:
        off = np.where(L % 2 == 0, 0.5, 0.0)
        half_l = (L - 1) * ((1 - eps) if bound == "paper" else (1 + eps)) / 2
        shift = {"atanh": np.arctanh(off / half_l), "paper": np.tan(off / half_l),
                 "clamp": off / half_l}[bound]
        u = z + shift
        b = (np.clip(u, -1, 1) if bound == "clamp" else np.tanh(u)) * half_l - off
        l = np.clip(np.rint(b) + hw, 0, L - 1)
        code = (l - hw) / hw; bounded = b / hw
    basis = np.concatenate(([1], np.cumprod(L[:-1])))
    return (l.astype(np.int64) * basis).sum(-1), l.astype(np.int64), code, bounded
PRESETS = {4: [5,3], 6: [8,8], 8: [8,6,5], 9: [8,8,8], 10: [8,5,5,5], 11: [8,8,6,5],
           12: [7,5,5,5,5], 14: [8,8,8,6,5], 16: [8,8,8,5,5,5]}
'
npfsq() { py "$NPFSQ
$1"; }
# the width of each preset
declare -gA DIM=([4]=2 [6]=2 [8]=3 [9]=3 [10]=4 [11]=4 [12]=5 [14]=5 [16]=6)
# latents z<d>.jsonl for d = 2..6 in $T from rows of N(0, SCALE^2): zfiles N SCALE SEED
zfiles() {
	py 'r = np.random.default_rng('"$3"'); z = r.standard_normal(('"$1"', 6)) * '"$2"'
z[:5] = [[np.inf]*6, [-np.inf]*6, [0]*6, [30]*6, [-30]*6]
np.save("'"$T/z.npy"'", z)
for d in range(2, 7):
    with open("'"$T"'/z%d.jsonl" % d, "w") as f:
        for zz in z[:, :d]: f.write(json.dumps(zz.tolist()) + "\n")'
}

setup() { T=$BATS_TEST_TMPDIR; }

# ----- worked examples and claims ---------------------------------------------

@test "fsq-encode: the Colab example [3,5,4] gives index 10, code [0,0.5,-1] under both bounds (claim 4)" {
	run fsq-encode -l 3,5,4 <<< '[0.25,0.6,-7]'
	assert_success
	assert_output '{"index":10,"code":[0,0.5,-1]}'
	run fsq-encode -l 3,5,4 -m paper -f level,index <<< '[0.25,0.6,-7]'
	assert_output '{"level":[1,3,0],"index":10}'
}

@test "fsq-encode: the Colab bounded values b/hw (paper 0.2447, 1.0730, -1.9985; atanh 0.2452, 1.0752, -2.0015)" {
	run fsq-encode -l 3,5,4 -m paper -f bounded <<< '[0.25,0.6,-7]'
	close "$output" '[0.2447,0.5365,-0.99925]' 2e-4
	run fsq-encode -l 3,5,4 -f bounded <<< '[0.25,0.6,-7]'
	close "$output" '[0.2452,0.5376,-1.00075]' 2e-4
}

@test "fsq-encode: [8] and z = 1.140625 is digit 7 under atanh, 6 under paper (claim 6)" {
	run fsq-encode -l 8 -f level <<< '[1.140625]'
	assert_output '[7]'
	run fsq-encode -l 8 -m paper -f level <<< '[1.140625]'
	assert_output '[6]'
}

@test "fsq-encode: [4] at z = 0: bounded 0 (atanh), -2.1425e-4 (paper) (claim 6)" {
	run fsq-encode -l 4 -f bounded <<< '[0]'
	close "$output" '[0]' 0 1e-15
	run fsq-encode -l 4 -m paper -f bounded <<< '[0]'
	close "$output" '[-2.1425e-4]' 1e-4
}

@test "fsq-encode: the implicit codebook of [3,4], first coordinate fastest (claim 3)" {
	run bash -c 'fsq-encode -l 3,4 --codebook | head -4'
	assert_output $'[-1,-1]\n[0,-1]\n[1,-1]\n[-1,-0.5]'
	run fsq-encode -l 3,4 --codebook -f index
	assert_output "$(seq 0 11)"
}

@test "fsq-encode: Table 1 sizes 240, 1000, 4375, 15360, 64000 and the appendix presets (claim 1)" {
	for b in 4 6 8 9 10 11 12 14 16; do
		echo "$b $(fsq-encode -b $b --codebook | wc -l) $(fsq-encode -b $b --stats-only < /dev/null | jq .codebook_size)"
	done > "$T/sizes"
	run cat "$T/sizes"
	assert_output $'4 15 15\n6 64 64\n8 240 240\n9 512 512\n10 1000 1000\n11 1920 1920\n12 4375 4375\n14 15360 15360\n16 64000 64000'
}

@test "fsq-encode: decoding 0..999 of the 2^10 preset gives 1000 distinct codes; 999 and 500 as in the spec (claim 2)" {
	[ "$(seq 0 999 | fsq-encode -b 10 -D | sort -u | wc -l)" -eq 1000 ]
	run fsq-encode -b 10 -D -f level,code <<< $'999\n500'
	assert_output $'7 4 4 4\t0.75 1 1 1\n4 2 2 2\t0 0 0 0'
}

@test "fsq-encode: the codebook in index order is what decoding 0..K-1 gives, for every preset" {
	for b in 4 8 11; do
		fsq-encode -b $b --codebook -f level,code > "$T/cb"
		seq 0 $(( $(wc -l < "$T/cb") - 1 )) | fsq-encode -b $b -D -i json -f level,code | cmp - "$T/cb"
	done
}

@test "fsq-encode: codes <-> indices is a bijection: -f code equals -f index decoded, every preset and bound (claim 2)" {
	zfiles "$(vg 500 60)" 1.5 3
	for b in $(vg '4 6 8 9 10 11 12 14 16' '4 9 12 16'); do
		for m in atanh paper clamp symmetric; do
			fsq-encode -b $b -m $m -f code < "$T/z${DIM[$b]}.jsonl" > "$T/c"
			fsq-encode -b $b -m $m -f index < "$T/z${DIM[$b]}.jsonl" | fsq-encode -b $b -m $m -D -i json | cmp - "$T/c"
		done
	done
}

@test "fsq-encode: odd L codes are symmetric, even L reach -1 but not +1; symmetric reaches both (claim 5)" {
	run bash -c 'seq 0 7 | fsq-encode -l 8 -D | tr "\n" " "'
	assert_output '-1 -0.75 -0.5 -0.25 0 0.25 0.5 0.75 '
	run bash -c 'seq 0 6 | fsq-encode -l 7 -D | tr "\n" " "'
	assert_output '-1 -0.6666666666666666 -0.3333333333333333 0 0.3333333333333333 0.6666666666666666 1 '
	run bash -c 'seq 0 3 | fsq-encode -l 4 -m symmetric -D | tr "\n" " "'
	assert_output '-1 -0.3333333333333333 0.3333333333333333 1 '
	fsq-encode -b 16 --codebook > "$T/cb"
	run py 'c = np.array([json.loads(l) for l in open("'"$T/cb"'")]); print(c.min(0).tolist(), c.max(0).tolist())'
	assert_output '[-1.0, -1.0, -1.0, -1.0, -1.0, -1.0] [0.75, 0.75, 0.75, 1.0, 1.0, 1.0]'
}

@test "fsq-encode: agrees with an independent numpy FSQ (tanh + rint) for every bound and preset" {
	zfiles "$(vg 3000 300)" 1.7 7
	bs=$(vg '4 6 8 9 10 11 12 14 16' '4 9 12 16')
	for b in $bs; do
		for m in atanh paper clamp symmetric; do
			fsq-encode -b $b -m $m -f index,level,code,bounded < "$T/z${DIM[$b]}.jsonl" > "$T/out.$b.$m"
		done
	done
	npfsq 'Z = np.load("'"$T/z.npy"'")
for b, L in PRESETS.items():
    if b not in ['"${bs// /,}"']: continue
    for m in ("atanh", "paper", "clamp", "symmetric"):
        i, l, c, bd = fsq(Z[:, :len(L)], L, m)
        o = [json.loads(s) for s in open("'"$T"'/out.%d.%s" % (b, m))]
        assert [x["index"] for x in o] == i.tolist(), ("index", b, m)
        assert [x["level"] for x in o] == l.tolist(), ("level", b, m)
        assert np.array_equal(np.array([x["code"] for x in o]), c), ("code", b, m)
        assert np.allclose(np.array([x["bounded"] for x in o]), bd, rtol=1e-14, atol=1e-15), ("bounded", b, m)'
}

@test "fsq-encode: agrees with numpy for L = 2 (paper, clamp, symmetric), odd and large levels and --eps" {
	zfiles 2000 2 8
	specs=("2,3,2 paper 1e-3" "2,2,9 clamp 0.05" "2,4,2 symmetric 1e-3" "15,21,1000 atanh 0.1"
	       "15,21,1000 paper 0.1" "3,1001,6 clamp 0.1")
	for k in "${!specs[@]}"; do
		set -- ${specs[$k]}
		fsq-encode -l $1 -m $2 -e $3 -f index,level,code < "$T/z3.jsonl" > "$T/out.$k"
	done
	npfsq 'Z = np.load("'"$T/z.npy"'")[:, :3]
specs = [s.split() for s in sys.argv[1:]]
for k, (L, m, e) in enumerate(specs):
    i, l, c, _ = fsq(Z, [int(x) for x in L.split(",")], m, float(e))
    o = [json.loads(s) for s in open("'"$T"'/out.%d" % k)]
    assert [x["index"] for x in o] == i.tolist(), ("index", L, m)
    assert [x["level"] for x in o] == l.tolist(), ("level", L, m)
    assert np.array_equal(np.array([x["code"] for x in o]), c), ("code", L, m)' "${specs[@]}"
}

@test "fsq-encode: the quantisation error is at most half a grid step, 2e4 N(0,4) vectors, 3 presets x 4 bounds (claim 7)" {
	zfiles 20000 2 11
	for b in 8 10 12; do
		for m in atanh paper clamp symmetric; do
			fsq-encode -b $b -m $m -O text -f code,bounded < "$T/z${DIM[$b]}.jsonl" > "$T/out.$b.$m"
		done
	done
	npfsq 'for b in (8, 10, 12):
    L = np.array(PRESETS[b])
    for m in ("atanh", "paper", "clamp", "symmetric"):
        rows = [l.split("\t") for l in open("'"$T"'/out.%d.%s" % (b, m))][5:]   # past the +-inf rows
        c = np.array([r[0].split() for r in rows], float); bd = np.array([r[1].split() for r in rows], float)
        half = 1 / (L - 1) if m == "symmetric" else 0.5 / (L // 2)
        assert len(c) == 19995
        assert (np.abs(c - bd) <= half * (1 + 1e-12)).all(), (b, m, np.abs(c - bd).max(0))'
}

@test "fsq-encode: FSQ is the nearest point of its grid to the bounded vector (claim 8, brute force in numpy)" {
	py 'r = np.random.default_rng(12)
for z in r.standard_normal((2000, 4)) * 1.5: print(json.dumps(z.tolist()))' > "$T/z"
	fsq-encode -b 10 --codebook -o "$T/fsq.npy"
	for m in atanh paper symmetric clamp; do
		fsq-encode -b 10 -m $m --codebook -o "$T/fsq.npy"
		fsq-encode -b 10 -m $m -f index,bounded < "$T/z" > "$T/out"
		py 'from scipy.spatial.distance import cdist
C = np.load("'"$T/fsq.npy"'"); o = [json.loads(s) for s in open("'"$T/out"'")]
B = np.array([x["bounded"] for x in o]); i = np.array([x["index"] for x in o])
assert C.shape == (1000, 4)
assert (cdist(B, C, "sqeuclidean").argmin(1) == i).all()'
	done
}

@test "fsq-encode: FSQ through vq-encode against the implicit codebook equals -f index (claims 8, 18)" {
	command -v vq-encode > /dev/null || skip "vq-encode is not built"
	py 'r = np.random.default_rng(0)
for z in r.standard_normal((3000, 4)): print(json.dumps(z.tolist()))' > "$T/z"
	fsq-encode -b 10 --codebook -o "$T/fsq.npy"
	fsq-encode -b 10 -f bounded < "$T/z" | vq-encode -c "$T/fsq.npy" -f index > "$T/a"
	fsq-encode -b 10 -f index < "$T/z" | cmp - "$T/a"
	run bash -c "fsq-encode -b 10 --codebook | vq-encode -c '$T/fsq.npy' -f dist | sort -u"
	assert_output '0'
}

@test "fsq-encode: --bound symmetric on t/2 is Su's Round[(L-1) sigmoid(t)] (half up)" {
	py 'r = np.random.default_rng(4)
t = r.standard_normal((3000, 3)) * 3; np.save("'"$T/t.npy"'", t)
for x in t / 2: print(json.dumps(x.tolist()))' > "$T/z"
	fsq-encode -l 5,8,2 -m symmetric -f level < "$T/z" > "$T/out"
	py 't = np.load("'"$T/t.npy"'"); L = np.array([5, 8, 2])
want = np.floor((L - 1) / (1 + np.exp(-t)) + 0.5).astype(int)
assert [json.loads(s) for s in open("'"$T/out"'")] == want.tolist()'
}

# ----- usage statistics ---------------------------------------------------------

@test "fsq-encode: N(0,I) latents: [8,5,5,5] entropy 9.8827 bits within 0.01 after the bias; all 1000 codes used (claim 9)" {
	py 'r = np.random.default_rng(0)
r.standard_normal((100000, 4)).tofile("'"$T/z.f64"'")'
	run fsq-encode -b 10 -i f64 --stats-only "$T/z.f64"
	assert_success
	[[ "$output" == '{"count":100000,"codebook_size":1000,"used":1000,"usage":1,"entropy_bits":'* ]]
	py 'o = json.loads(sys.argv[1]); h = o["entropy_bits"] + (o["used"] - 1) / (2 * 1e5 * np.log(2))
assert abs(h - 9.8827) < 0.01, h
assert abs(o["perplexity"] - 2 ** o["entropy_bits"]) < 1e-9 * o["perplexity"]' "$output"
}

@test "fsq-encode: the summary equals scipy's entropy of the written indices; perplexity <= used <= K (claim 13)" {
	py 'r = np.random.default_rng(5)
for z in r.standard_normal((4000, 3)) * 0.7: print(json.dumps(z.tolist()))' > "$T/z"
	fsq-encode -b 8 -f index --stats < "$T/z" > "$T/i" 2> "$T/s"
	run py 'from scipy.stats import entropy
i = np.loadtxt("'"$T/i"'", dtype=np.int64); s = json.load(open("'"$T/s"'"))
n = np.bincount(i, minlength=240)
assert list(s) == ["count", "codebook_size", "used", "usage", "entropy_bits", "perplexity"], list(s)
assert s["count"] == 4000 and s["codebook_size"] == 240
assert s["used"] == (n > 0).sum() and s["usage"] == s["used"] / 240
assert abs(s["entropy_bits"] - entropy(n, base=2)) < 1e-12
assert 1 <= s["perplexity"] <= s["used"] <= 240
print("ok")'
	assert_output ok
}

@test "fsq-encode: --stats-only keys in order; empty input gives used 0 and null entropy" {
	run fsq-encode -b 10 --stats-only < /dev/null
	assert_success
	assert_output '{"count":0,"codebook_size":1000,"used":0,"usage":0,"entropy_bits":null,"perplexity":null}'
	run fsq-encode -l 3 --stats-only <<< $'[0]\n[0]'
	assert_output '{"count":2,"codebook_size":3,"used":1,"usage":0.3333333333333333,"entropy_bits":0,"perplexity":1}'
}

@test "fsq-encode: data far inside the centre cell collapses to one code (claim 9)" {
	py 'r = np.random.default_rng(2)
for z in r.standard_normal((1000, 4)) * 0.01: print(json.dumps(z.tolist()))' > "$T/z"
	run fsq-encode -b 10 --stats-only "$T/z"
	assert_output '{"count":1000,"codebook_size":1000,"used":1,"usage":0.001,"entropy_bits":0,"perplexity":1}'
	run bash -c "fsq-encode -b 10 -f index < '$T/z' | sort -u"
	assert_output 500
}

@test "fsq-encode: --stats writes the records and the summary on stderr; decode counts indices" {
	run bash -c 'printf "1\n2\n2\n" | fsq-encode -l 3,4 -D --stats 2>&1 >/dev/null'
	assert_output --partial '{"count":3,"codebook_size":12,"used":2,"usage":0.16666666666666666,"entropy_bits":'
	close "$output" '{"count":3,"codebook_size":12,"used":2,"usage":0.16666666666666666,"entropy_bits":0.9182958340544896,"perplexity":1.8898815748423097}' 1e-15
	[ "$(printf '1\n2\n2\n' | fsq-encode -l 3,4 -D --stats 2>/dev/null | wc -l)" -eq 3 ]
}

# ----- records, formats ---------------------------------------------------------

@test "fsq-encode: text in, text out: fields by a tab, values by a space" {
	run fsq-encode -l 3,5,4 -f index,level,code <<< '0.25 0.6 -7'
	assert_output $'10\t1 3 0\t0 0.5 -1'
	run fsq-encode -l 3,5,4 <<< '0.25,0.6,-7'
	assert_output $'10\t0 0.5 -1'
}

@test "fsq-encode: objects keep their fields, results appended or replaced; --key" {
	run fsq-encode -l 3,5,4 <<< '{"id":"a","x":[0.25,0.6,-7],"code":1.50}'
	assert_output '{"id":"a","x":[0.25,0.6,-7],"code":[0,0.5,-1],"index":10}'
	run fsq-encode -l 3,5,4 --key z -f index <<< '{"z":[[0.25,0.6,-7],[9,9,9]],"w":1.0}'
	assert_output '{"z":[[0.25,0.6,-7],[9,9,9]],"w":1.0,"index":[10,59]}'
	run fsq-encode -l 3,5,4 -D <<< '{"index":10,"n":2}'
	assert_output '{"index":10,"n":2,"code":[0,0.5,-1]}'
	run fsq-encode -l 3,5,4 -D -f level <<< '{"index":[10,59.0]}'
	assert_output '{"index":[10,59.0],"level":[[1,3,0],[2,4,3]]}'
}

@test "fsq-encode: a batch gives one array per field, or an object of arrays" {
	run fsq-encode -l 3,5,4 -f index <<< '[[0.25,0.6,-7],[9,9,9]]'
	assert_output '[10,59]'
	run fsq-encode -l 3,5,4 <<< '[[0.25,0.6,-7],[9,9,9]]'
	assert_output '{"index":[10,59],"code":[[0,0.5,-1],[1,1,0.5]]}'
	run fsq-encode -l 3,5,4 -O text <<< '[[0.25,0.6,-7],[9,9,9]]'
	assert_output $'10\t0 0.5 -1\n59\t1 1 0.5'
	run fsq-encode -l 3,5,4 -D <<< '[10,59]'
	assert_output '[[0,0.5,-1],[1,1,0.5]]'
	run fsq-encode -l 3,5,4 -D -f index,level <<< '[10,59]'
	assert_output '{"index":[10,59],"level":[[1,3,0],[2,4,3]]}'
}

@test "fsq-encode: 10, 10.0 and 1e1 are the same index; -i json reads bare numbers" {
	run fsq-encode -l 3,5,4 -D -i json -f index,code <<< $'10\n10.0\n1e1'
	assert_output $'{"index":10,"code":[0,0.5,-1]}\n{"index":10,"code":[0,0.5,-1]}\n{"index":10,"code":[0,0.5,-1]}'
}

@test "fsq-encode: +-inf latents take the extreme digits" {
	run fsq-encode -l 5,8,3,4 -f level <<< '["Infinity","-Infinity",Infinity,-Infinity]'
	assert_output '[4,0,2,0]'
	run fsq-encode -l 5,8 -f level <<< 'inf -inf'
	assert_output '4 0'
}

@test "fsq-encode: raw f32 in, u32 out, counted with numpy (the spec's raw example)" {
	py 'np.random.default_rng(0).standard_normal((20000, 4)).astype("<f4").tofile("'"$T/z.f32"'")'
	fsq-encode -b 10 -i f32 -O u32 "$T/z.f32" > "$T/idx.u32"
	fsq-encode -b 10 -i f32 -O u32 -f level "$T/z.f32" > "$T/lev.u32"
	fsq-encode -b 10 -i f32 "$T/z.f32" > "$T/code.f32"
	fsq-encode -b 10 -i f32 -O f64 -f bounded "$T/z.f32" > "$T/bd.f64"
	npfsq 'z = np.fromfile("'"$T/z.f32"'", "<f4").reshape(-1, 4).astype(np.float64)
i, l, c, bd = fsq(z, [8, 5, 5, 5])
assert (np.fromfile("'"$T/idx.u32"'", "<u4") == i).all()
assert (np.fromfile("'"$T/lev.u32"'", "<u4").reshape(-1, 4) == l).all()
assert (np.fromfile("'"$T/code.f32"'", "<f4").reshape(-1, 4) == c.astype(np.float32)).all()
assert np.allclose(np.fromfile("'"$T/bd.f64"'", "<f8").reshape(-1, 4), bd, rtol=1e-14, atol=1e-15)'
}

@test "fsq-encode: raw f64 indices decode; -O u32 without -f writes the index" {
	py 'np.arange(1000, dtype="<f8")[::-1].tofile("'"$T/i.f64"'")'
	fsq-encode -b 10 -D -i f64 -O f64 "$T/i.f64" > "$T/c.f64"
	fsq-encode -b 10 -D -i f64 -O u32 "$T/i.f64" > "$T/i.u32"
	fsq-encode -b 10 --codebook -O f64 > "$T/cb.f64"
	py 'c = np.fromfile("'"$T/c.f64"'").reshape(-1, 4); cb = np.fromfile("'"$T/cb.f64"'").reshape(-1, 4)
assert (c == cb[::-1]).all()
assert (np.fromfile("'"$T/i.u32"'", "<u4") == np.arange(1000)[::-1]).all()'
}

@test "fsq-encode: --codebook -o FILE.npy writes a K x d matrix (f8, or f4 with -O f32)" {
	fsq-encode -l 3,5,4 --codebook -o "$T/cb.npy"
	fsq-encode -l 3,5,4 --codebook -O f32 -o "$T/cb32.npy"
	fsq-encode -l 3,5,4 --codebook -f level -o "$T/lev.npy"
	run py 'a = np.load("'"$T/cb.npy"'"); b = np.load("'"$T/cb32.npy"'"); l = np.load("'"$T/lev.npy"'")
print(a.shape, a.dtype, b.dtype, a[10].tolist(), l[59].tolist(), (a == b).all())'
	assert_output '(60, 3) float64 float32 [0.0, 0.5, -1.0] [2.0, 4.0, 3.0] True'
}

@test "fsq-encode: a closed pipe ends the codebook quietly" {
	run bash -c 'set -o pipefail; fsq-encode -l 65536,65536 --codebook | head -2; echo "${PIPESTATUS[0]}"'
	assert_output $'[-1,-1]\n[-0.999969482421875,-1]\n141'
}

# ----- bad records (exit 1), every earlier record written -----------------------

@test "fsq-encode: a wrong width stops with 'expected 4 values, got 3' after the earlier records" {
	run fsq-encode -b 10 -f index <<< $'[0,0,0,0]\n[9,9,9,9]\n[0,0,0]\n[0,0,0,0]'
	assert_failure 1
	assert_output $'500\n999\nfsq-encode: stdin:3: expected 4 values, got 3'
	run fsq-encode -b 10 -f index <<< '[[0,0,0,0],[0,0,0,0,0]]'
	assert_failure 1
	assert_output 'fsq-encode: stdin:1: expected 4 values in row 2 of the batch, got 5'
	run fsq-encode -l 3 <<< '[]'
	assert_output 'fsq-encode: stdin:1: expected 1 value, got 0'
}

@test "fsq-encode: NaN (also null and text nan) is a bad record with exit 1 and the line number" {
	run fsq-encode -l 3,3 -f index <<< $'[0,0]\n[null,0]'
	assert_failure 1
	assert_output $'4\nfsq-encode: stdin:2: value 1 is NaN (a number or +-Infinity is needed)'
	run fsq-encode -l 3,3 -f index <<< $'0 0\n0 nan'
	assert_failure 1
	assert_line --index 1 'fsq-encode: stdin:2: value 2 is NaN (a number or +-Infinity is needed)'
	run fsq-encode -l 3,3 <<< '{"x":[[0,0],[0,"NaN"]]}'
	assert_failure 1
	assert_output 'fsq-encode: stdin:1: value 2 of row 2 is NaN (a number or +-Infinity is needed)'
}

@test "fsq-encode: a string or a boolean where a number belongs is a bad record" {
	run fsq-encode -l 3,3 -f index <<< $'[1,1]\n[1,"a"]'
	assert_failure 1
	assert_output $'8\nfsq-encode: stdin:2: expected a number, got the string "a"'
	run fsq-encode -l 3,3 <<< '[true,1]'
	assert_failure 1
	assert_output 'fsq-encode: stdin:1: expected a number, got true'
	run fsq-encode -l 3,3 -i json <<< '"abc"'
	assert_failure 1
	assert_output 'fsq-encode: stdin:1: expected an array of 2 numbers or an object, got a string'
	run fsq-encode -l 3,3 -D <<< '{"index":"7"}'
	assert_failure 1
	assert_output 'fsq-encode: stdin:1: "index" holds a string, expected a number'
	run fsq-encode -l 3,3 <<< '{"y":[1,1]}'
	assert_output 'fsq-encode: stdin:1: no "x" in the object'
}

@test "fsq-encode: decode: an index outside [0, K) or not an integer is a bad record" {
	run fsq-encode -b 10 -D -f index <<< $'999\n1000\n0'
	assert_failure 1
	assert_output $'999\nfsq-encode: stdin:2: index 1000 is outside [0, 1000)'
	run fsq-encode -b 10 -D <<< '-1'
	assert_output 'fsq-encode: stdin:1: index -1 is outside [0, 1000)'
	run fsq-encode -b 10 -D <<< '2.5'
	assert_failure 1
	assert_output 'fsq-encode: stdin:1: index 2.5 is not an integer'
	run fsq-encode -b 10 -D <<< '[1,null]'
	assert_output 'fsq-encode: stdin:1: index NaN is not an integer'
	run fsq-encode -b 10 -D <<< '1 2'
	assert_output 'fsq-encode: stdin:1: expected one index, got 2 values'
	run fsq-encode -b 10 -D <<< '[[1]]'
	assert_output 'fsq-encode: stdin:1: expected an index or an array of indices, got an array of arrays'
}

@test "fsq-encode: -K reports every bad record, writes the good ones, exits 1" {
	run fsq-encode -b 10 -D -K -f index <<< $'1\n1000\n2\nx\n3'
	assert_failure 1
	assert_output $'1\nfsq-encode: stdin:2: index 1000 is outside [0, 1000)\n2\nfsq-encode: stdin:4: expected a number, got \'x\'\n3'
}

@test "fsq-encode: raw input ending in a partial record fails after every whole record was written" {
	py 'np.zeros(9, "<f4").tofile("'"$T/z.f32"'")'
	run bash -c "fsq-encode -b 10 -i f32 -O u32 '$T/z.f32' > '$T/o.u32'"
	assert_failure 1
	assert_output "fsq-encode: $T/z.f32: record 3: trailing partial record (4 of 16 bytes)"
	[ "$(stat -c %s "$T/o.u32")" -eq 8 ]
}

# ----- usage errors (exit 2, before any input is read) ------------------------

@test "fsq-encode: levels: neither or both of -l, -b, bad levels, empty list, K > 2^32, -b not a preset" {
	for args in "" "-l 3 -b 10" "-l 3,x" "-l 1,3" "-l 3,,4" "-l=" "-l 65536,65537" "-b 7" "-b x" "-l 3,2.5"; do
		run fsq-encode $args <<< '[0]'
		assert_failure 2
		assert_line --index 1 "Try 'fsq-encode --help' for more information."
		[ "${#lines[@]}" -eq 2 ]
	done
	run fsq-encode -l ''
	assert_failure 2
	assert_line --index 0 'fsq-encode: -l: the list of levels is empty'
	run fsq-encode -l 65536,65537
	assert_line --index 0 'fsq-encode: -l: the codebook size prod(L) is above 2^32 = 4294967296 (indices are 32-bit)'
	run fsq-encode -l 65536,65536 --stats-only < /dev/null
	assert_success
	assert_output --partial '"codebook_size":4294967296,'
}

@test "fsq-encode: a level of 2 with --bound atanh is a usage error naming the alternatives" {
	run fsq-encode -l 2,5 <<< '[0,0]'
	assert_failure 2
	assert_line --index 0 'fsq-encode: a level of 2 does not work with --bound atanh (the shift atanh(1/(1+eps)) = 3.8 leaves code -1 only for z < -3.8); use --bound symmetric (codes -1, 1) or --bound paper (codes -1, 0)'
	run fsq-encode -l 2 -m paper -D -f code <<< $'0\n1'
	assert_output $'-1\n0'
	run fsq-encode -l 2 -m symmetric -D -f code -i json <<< $'0\n1'
	assert_output $'[-1]\n[1]'
	run fsq-encode -l 2 -m clamp -f level <<< $'[-0.9991]\n[-0.9989]'
	assert_output $'[0]\n[1]'
}

@test "fsq-encode: --eps outside (0, 0.1] and an unknown --bound are usage errors" {
	for args in "-e 0" "-e 0.2" "-e -1e-3" "-e x" "--eps=nan" "-m tanh" "--bound=PAPER"; do
		run fsq-encode -l 3 $args <<< '[0]'
		assert_failure 2
		[ "${#lines[@]}" -eq 2 ]
	done
	run fsq-encode -l 3 -e 0.1 <<< '[0]'
	assert_success
}

@test "fsq-encode: field errors: unknown, repeated, bounded with -D or --codebook, raw with several, u32 with code" {
	for args in "-f idx" "-f code,code" "-D -f bounded" "--codebook -f bounded" "-O f32 -f index,code" \
	            "-i f32 -f index,code" "-O u32 -f code" "-O u32 -f bounded" "-D -O u32 -f code" \
	            "--codebook -O f64 -f level,code"; do
		run fsq-encode -b 10 $args <<< '[0,0,0,0]'
		assert_failure 2
		[ "${#lines[@]}" -eq 2 ]
	done
}

@test "fsq-encode: --dim other than d (encode) or 1 (decode) and -i u32 are usage errors" {
	for args in "-d 3" "-i f32 -d 5" "-D -d 2" "-i u32"; do
		run fsq-encode -b 10 $args <<< '[0,0,0,0]'
		assert_failure 2
		[ "${#lines[@]}" -eq 2 ]
	done
	run fsq-encode -b 10 -d 4 -f index <<< '[0,0,0,0]'
	assert_output 500
}

@test "fsq-encode: --codebook with -D, --stats, --stats-only or input files is a usage error" {
	for args in "-D" "--stats" "--stats-only" "/dev/null"; do
		run fsq-encode -b 10 --codebook $args
		assert_failure 2
		[ "${#lines[@]}" -eq 2 ]
	done
}

@test "fsq-encode: -h and -V" {
	run fsq-encode -h
	assert_success
	assert_line --index 0 --partial 'usage: fsq-encode (-l LIST | -b B)'
	run fsq-encode -V
	assert_output 'fsq-encode (kexue-tools) 0.1.0'
}

@test "fsq-encode: the raw block path and the record filter (-u) write the same bytes and messages" {
	py 'z = np.random.default_rng(1).standard_normal((10001, 4)).astype("<f4"); z[7, 2] = np.nan; z[9000, 0] = np.nan
z.tofile("'"$T/z.f32"'"); open("'"$T/p.f32"'", "wb").write(z.tobytes()[:-4])
z.astype("<f8").tofile("'"$T/z.f64"'")'
	for args in "-O u32" "-O u32 -f level" "-f code" "-O f64 -f bounded" "-O f32 -f index" "--stats-only"; do
		for k in "" "-K"; do
			fsq-encode -b 10 -i f32 $args $k "$T/z.f32" "$T/p.f32" "$T/z.f32" > "$T/a" 2> "$T/ae" || true
			fsq-encode -b 10 -i f32 $args $k -u "$T/z.f32" "$T/p.f32" "$T/z.f32" > "$T/b" 2> "$T/be" || true
			cmp "$T/a" "$T/b"
			cmp "$T/ae" "$T/be"
		done
	done
	run fsq-encode -b 10 -i f64 -O u32 -K "$T/z.f64"
	assert_failure 1
	run bash -c "fsq-encode -b 10 -i f32 -O u32 -K '$T/p.f32' 2>&1 >/dev/null"
	assert_output "fsq-encode: $T/p.f32: record 8: value 3 is NaN (a number or +-Infinity is needed)
fsq-encode: $T/p.f32: record 9001: value 1 is NaN (a number or +-Infinity is needed)
fsq-encode: $T/p.f32: record 10001: trailing partial record (12 of 16 bytes)"
	[ "$(fsq-encode -b 10 -i f32 -O u32 "$T/z.f32" 2>/dev/null | wc -c)" -eq 28 ]
}
