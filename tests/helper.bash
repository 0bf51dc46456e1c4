# tests/helper.bash — loaded by every bats file: `load helper`.
# KX_BIN: the programs (default ../bin); PYTHON: python3 with numpy and scipy.
bats_require_minimum_version 1.5.0
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
: "${KX_BIN:=$BATS_TEST_DIRNAME/../bin}"
: "${PYTHON:=/usr/bin/python3}"
export PATH="$KX_BIN:$PATH"

# py CODE: run Python with numpy as np (and json, sys) imported.
py() { local code=$1; shift; "$PYTHON" -c "import sys, json, math; import numpy as np; $code" "$@"; }

# close GOT WANT [RTOL [ATOL]]: JSON values (numbers, arrays, nested arrays,
# "NaN"/"Infinity" strings) equal within tolerance, element by element.
close() {
	"$PYTHON" - "$1" "$2" "${3:-1e-12}" "${4:-1e-15}" <<'PY'
import json, math, sys
def num(v):
    if isinstance(v, str):
        return float(v.replace("Infinity", "inf"))
    return float("nan") if v is None else v
def eq(a, b, r, t):
    if isinstance(b, list):
        return isinstance(a, list) and len(a) == len(b) and all(eq(x, y, r, t) for x, y in zip(a, b))
    if isinstance(b, dict):
        return isinstance(a, dict) and a.keys() == b.keys() and all(eq(a[k], b[k], r, t) for k in b)
    if isinstance(b, str) and b not in ("NaN", "Infinity", "-Infinity"):
        return a == b
    a, b = num(a), num(b)
    if math.isnan(b): return math.isnan(a)
    if math.isinf(b): return a == b
    return abs(a - b) <= t + r * abs(b)
got, want = json.loads(sys.argv[1]), json.loads(sys.argv[2])
ok = eq(got, want, float(sys.argv[3]), float(sys.argv[4]))
if not ok:
    print("got:  " + sys.argv[1][:2000]); print("want: " + sys.argv[2][:2000])
sys.exit(0 if ok else 1)
PY
}
export -f py close
export PYTHON

# vg FULL SMALL: FULL, or SMALL under make valgrind (KX_VALGRIND set), where
# every program start costs about 0.6 s of CPU.  For loops and inputs that run
# one code path many times: make check and make sanitize run FULL, valgrind
# still runs every path, on fewer or smaller cases.
vg() { if [ -n "${KX_VALGRIND:-}" ]; then echo "$2"; else echo "$1"; fi; }
