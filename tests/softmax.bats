#!/usr/bin/env bats
# softmax: the command line (softmax.md 4), against scipy and closed forms.
load helper

@test "softmax: [1,2,3] agrees with the closed form to 1e-15" {
	run softmax <<< '[1,2,3]'
	assert_success
	close "$output" '[0.09003057317038046,0.24472847105479767,0.6652409557748219]' 1e-15
}

@test "softmax: text in, text out, separated by one space" {
	run softmax <<< '1 2 3'
	assert_success
	[[ "$output" =~ ^0\.0900305731703804[0-9]?\ 0\.244728471054797[0-9]*\ 0\.665240955774821[0-9]?$ ]]
}

@test "softmax: an object keeps every input field's text and appends p" {
	run softmax <<< '{"id":"a","w":0.1000000000000000055511151231257827,"x":[-2,0,0.5]}'
	assert_success
	[[ "$output" == '{"id":"a","w":0.1000000000000000055511151231257827,"x":[-2,0,0.5],"p":['* ]]
	close "$(jq -c .p <<< "$output")" '[0.04861082403130226,0.35918810578253857,0.5922010701861591]'
}

@test "softmax: an existing result key is replaced in place" {
	run softmax -f p,lse <<< '{"p":1,"x":[0,0],"z":true}'
	assert_success
	assert_output '{"p":[0.5,0.5],"x":[0,0],"z":true,"lse":0.6931471805599453}'
}

@test "softmax: a bad record stops the run after every earlier record, exit 1" {
	run softmax <<< $'[1,2]\n[1,"a"]\n[3,4]'
	assert_failure 1
	assert_line --index 0 '[0.2689414213699951,0.7310585786300049]'
	assert_line --index 1 'softmax: stdin:2: expected a number, got the string "a"'
	[ "${#lines[@]}" -eq 2 ]
}

@test "softmax: -K reports the bad record, writes the others, exits 1" {
	run softmax -K <<< $'[1,2]\n[1,"a"]\n[3,4]'
	assert_failure 1
	assert_line '[0.2689414213699951,0.7310585786300049]'
	assert_line 'softmax: stdin:2: expected a number, got the string "a"'
	[ "$(softmax -K 2>/dev/null <<< $'[1,2]\n[1,"a"]\n[3,4]' | wc -l)" -eq 2 ]
}

@test "softmax: log1p keeps log p_0 of [100,0] (scipy gives 0)" {
	run softmax -l <<< '[100,0]'
	assert_success
	close "$output" '[-3.720075976020836e-44,-100]' 1e-15
}

@test "softmax: -inf masks a score; fully masked rows are NaN, zeros with --safe" {
	run softmax <<< '["-Infinity",1]'
	assert_output '[0,1]'
	run softmax <<< '[[0,"-Infinity"],["-Infinity","-Infinity"]]'
	assert_output '[[1,0],["NaN","NaN"]]'
	run softmax --safe <<< '[[0,"-Infinity"],["-Infinity","-Infinity"]]'
	assert_output '[[1,0],[0,0]]'
	run softmax --safe -l -L <<< '[-Infinity,-Infinity]'
	assert_output '{"logp":["-Infinity","-Infinity"],"lse":"-Infinity"}'
	run softmax --safe --loss --grad -f loss,grad <<< '{"x":[-Infinity,-Infinity],"t":1}'
	assert_output '{"x":[-Infinity,-Infinity],"t":1,"loss":"Infinity","grad":[0,-1]}'
}

@test "softmax: NaN and +inf rows follow torch and scipy (NaN rows; lse NaN or +inf)" {
	run softmax -L <<< '[NaN,1]'
	assert_output '{"p":["NaN","NaN"],"lse":"NaN"}'
	run softmax -L --safe <<< '["inf",1]'
	assert_output '{"p":["NaN","NaN"],"lse":"Infinity"}'
	run softmax --strict-json <<< '[null,1]'
	assert_output '[null,null]'
}

