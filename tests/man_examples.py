"""Run the EXAMPLES of one mdoc page as written (tests/man-examples.bats).

Each "$ command" line in a literal display (.Bd -literal ... .Ed) of the
EXAMPLES section is run with bash from the current directory; the lines after
it, up to the next "$ " or .Ed, are its expected output, compared as text or,
where both parse as JSON Lines, as numbers within 1e-12.  ".Dl $ command"
lines are run and only their exit status is checked.  Commands using GNU
parallel or files the page does not create (big.jsonl, preds.jsonl) are skipped.
"""
import json, math, re, subprocess, sys

SKIP = re.compile(r"parallel|big\.jsonl|preds\.jsonl|man -l")

def unescape(s):
    return (s.replace("\\e", "\\").replace("\\-", "-").replace("\\(aq", "'")
             .replace("\\(dq", '"').replace("\\&", ""))

def examples(text):
    ex = lit = False
    cmd, out = None, []
    for line in text.splitlines():
        if line.startswith(".Sh "):
            ex = line.startswith(".Sh EXAMPLES")
            continue
        if not ex:
            continue
        if line.startswith(".Bd -literal"):
            lit = True
            continue
        if line.startswith(".Ed"):
            if cmd is not None:
                yield cmd, out
            cmd, out, lit = None, [], False
            continue
        if line.startswith(".Dl $ "):
            yield unescape(line[6:]), None
            continue
        if lit and line.startswith("$ "):
            if cmd is not None:
                yield cmd, out
            cmd, out = unescape(line[2:]), []
        elif lit and cmd is not None:
            out.append(unescape(line))

def console_blocks(text):
    """```console blocks of a markdown file: "$ command" lines and their output."""
    cmd, out, inside = None, [], False
    for line in text.splitlines():
        if line.startswith("```console"):
            inside = True
            continue
        if inside and line.startswith("```"):
            if cmd is not None:
                yield cmd, out
            cmd, out, inside = None, [], False
            continue
        if inside and line.startswith("$ "):
            if cmd is not None:
                yield cmd, out
            cmd, out = re.sub(r"\s+# .*$", "", line[2:]), []
        elif inside and cmd is not None:
            out.append(line)

def close(a, b):
    if isinstance(b, list):
        return isinstance(a, list) and len(a) == len(b) and all(close(x, y) for x, y in zip(a, b))
    if isinstance(b, dict):
        return isinstance(a, dict) and a.keys() == b.keys() and all(close(a[k], b[k]) for k in b)
    if isinstance(b, (int, float)) and not isinstance(b, bool):
        return isinstance(a, (int, float)) and (a == b or abs(a - b) <= 1e-12 * abs(b) + 1e-15)
    return a == b

def lines_json(s):
    try:
        return [json.loads(l) for l in s.splitlines() if l.strip()]
    except ValueError:
        return None

fails = 0
text = open(sys.argv[1]).read()
for cmd, want in (console_blocks(text) if sys.argv[1].endswith(".md") else examples(text)):
    if SKIP.search(cmd):
        continue
    r = subprocess.run(["bash", "-c", "set -o pipefail; " + cmd], capture_output=True, text=True)
    got = (r.stdout + r.stderr).rstrip("\n")
    expect_fail = want is not None and any(w.startswith(("Try '", "usage:")) for w in want)
    if r.returncode != 0 and not expect_fail and not (want and any(": " in w for w in want)):
        print("FAILED (exit %d): %s\n  %s" % (r.returncode, cmd, got[:300]))
        fails += 1
        continue
    if not want:
        continue
    w = "\n".join(want)
    if got == w:
        continue
    gj, wj = lines_json(got), lines_json(w)
    if gj is not None and wj is not None and close(gj, wj):
        continue
    print("DIFFERS: %s\n  want: %s\n  got:  %s" % (cmd, w[:300], got[:300]))
    fails += 1
sys.exit(1 if fails else 0)
