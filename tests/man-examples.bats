#!/usr/bin/env bats
# The EXAMPLES of every manual page run as written (tests/man_examples.py).
load helper

setup() {
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	ln -sf "$PYTHON" "$BATS_TEST_TMPDIR/bin/python3"
	export PATH="$BATS_TEST_TMPDIR/bin:$PATH"
	cd "$BATS_TEST_TMPDIR"
}

check_page() {
	# under make valgrind the examples would re-run every heavy command of the
	# suites at 20-50x the cost; make check and make sanitize run them
	[ -z "${KX_VALGRIND:-}" ] || skip "run by make check and make sanitize"
	[ -x "$KX_BIN/$1" ] && [ -f "$BATS_TEST_DIRNAME/../man/$1.1" ] || skip "$1 is not built yet"
	run "$PYTHON" "$BATS_TEST_DIRNAME/man_examples.py" "$BATS_TEST_DIRNAME/../man/$1.1"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
}

@test "man: softmax(1) EXAMPLES run as written" { check_page softmax; }
@test "man: sparsemax(1) EXAMPLES run as written" { check_page sparsemax; }
@test "man: hippo-discretize(1) EXAMPLES run as written" { check_page hippo-discretize; }
@test "man: fsq-encode(1) EXAMPLES run as written" { check_page fsq-encode; }
@test "man: vq-encode(1) EXAMPLES run as written" { check_page vq-encode; }
@test "man: lora-init(1) EXAMPLES run as written" { check_page lora-init; }
@test "man: attn-scale-sweep(1) EXAMPLES run as written" { check_page attn-scale-sweep; }
@test "man: sid-step(1) EXAMPLES run as written" { check_page sid-step; }

@test "README: every console example runs from the repository root and prints what it shows" {
	[ -z "${KX_VALGRIND:-}" ] || skip "run by make check and make sanitize"
	cd "$BATS_TEST_DIRNAME/.."
	mkdir -p "$BATS_TEST_TMPDIR/rbin"
	for p in "$KX_BIN"/*; do ln -sf "$p" "$BATS_TEST_TMPDIR/rbin/"; done
	run "$PYTHON" "$BATS_TEST_DIRNAME/man_examples.py" README.md
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
}
