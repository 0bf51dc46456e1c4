# bench/softmax.sh — softmax against torch (one thread), scipy, cat, jq and a
# Python loop, on the same data, in one run.  Prints a markdown section.
set -eu
OUT=bench/out
mkdir -p "$OUT"
PY=${PYTHON:-/usr/bin/python3}
"$PY" - <<'PY'
import json, numpy as np
r = np.random.default_rng(0)
r.standard_normal((20000, 1024), dtype=np.float32).tofile("bench/out/sm1024.f32")
r.standard_normal((200, 50257), dtype=np.float32).tofile("bench/out/sm50257.f32")
with open("bench/out/sm.jsonl", "w") as f:
    for row in r.standard_normal((20000, 64)):
        f.write(json.dumps(row.tolist()) + "\n")
PY
"$PY" - "$KX_BIN" "${KX_BUILD:-build}" <<'PY'
import json, os, subprocess, sys, time
import numpy as np
bin_dir, build = sys.argv[1], sys.argv[2]
def best(f, n=3):
    b = 1e30
    for _ in range(n):
        t0 = time.perf_counter(); f(); b = min(b, time.perf_counter() - t0)
    return b
def sh(cmd):
    return lambda: subprocess.run(cmd, shell=True, check=True)
rows = []
def row(case, ours, peer, name, unit):
    rows.append("| %s | %.3g %s | %s: %.3g %s | %.2f |" % (case, ours, unit, name, peer, unit, peer / ours))

try:
    import torch
    torch.set_num_threads(1)
except Exception:
    torch = None
from scipy.special import softmax as ssm
for n, path in ((1024, "bench/out/sm1024.f32"), (50257, "bench/out/sm50257.f32")):
    x = np.fromfile(path, "<f4").reshape(-1, n)
    nr = x.shape[0]
    out = subprocess.run([build + "/bench/kernel", "softmax", path, str(n)], capture_output=True, text=True)
    ours = float(out.stdout) / 1e3          # us per row, the kernel alone (double precision)
    xd = x.astype(np.float64)
    row("kernel, rows of %d (us/row)" % n, ours, best(lambda: ssm(xd, axis=1)) / nr * 1e6, "scipy f64", "us")
    if torch is not None:
        t = torch.from_numpy(x)
        td = t.double()
        row("kernel, rows of %d (us/row)" % n, ours, best(lambda: torch.softmax(t, 1)) / nr * 1e6, "torch f32, 1 thread", "us")
        row("kernel, rows of %d (us/row)" % n, ours, best(lambda: torch.softmax(td, 1)) / nr * 1e6, "torch f64, 1 thread", "us")

big = "bench/out/sm1024.f32"
mb = os.path.getsize(big) / 1e6
ours = best(sh("%s/softmax -i f32 -d 1024 < %s > bench/out/o.f32" % (bin_dir, big)))
cat = best(sh("cat %s > bench/out/o.f32" % big))
rows.append("| raw pipeline `softmax -i f32 -d 1024 < %.0f MB > out` | %.0f MB/s | cat: %.0f MB/s | %.2f |" % (mb, mb / ours, mb / cat, ours / cat))

js = "bench/out/sm.jsonl"
ours = best(sh("%s/softmax < %s > bench/out/o.jsonl" % (bin_dir, js)))
jq = best(sh("jq -c '(max) as $m | map(. - $m | exp) | add as $s | map(. / $s)' < %s > bench/out/o2.jsonl" % js.replace("$", "\\$")) if False else
          sh("jq -c '(max) as $m | (map(. - $m | exp)) as $e | ($e | add) as $s | $e | map(. / $s)' < " + js + " > bench/out/o2.jsonl"), 1)
def pyloop():
    with open(js) as f, open("bench/out/o3.jsonl", "w") as g:
        for line in f:
            x = np.array(json.loads(line)); e = np.exp(x - x.max())
            g.write(json.dumps((e / e.sum()).tolist()) + "\n")
py = best(pyloop, 1)
rows.append("| JSON Lines, 20000 rows of 64 (s) | %.3g s | jq: %.3g s | %.1f |" % (ours, jq, jq / ours))
rows.append("| JSON Lines, 20000 rows of 64 (s) | %.3g s | Python json + numpy loop: %.3g s | %.1f |" % (ours, py, py / ours))

mem = subprocess.run("head -c 1000000000 /dev/zero | /usr/bin/time -f %%M %s/softmax -i f32 -d 1024 > /dev/null" % bin_dir,
                     shell=True, capture_output=True, text=True).stderr.split()[-1]
rows.append("| 1 GB raw stream through `softmax -i f32 -d 1024` | %.1f MB peak RSS | | |" % (int(mem) / 1024))

print("### softmax\n")
print("| case | ours | peer | peer/ours |")
print("|---|---|---|---|")
print("\n".join(rows))
print()
PY