@test "softmax: agrees with scipy.special.softmax, log_softmax and logsumexp on random rows" {
	py 'from scipy.special import softmax, log_softmax, logsumexp
r = np.random.default_rng(1)
for n in (1, 2, 7, 100):
    for _ in range(5): print(json.dumps({"x": (r.standard_normal(n) * 10).tolist()}))' > "$BATS_TEST_TMPDIR/in"
	softmax -l -L -f p,logp,lse < "$BATS_TEST_TMPDIR/in" > "$BATS_TEST_TMPDIR/out"
	run py 'from scipy.special import softmax, log_softmax, logsumexp
bad = 0
for a, b in zip(open(sys.argv[1]), open(sys.argv[2])):
    x = np.array(json.loads(a)["x"]); o = json.loads(b)
    bad += not np.allclose(o["p"], softmax(x), rtol=3e-14, atol=0)
    bad += not np.allclose(o["logp"], log_softmax(x), rtol=3e-14, atol=1e-15)
    bad += not abs(o["lse"] - logsumexp(x)) <= 3e-14 * abs(logsumexp(x))
print(bad)' "$BATS_TEST_TMPDIR/in" "$BATS_TEST_TMPDIR/out"
	assert_output 0
}

@test "softmax: sums to one on every row of a batch" {
	run bash -c "py 'r = np.random.default_rng(2); print(json.dumps((r.standard_normal((50, 30)) * 5).tolist()))' | softmax | py 'p = np.array(json.loads(sys.stdin.read())); print(abs(p.sum(1) - 1).max() < 1e-15)'"
	assert_output True
}

@test "softmax: a batch with targets gives per-row losses and grads" {
	run softmax --loss -f loss <<< '{"x":[[0,0],[1,2,3]],"t":[1,2]}'
	assert_success
	close "$(jq -c .loss <<< "$output")" "[$(py 'print(math.log(2))'),$(py 'print(math.log(1+math.exp(-1)+math.exp(-2)))')]" 1e-14
}

@test "softmax: temperature 0 and inf are exact limits (claims 6, 24)" {
	run softmax -T 0 <<< '[1,3,3]'
	assert_output '[0,0.5,0.5]'
	run softmax -T inf <<< '[1,2,3]'
	close "$output" '[0.3333333333333333,0.3333333333333333,0.3333333333333333]' 1e-16
	run softmax -T 0.05 <<< '[1,2,3]'
	close "$output" '[4.248354255291589e-18,2.0611536181902037e-09,0.9999999979388464]' 1e-12
	run softmax -T 1e6 <<< '[1,2,3]'
	run py "p = json.loads('$output'); print(max(abs(v - 1/3) for v in p) < 3.4e-7)"
	assert_output True
}

@test "softmax: T lse(x/T) tends to the max (claim 7)" {
	for T in 1 0.5 0.1; do
		got=$(softmax -f lse -T $T <<< '[1,2,3]')
		want=$(py "from scipy.special import logsumexp; print($T * logsumexp(np.array([1,2,3]) / $T))")
		close "$got" "$want" 1e-14
	done
	run softmax -f lse -T 0 <<< '[1,2,3]'
	assert_output 3
}

@test "softmax: AM-Softmax example of the spec (margin, loss, grad)" {
	run softmax -T 0.05 -m 0.35 --loss --grad <<< '{"x":[0.9,0.1,0.5],"t":0}'
	assert_success
	close "$output" '{"x":[0.9,0.1,0.5],"t":0,"p":[0.7309926286241988,9.021165708731928e-05,0.26891715971871377],"loss":0.31335190324462525,"grad":[-5.380147427516024,0.0018042331417463856,5.378343194374275]}' 1e-13
}

