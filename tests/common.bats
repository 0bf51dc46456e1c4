#!/usr/bin/env bats
# Every program behaves the same way (conventions.md, issue 10): the shared
# options, the record formats, errors, pipes, and scaling out with GNU parallel.
# One table below gives each program's sample records; each test loops over it.
load helper

FILTERS="softmax sparsemax fsq-encode vq-encode lora-init hippo-discretize"
ALL="$FILTERS attn-scale-sweep sid-step"
W='0.1000000000000000055511151231257827'

setup() {
	cd "$BATS_TEST_TMPDIR"
	echo '[[0,0],[1,1],[2,2]]' > cb.json
	sid-step --init > s0.json
}

# sample NAME: ARGS (filter options), REC (a good json record), OBJ (an object
# record with passed-through fields "id" and "w"), TEXT (a text record, or
# empty), DIM (values per raw record, or empty), NAN (a record holding a NaN
# whose output holds NaN, or empty), JOB (for jobs: a command that writes output)
sample() {
	ARGS= REC= OBJ= TEXT= DIM= NAN= JOB=
	case $1 in
	softmax) REC='[1,2,3]' TEXT='1 2 3' DIM=3 NAN='[NaN,1]' ;;
	sparsemax) REC='[-2,0,0.5]' TEXT='-2 0 0.5' DIM=3 NAN='[NaN,1]' ;;
	fsq-encode) ARGS='-l 8,5,5,5' REC='[0.1,0.2,0.3,0.4]' TEXT='0.1 0.2 0.3 0.4' DIM=4 ;;
	vq-encode) ARGS='-c cb.json' REC='[0.9,1.2]' TEXT='0.9 1.2' DIM=2 ;;
	lora-init) ARGS='-m lora -r 1' REC='{"w0":[[1,0],[0,1]],"seed":3}' ;;
	hippo-discretize) ARGS='--mode reconstruct -N 4 -P 3' REC='[1,0.5,0.25,0.125]' TEXT='1 0.5 0.25 0.125' DIM=4 NAN='[NaN,0,0,0]' ;;
	attn-scale-sweep) JOB='attn-scale-sweep --dist scores -n 8 -S 20 --alpha-steps 5' ;;
	sid-step) JOB='sid-step -n 3 s0.json' ;;
	esac
	if [ -z "$JOB" ]; then
		OBJ=$(jq -c --arg w "$W" '{id:"k"} + . ' <<< "$( [ "${REC:0:1}" = '{' ] && echo "$REC" || echo "{\"x\":$REC}")" |
		      sed "s/^{\"id\":\"k\",/{\"id\":\"k\",\"w\":$W,/")
	fi
}

@test "common: --help writes a usage to stdout and exits 0; --version names the toolbox" {
	for p in $ALL; do
		run "$p" --help
		assert_success
		[[ "${lines[0]}" == *"$p"* ]] || { echo "$p --help: ${lines[0]}"; false; }
		run "$p" --version
		assert_output "$p (kexue-tools) 0.1.0"
	done
}

@test "common: an unknown option is a usage error (exit 2, the hint), before any input is read" {
	for p in $ALL; do
		run timeout 10 "$p" --no-such-option < <(sleep 20)
		[ "$status" -eq 2 ] || { echo "$p: status $status"; false; }
		assert_line --index 0 "$p: unknown option '--no-such-option'"
		assert_line --index 1 "Try '$p --help' for more information."
	done
}

@test "common: -o FILE writes what stdout would get" {
	for p in $ALL; do
		sample "$p"
		if [ -n "$JOB" ]; then
			eval "$JOB" > want
			eval "$JOB -o got"
		else
			echo "$REC" | $p $ARGS > want
			echo "$REC" | $p $ARGS -o got
		fi
		cmp want got || { echo "$p: -o differs"; false; }
	done
}

