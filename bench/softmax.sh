# bench/softmax.sh — softmax against torch (one thread), scipy, cat, jq and a
# Python loop, on the same data, in one run.  Prints a markdown section.
set -eu
export OPENBLAS_NUM_THREADS=1   # peers on one thread, as ours
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
import json, os, resource, subprocess, sys, time
import numpy as np
bin_dir, build = sys.argv[1], sys.argv[2]
sys.path.insert(0, "bench")
from timing import best, cpu_sh, stage
def pipe_vs_cat(cmd, path, n=7):
    # ours and cat alternated in one run, best of n each
    o, c = [1e30, 1e30], [1e30, 1e30]
    for _ in range(n):
        a = stage(cmd, path); o = [min(o[0], a[0]), min(o[1], a[1])]
        a = stage(["cat"], path); c = [min(c[0], a[0]), min(c[1], a[1])]
    return o, c
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
    ours = float(out.stdout) / 1e3          # us per row: f32 in, double inside, f32 out (CPU time)
    xd = x.astype(np.float64)
    row("kernel, rows of %d (us/row)" % n, ours, best(lambda: ssm(xd, axis=1), 5) / nr * 1e6, "scipy f64", "us")
    if torch is not None:
        t = torch.from_numpy(x)
        td = t.double()
        row("kernel, rows of %d (us/row)" % n, ours, best(lambda: torch.softmax(t, 1), 5) / nr * 1e6, "torch f32, 1 thread", "us")
        row("kernel, rows of %d (us/row)" % n, ours, best(lambda: torch.softmax(td, 1), 5) / nr * 1e6, "torch f64, 1 thread", "us")

big = "bench/out/sm1024.f32"
mb = os.path.getsize(big) / 1e6
# The fair cat: the same file on stdin, the output into a pipe to the same
# consumer (cat > /dev/null).  `cat file > file` is not the same job: it uses
# copy_file_range, and the bytes never pass through user space.
(oc, ow), (cc, cw) = pipe_vs_cat([bin_dir + "/softmax", "-i", "f32", "-d", "1024"], big)
rows.append("| raw pipeline `softmax -i f32 -d 1024 < %.0f MB \\| cat > /dev/null`, CPU time of the stage | %.0f MB/s | `cat < file \\| cat > /dev/null`: %.0f MB/s | %.2f |"
            % (mb, mb / oc, mb / cc, cc / oc))
rows.append("| the same, wall time of the pipeline | %.0f MB/s | %.0f MB/s | %.2f |" % (mb / ow, mb / cw, cw / ow))

js = "bench/out/sm.jsonl"
ours = cpu_sh("%s/softmax < %s > bench/out/o.jsonl" % (bin_dir, js))
jq = cpu_sh("jq -c '(max) as $m | (map(. - $m | exp)) as $e | ($e | add) as $s | $e | map(. / $s)' < "
           + js + " > bench/out/o2.jsonl", 1)
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
print("Times are CPU time (user + sys), best of several runs, ours and the peer alternated in one run.")
print("The kernel rows take float32 rows in and give float32 rows out (ours computes in double and")
print("rounds once); torch.softmax returns a new tensor.  The pipeline rows compare one stage of a")
print("pipeline with cat in the same place: the file on stdin, the output into `| cat > /dev/null`.\n")
print("| case | ours | peer | peer/ours |")
print("|---|---|---|---|")
print("\n".join(rows))
print()
PY
