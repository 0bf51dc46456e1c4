# examples/lib.sh — the reproduction report's framework, sourced by every
# examples/NN-name.sh.  Run from the repository root (examples/run does).
#
#   post TITLE SOURCE              start a post's section
#   claim TEXT EXPECTED TOL CMD    run CMD (a shell command, shown in the report
#                                  as typed), compare its output with EXPECTED:
#                                  TOL a number: JSON values equal within that
#                                  relative and absolute tolerance; TOL "exact":
#                                  the same text
#   figure FILE CAPTION CMD        run CMD, which writes examples/out/FILE (PNG)
#   note TEXT                      a line of prose in the report
#
# Claims print one line each on stdout; the report is examples/out/report.md.
: "${KX_BIN:=$PWD/bin}" "${PYTHON:=/usr/bin/python3}"
export PATH="$KX_BIN:$PATH" PYTHON
OUT=examples/out
REPORT=$OUT/report.md
CLAIMS=$OUT/claims.tsv
mkdir -p "$OUT"

# Multi-line commands cannot sit in a table cell: the cell says "command N
# below" and the command follows the table, whole, in a fenced block.
PENDING=$OUT/pending.md
_flush() { [ -s "$PENDING" ] && { printf '\n' >> "$REPORT"; cat "$PENDING" >> "$REPORT"; : > "$PENDING"; }; return 0; }
_cmdref() {
	n=$(( $(cat "$OUT/ncmd" 2>/dev/null || echo 0) + 1 ))
	echo $n > "$OUT/ncmd"
	printf '**Command %d** (%s):\n\n```sh\n%s\n```\n\n' "$n" "$1" "$2" >> "$PENDING"
	printf 'command %d below' "$n"
}

post() {
	_flush
	printf '\n## %s\n\n%s\n\n| claim | command | expected | measured | |\n|---|---|---|---|---|\n' "$1" "$2" >> "$REPORT"
	printf '\n== %s\n' "$1"
	POST=$1
}

note() { _flush; printf '\n%s\n\n' "$1" >> "$REPORT"; }

# A table cell: one line, pipes escaped; values longer than 300 characters are
# shortened (commands never are: they must paste whole).
_cell() { printf '%s' "$1" | tr '\n' ' ' | sed 's/|/\\|/g; s/ *$//' | cut -c1-300; }
_cmdcell() { printf '%s' "$1" | tr '\n' ' ' | sed 's/|/\\|/g; s/ *$//'; }

claim() {
	text=$1 expected=$2 tol=$3 cmd=$4
	measured=$(bash -c "set -o pipefail; $cmd" 2>"$OUT/claim.err")
	status=$?
	if [ $status -ne 0 ]; then
		ok=0
		measured="(exit $status: $(head -c 200 "$OUT/claim.err"))"
	elif [ "$tol" = exact ]; then
		[ "$measured" = "$expected" ] && ok=1 || ok=0
	else
		"$PYTHON" - "$measured" "$expected" "$tol" <<'PY' && ok=1 || ok=0
import json, math, sys
def num(v):
    if isinstance(v, str): return float(v.replace("Infinity", "inf"))
    return float("nan") if v is None else v
def eq(a, b, t):
    if isinstance(b, list):
        return isinstance(a, list) and len(a) == len(b) and all(eq(x, y, t) for x, y in zip(a, b))
    if isinstance(b, dict):
        return isinstance(a, dict) and all(k in a and eq(a[k], b[k], t) for k in b)
    if isinstance(b, bool) or (isinstance(b, str) and b not in ("NaN", "Infinity", "-Infinity")):
        return a == b
    a, b = num(a), num(b)
    if math.isnan(b): return math.isnan(a)
    if math.isinf(b): return a == b
    return abs(a - b) <= t * max(1.0, abs(b))
def parse(s):
    try: return json.loads(s)
    except ValueError: return [float(w) for w in s.split()] if len(s.split()) > 1 else float(s)
try:
    sys.exit(0 if eq(parse(sys.argv[1]), parse(sys.argv[2]), float(sys.argv[3])) else 1)
except Exception:
    sys.exit(1)
PY
	fi
	mark=$([ $ok = 1 ] && echo ok || echo FAILED)
	case "$cmd" in
	*"
"*) shown=$(_cmdref "$text" "$cmd") ;;
	*) shown="\`$(_cmdcell "$cmd")\`" ;;
	esac
	printf '| %s | %s | %s | %s | %s |\n' "$(_cell "$text")" "$shown" "$(_cell "$expected")" \
		"$(_cell "$measured")" "$mark" >> "$REPORT"
	printf '%s\t%s\t%s\n' "$mark" "$POST" "$text" >> "$CLAIMS"
	printf '%-6s %s\n' "$mark" "$text"
	[ $ok = 1 ] || printf '       expected %s\n       measured %s\n' "$(_cell "$expected")" "$(_cell "$measured")"
}

figure() {
	file=$1 caption=$2 cmd=$3
	_flush
	if bash -c "set -o pipefail; $cmd" > "$OUT/figure.log" 2>&1 && [ -s "$OUT/$file" ]; then
		printf '\n![%s](%s)\n\n*%s* — made by `%s`\n\n' "$caption" "$file" "$caption" "$(_cmdcell "$cmd")" >> "$REPORT"
		printf 'figure %s\n' "$OUT/$file"
	else
		printf 'FAILED figure %s\n' "$file"; cat "$OUT/figure.log"
		printf 'FAILED\t%s\tfigure %s\n' "$POST" "$file" >> "$CLAIMS"
	fi
}