@test "common: -K reports a bad record with its line, writes the others, exits 1" {
	for p in $FILTERS; do
		sample "$p"
		run --separate-stderr $p $ARGS -K <<< "$(printf '%s\n[1,\n%s\n' "$REC" "$REC")"
		[ "$status" -eq 1 ] || { echo "$p: status $status"; false; }
		[ "${#lines[@]}" -eq 2 ] || { echo "$p: ${#lines[@]} lines"; false; }
		[[ "$stderr" == "$p: stdin:2: "* ]] || { echo "$p: $stderr"; false; }
		run --separate-stderr $p $ARGS <<< "$(printf '%s\n[1,\n%s\n' "$REC" "$REC")"
		[ "$status" -eq 1 ] && [ "${#lines[@]}" -eq 1 ] || { echo "$p without -K: $status, ${#lines[@]} lines"; false; }
	done
}

@test "common: a file that cannot be opened stops the program after every earlier record is written" {
	for p in $FILTERS; do
		sample "$p"
		printf '%s\n%s\n' "$REC" "$REC" > good.json
		run --separate-stderr $p $ARGS good.json missing.json good.json
		[ "$status" -eq 1 ] || { echo "$p: status $status"; false; }
		[ "${#lines[@]}" -eq 2 ] || { echo "$p: ${#lines[@]} lines"; false; }
		[ "$stderr" = "$p: missing.json: No such file or directory" ] || { echo "$p: $stderr"; false; }
	done
}

@test "common: blank lines are skipped" {
	for p in $FILTERS; do
		sample "$p"
		run --separate-stderr $p $ARGS <<< "$(printf '\n%s\n\n   \n%s\n' "$REC" "$REC")"
		assert_success
		[ "${#lines[@]}" -eq 2 ] || { echo "$p: ${#lines[@]} lines"; false; }
	done
}

@test "common: an object record keeps its other fields' text and order" {
	for p in $FILTERS; do
		sample "$p"
		run --separate-stderr $p $ARGS <<< "$OBJ"
		assert_success
		[[ "$output" == "{\"id\":\"k\",\"w\":$W,"* ]] || { echo "$p: $output"; false; }
	done
}