@test "softmax: the gradient matches central differences of the loss (claim 9)" {
	x='[0.3,-1.2,2.0,0.5]'
	grad=$(softmax -T 0.7 --grad -f grad <<< "{\"x\":$x,\"t\":1}")
	for j in 0 1 2 3; do
		up=$(py "x=$x; x[$j]+=1e-6; print(json.dumps({'x':x,'t':1}))" | softmax -T 0.7 --loss -f loss)
		dn=$(py "x=$x; x[$j]-=1e-6; print(json.dumps({'x':x,'t':1}))" | softmax -T 0.7 --loss -f loss)
		run py "up=json.loads('$up')['loss']; dn=json.loads('$dn')['loss']; g=$grad['grad'] if False else json.loads('$grad')['grad'][$j]; print(abs((up-dn)/2e-6 - g) < 1e-7)"
		assert_output True
	done
}

@test "softmax: half the l1 norm of the Jacobian is 1 - sum p^2 (claim 8)" {
	x='[0.3,-1.2,2.0,0.5,1.1]'
	run bash -c "py 'x = $x
for j in range(5): print(json.dumps({\"x\": x, \"v\": [1.0 if i == j else 0.0 for i in range(5)]}))' | softmax --jvp -f p,jvp | py '
rows = [json.loads(l) for l in sys.stdin]; J = np.array([r[\"jvp\"] for r in rows]); p = np.array(rows[0][\"p\"])
print(abs(np.abs(J).sum() / 2 - (1 - (p * p).sum())) < 1e-15)'"
	assert_output True
}

@test "softmax: jvp and vjp of log p follow the formal formulas" {
	run softmax -l --jvp --vjp -f logp,jvp,vjp <<< '{"x":[1,2,-Infinity],"v":[0.5,1,2],"g":[1,-1,3]}'
	assert_success
	want=$(py 'p = np.array([1, math.e, 0]) / (1 + math.e); v = np.array([0.5, 1, 2]); g = np.array([1, -1, 3])
print(json.dumps({"jvp": (v - p @ v).tolist(), "vjp": (g - p * g.sum()).tolist()}))')
	close "$(jq -c '{jvp,vjp}' <<< "$output")" "$want" 1e-15 1e-16
}

@test "softmax: top-k and top-p (Sparse Softmax), lse over the kept set" {
	run softmax -k 2 <<< '[1,2,3,4]'
	close "$output" '[0,0,0.2689414213699951,0.7310585786300049]' 1e-15
	run softmax -k 2 -f lse <<< '[1,2,3,4]'
	close "$output" "$(py 'print(4 + math.log1p(math.exp(-1)))')" 1e-15
	run softmax -p 0.9 <<< '[1,2,3,4]'
	close "$output" "$(py 'e = np.exp([2., 3, 4]) ; print(json.dumps([0] + (e / e.sum()).tolist()))')" 1e-15
	run softmax -k 1 --loss -f loss <<< '{"x":[1,2,3,4],"t":0}'
	assert_output '{"x":[1,2,3,4],"t":0,"loss":3}'
}

@test "softmax: Taylor softmax values of the post (claims 11, 12)" {
	run softmax --taylor <<< '[[1,2,3],[0,1,2],[-3,-1],[0,5]]'
	close "$output" '[[0.15625,0.3125,0.53125],[0.11764705882352941,0.29411764705882354,0.5882352941176471],[0.8333333333333334,0.16666666666666666],[0.05128205128205128,0.9487179487179487]]' 1e-15
	run softmax --taylor=4 -f p <<< '[0,5]'
	close "$(jq -c '.[0]' <<< "$output")" 0.015065913370998116 1e-14
	run softmax <<< '[0,5]'
	close "$(jq -c '.[0]' <<< "$output")" 0.006692850924284856 1e-14
}

@test "softmax: Taylor minima f_K(y) = p_0/p_1 on [y, 0] (claim 10)" {
	for kv in "4 -1.5960716 0.2703948" "6 -2.1806071 0.1493248" "8 -2.7590027 0.0832715"; do
		set -- $kv
		got=$(softmax --taylor=$1 <<< "[$2,0]" | jq '.[0] / .[1]')
		close "$got" "$3" 1e-6
	done
}

@test "softmax: Perturb Max: gumbel = softmax; normal n = 2 is Phi(-d/sqrt 2) (claims 13, 14)" {
	[ "$(softmax --perturb=gumbel <<< '[1,2,3]')" = "$(softmax <<< '[1,2,3]')" ]
	run softmax --perturb=normal <<< '[0,1]'
	close "$output" "$(py 'from scipy.special import ndtr; print(json.dumps([ndtr(-1/math.sqrt(2)), ndtr(1/math.sqrt(2))]))')" 1e-14
	# n = 3 against adaptive quadrature of the definition
	run softmax --perturb=normal <<< '[1,2,3]'
	want=$(py 'from scipy.integrate import quad; from scipy.stats import norm
y = [1, 2, 3]
p = [quad(lambda e: norm.pdf(e) * np.prod([norm.cdf(y[i] - y[j] + e) for j in range(3) if j != i]), -np.inf, np.inf, epsabs=1e-15, epsrel=1e-13)[0] for i in range(3)]
print(json.dumps(p))')
	close "$output" "$want" 1e-12 1e-15
}

@test "softmax: raw f32 in and out agree with scipy to float32 rounding" {
	py 'np.random.default_rng(3).standard_normal((1000, 64), dtype=np.float32).tofile(sys.argv[1])' "$BATS_TEST_TMPDIR/x.f32"
	softmax -i f32 -d 64 < "$BATS_TEST_TMPDIR/x.f32" > "$BATS_TEST_TMPDIR/p.f32"
	run py 'from scipy.special import softmax
x = np.fromfile(sys.argv[1], "<f4").reshape(-1, 64).astype(np.float64); p = np.fromfile(sys.argv[2], "<f4").reshape(-1, 64)
print(p.shape, np.array_equal(p, softmax(x, axis=1).astype(np.float32)) or np.abs(p / softmax(x, axis=1).astype(np.float32) - 1).max() < 1.2e-7)' "$BATS_TEST_TMPDIR/x.f32" "$BATS_TEST_TMPDIR/p.f32"
	assert_output '(1000, 64) True'
}

@test "softmax: raw f64 lse is one value a row; -O json prints the same numbers" {
	py 'np.array([[1, 2, 3], [0, 0, 0]], "<f8").tofile(sys.argv[1])' "$BATS_TEST_TMPDIR/x.f64"
	run bash -c "softmax -i f64 -d 3 -f lse < $BATS_TEST_TMPDIR/x.f64 | py 'print(np.frombuffer(sys.stdin.buffer.read(), \"<f8\").tolist())'"
	close "$output" "[3.40760596444438, $(py 'print(math.log(3))')]" 1e-15
	run softmax -i f64 -d 3 -O json < "$BATS_TEST_TMPDIR/x.f64"
	assert_line --index 1 '[0.3333333333333333,0.3333333333333333,0.3333333333333333]'
}

@test "softmax: a trailing partial raw record is an error after every whole record" {
	py 'np.arange(5, dtype="<f8").tofile(sys.argv[1])' "$BATS_TEST_TMPDIR/x.f64"
	run softmax -i f64 -d 2 -O json "$BATS_TEST_TMPDIR/x.f64"
	assert_failure 1
	assert_line --index 0 '[0.2689414213699951,0.7310585786300049]'
	assert_line --index 1 '[0.2689414213699951,0.7310585786300049]'
	assert_line --index 2 "softmax: $BATS_TEST_TMPDIR/x.f64: record 3: trailing partial record (8 of 16 bytes)"
}

@test "softmax: bad records of 4.7, each with its message and exit 1" {
	while IFS='|' read -r opts rec msg; do
		run softmax $opts <<< "$(printf '[0]\n%s' "$rec")"
		assert_failure 1
		assert_line --index 0 '[1]'
		assert_line --index 1 "softmax: stdin:2: $msg"
	done <<'EOF2'
|{"x":[1,2|invalid JSON
|"abc"|expected an array of numbers or an object, got a string
|{"y":[1]}|no "x" in the object
|{"x":3}|"x" holds a number, expected an array of numbers
|[]|empty vector
|[[1],[]]|empty row 1 in the batch
|[true]|expected a number, got true
|[1,[2]]|a batch mixing numbers and arrays
-d 1|[1,2]|expected 1 values, got 2
EOF2
}

@test "softmax: records that lack what an option needs (t, v, g) are bad records" {
	while IFS='|' read -r opts rec msg; do
		run softmax $opts <<< "$rec"
		assert_failure 1
		assert_output "softmax: stdin:1: $msg"
	done <<'EOF2'
--loss|[1,2]|--loss needs an object record with "t"
--jvp|[1,2]|--jvp needs an object record with "v"
--loss|{"x":[1,2]}|--loss needs "t" (the target index)
--loss|{"x":[1,2],"t":2}|"t" is 2, out of range for a row of 2 values
--loss|{"x":[1,2],"t":1.5}|"t" is 1.5, expected an integer
--loss|{"x":[1,2],"t":"1"}|"t" holds a string, expected an integer
--grad|{"x":[1,2],"t":true}|"t" holds true, expected an integer
-m 0.1|{"x":[[1,2],[3,4]],"t":1}|"t" must be a list of 2 targets, one per row
--jvp|{"x":[1,2],"v":[1,2,3]}|"v" has 3 values, x has 2
--vjp|{"x":[1,2]}|--vjp needs "g"
EOF2
	run softmax --loss -f loss <<< '{"x":[1,2],"t":1.0}'
	assert_success
}

@test "softmax: usage errors exit 2 with a hint, before reading any input" {
	for opts in "-T -1" "-T nan" "-k -1" "-p 0" "-p 1.5" "--taylor=3" "--perturb=cauchy" "-m inf" \
	    "-k 2 -p 0.5" "--taylor -T 0" "--perturb=gumbel -T inf" "--taylor -L" "--perturb=normal --grad" \
	    "--taylor --jvp" "--loss -T 0" "-f p,q" "-f p,p" "--loss -f p" "-O f32 -f p,lse" "-O u32" \
	    "-i text --loss" "-i f32 --jvp" "-d 0" "--digits 18" "--bogus" "-x" "-i xml" "-s 1"; do
		run softmax $opts < /dev/null
		assert_failure 2
		assert_line --index 1 "Try 'softmax --help' for more information."
	done
}

@test "softmax: --help and --version" {
	run softmax --help
	assert_success
	assert_line --index 0 --partial 'usage: softmax'
	run softmax -V
	assert_output 'softmax (kexue-tools) 0.1.0'
}

@test "softmax: -o writes the file, --digits rounds, -O text of a batch is a line per row" {
	softmax -o "$BATS_TEST_TMPDIR/o.jsonl" <<< '[0,0]'
	[ "$(cat "$BATS_TEST_TMPDIR/o.jsonl")" = '[0.5,0.5]' ]
	run softmax --digits 3 <<< '[1,2,3]'
	assert_output '[0.09,0.245,0.665]'
	run softmax -O text -L <<< '[[0,0],[0,"-inf"]]'
	assert_line --index 0 $'0.5 0.5\t0.6931471805599453'
	assert_line --index 1 $'1 0\t0'
}

@test "softmax: --stats counts records, rows, bad records, NaN and zeroed rows" {
	run bash -c "printf '[[1],[NaN]]\n[\"a\"]\n[-Infinity]\n' | softmax -K --safe --stats 2>&1 >/dev/null"
	assert_line '{"records":3,"rows":3,"bad_records":1,"nan_rows":1,"zero_rows":1}'
}

@test "softmax: several operands are read in order; - is stdin" {
	echo '[0]' > "$BATS_TEST_TMPDIR/a"
	run bash -c "echo '[1,1]' | softmax $BATS_TEST_TMPDIR/a - $BATS_TEST_TMPDIR/a"
	assert_output $'[1]\n[0.5,0.5]\n[1]'
	run softmax "$BATS_TEST_TMPDIR/missing"
	assert_failure 1
	assert_output "softmax: $BATS_TEST_TMPDIR/missing: No such file or directory"
}