@test "common: -i auto reads json and text; text in gives text out" {
	for p in $FILTERS; do
		sample "$p"
		[ -n "$TEXT" ] || continue
		json=$(echo "$REC" | $p $ARGS)
		text=$(echo "$TEXT" | $p $ARGS)
		[[ "$json" == [\[\{0-9-]* ]] || { echo "$p json: $json"; false; }
		[[ "$text" != [\[\{]* ]] || { echo "$p text: $text"; false; }
		echo "$TEXT" | $p $ARGS -i text -O json | cmp - <(echo "$json") || { echo "$p: text in, json out differs"; false; }
	done
}

@test "common: raw f64 in; a trailing partial record is an error after every whole record" {
	for p in $FILTERS; do
		sample "$p"
		[ -n "$DIM" ] || continue
		py 'v = [float(t) for t in sys.argv[1].split()]; np.array(v + v + v[:1], "<f8").tofile("x.f64")' "$TEXT"
		run --separate-stderr $p $ARGS -i f64 -d $DIM -O json x.f64
		[ "$status" -eq 1 ] || { echo "$p: status $status"; false; }
		[ "${#lines[@]}" -eq 2 ] || { echo "$p: ${#lines[@]} lines"; false; }
		[ "${lines[0]}" = "$(echo "$REC" | $p $ARGS -O json)" ] || { echo "$p: raw record differs from json"; false; }
		[[ "$stderr" == "$p: x.f64: record 3: trailing partial record"* ]] || { echo "$p: $stderr"; false; }
	done
}

@test "common: --strict-json writes null for NaN, and NaN reads back in every spelling" {
	for p in $FILTERS; do
		sample "$p"
		[ -n "$NAN" ] || continue
		out=$(echo "$NAN" | $p $ARGS)
		[[ "$out" == *'"NaN"'* ]] || { echo "$p: $out"; false; }
		out=$(echo "$NAN" | $p $ARGS --strict-json)
		[[ "$out" == *null* && "$out" != *'"NaN"'* ]] || { echo "$p strict: $out"; false; }
		for spelling in '"nan"' null '"NAN"'; do
			[ "$(echo "${NAN/NaN/$spelling}" | $p $ARGS)" = "$(echo "$NAN" | $p $ARGS)" ] || { echo "$p: $spelling"; false; }
		done
	done
}

@test "common: --digits N prints at most N significant digits" {
	for p in $ALL; do
		sample "$p"
		if [ -n "$JOB" ]; then out=$(eval "$JOB --digits 3"); else out=$(echo "$REC" | $p $ARGS --digits 3); fi
		run py 'import re
nums = re.findall(r"(?<![\w.\"])-?\d+\.\d+(?:e[-+]?\d+)?", sys.argv[1])
bad = [n for n in nums if len(re.sub(r"^-?0*\.?0*|e.*|\.", "", n.split("e")[0])) > 3]
print(bad[:5])' "$out"
		[ "$output" = "[]" ] || { echo "$p: $output"; false; }
	done
}

@test "common: -u writes each record as it is done" {
	for p in $FILTERS; do
		sample "$p"
		# the second record comes 12 s later: the first must be out before it,
		# however slow the start (valgrind), and nothing else may be
		: > live
		{ echo "$REC"; sleep 12; echo "$REC"; } | $p $ARGS -u > live &
		for i in $(seq 100); do [ -s live ] && break; sleep 0.1; done
		n=$(wc -l < live)
		kill %1 2>/dev/null; wait 2>/dev/null || true
		[ "$n" -eq 1 ] || { echo "$p: $n lines before the second record"; false; }
	done
}

@test "common: a closed pipe ends the program quietly" {
	for p in $FILTERS; do
		sample "$p"
		yes "$REC" | head -20000 > many
		run bash -c "$p $ARGS < many 2>err | head -1 > /dev/null; echo \${PIPESTATUS[0]}"
		[[ "$output" = 0 || "$output" = 141 ]] || { echo "$p: status $output"; false; }
		[ ! -s err ] || { echo "$p: $(cat err)"; false; }
	done
}

@test "common: a write error (/dev/full) is exit 1 with a message" {
	for p in $ALL; do
		sample "$p"
		if [ -n "$JOB" ]; then
			run bash -c "$JOB > /dev/full"
		else
			run bash -c "echo '$REC' | $p $ARGS > /dev/full"
		fi
		[ "$status" -eq 1 ] || { echo "$p: status $status"; false; }
		[[ "$output" == "$p: "*"No space left on device"* ]] || { echo "$p: $output"; false; }
	done
}

@test "common: a line of 10^7 numbers is read whole (a result, or a clear wrong-width error)" {
	[ -z "${KX_VALGRIND:-}" ] || skip "too slow under valgrind"
	awk 'BEGIN { for (i = 0; i < 10000000; i++) printf "%s", (i ? " 0" : "0"); print "" }' > long.txt
	run bash -c "softmax -f p < long.txt | awk '{ print NF, \$1 }'"
	assert_output '10000000 1e-07'
	for p in sparsemax fsq-encode vq-encode hippo-discretize; do
		sample "$p"
		run --separate-stderr $p $ARGS < long.txt
		[[ "$status" -le 1 ]] || { echo "$p: status $status"; false; }
	done
}

@test "common: parallel --pipe --keep-order gives what one process gives" {
	for p in $FILTERS; do
		sample "$p"
		jq -c --argjson n "$(vg 300 80)" '. as $r | range(1; $n + 1) as $i | $r |
			if type == "object" then . + {seed: $i} else map(. * (1 + $i / 1000)) end' <<< "$REC" > in.jsonl
		$p $ARGS < in.jsonl > one
		parallel --pipe --keep-order -N 37 -j 3 $p $ARGS < in.jsonl > many
		cmp one many || { echo "$p: parallel output differs"; false; }
	done
}

@test "common: make install DESTDIR=... stages working programs and pages" {
	[ -z "${KX_VALGRIND:-}" ] || skip "not a test of the programs"
	make -s -C "$BATS_TEST_DIRNAME/.." install DESTDIR="$BATS_TEST_TMPDIR/stage" PREFIX=/usr > /dev/null
	for p in $ALL; do
		run "$BATS_TEST_TMPDIR/stage/usr/bin/$p" --version
		assert_output "$p (kexue-tools) 0.1.0"
		run man -l "$BATS_TEST_TMPDIR/stage/usr/share/man/man1/$p.1"
		assert_success
		[[ "$output" == *"$p"* ]]
	done
	run man -l "$BATS_TEST_TMPDIR/stage/usr/share/man/man7/kexue-tools.7"
	assert_success
}
