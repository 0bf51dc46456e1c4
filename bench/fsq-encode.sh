# bench/fsq-encode.sh — FSQ encoding throughput against numpy (float64 and
# float32), torch (one thread) and cat, on the same latents, in one run.
# Prints a markdown section.  Our times are whole runs of the program
# (process start, reading the file, writing the output into a pipe); the
# array peers' are in-memory array code.  All times are CPU time.
set -eu
export OPENBLAS_NUM_THREADS=1   # peers on one thread, as ours
OUT=bench/out
mkdir -p "$OUT"
PY=${PYTHON:-/usr/bin/python3}
"$PY" - <<'PY'
import json, numpy as np
r = np.random.default_rng(0)
r.standard_normal((10000000, 4), dtype=np.float32).tofile("bench/out/fsq4.f32")
z = r.standard_normal((2000000, 6))
z.astype("<f4").tofile("bench/out/fsq6.f32")
with open("bench/out/fsq.jsonl", "w") as f:
    for row in z[:100000, :4]:
        f.write(json.dumps(row.tolist()) + "\n")
PY
"$PY" - "${KX_BIN:-bin}" <<'PY'
import json, os, resource, subprocess, sys, time
import numpy as np
bin_dir = sys.argv[1]
sys.path.insert(0, "bench")
from timing import best, cpu_sh, stage
def best_stage(cmd, path, n=5):
    return min(stage(cmd, path)[0] for _ in range(n))
try:
    import torch
    torch.set_num_threads(1)
except Exception:
    torch = None

def consts(L, dtype):
    # quantize.md 1.2, atanh bound (the default), eps = 1e-3
    L = np.array(L); hw = L // 2; off = np.where(L % 2 == 0, 0.5, 0.0)
    half = (L - 1) * 1.001 / 2; shift = np.arctanh(off / half)
    basis = np.concatenate(([1], np.cumprod(L[:-1])))
    return [a.astype(dtype) for a in (half, off, shift, hw)] + [basis.astype(np.int64)]

def np_fsq(z, c):
    half, off, shift, hw, basis = c
    l = np.rint(np.tanh(z + shift) * half - off) + hw
    return (l.astype(np.int64) @ basis).astype(np.uint32)

def torch_fsq(z, c):
    half, off, shift, hw, basis = c
    l = torch.round(torch.tanh(z + shift) * half - off) + hw
    return (l.long() * basis).sum(1).to(torch.int32)

rows = []
def row(case, ours, peer, name):
    rows.append("| %s | %.3g vec/s | %s: %.3g vec/s | %.2f |" % (case, ours, name, peer, ours / peer))

for d, L, path in ((4, [8, 5, 5, 5], "bench/out/fsq4.f32"), (6, [8, 8, 8, 5, 5, 5], "bench/out/fsq6.f32")):
    z32 = np.fromfile(path, "<f4").reshape(-1, d)
    n = z32.shape[0]
    b = {4: 10, 6: 16}[d]
    cmd = [bin_dir + "/fsq-encode", "-b", str(b), "-i", "f32", "-O", "u32"]
    stage(cmd, path, keep="bench/out/fsq.u32")
    ours_idx = np.fromfile("bench/out/fsq.u32", "<u4")
    z64 = z32.astype(np.float64)
    c64, c32 = consts(L, np.float64), consts(L, np.float32)
    assert (np_fsq(z64, c64) == ours_idx).all()          # same answer in double
    case = "%s, %.0e f32 vectors -> u32 indices" % (L, n)
    t_ours = 1e30
    for peer, name in ((lambda: np_fsq(z64, c64), "numpy f64"), (lambda: np_fsq(z32, c32), "numpy f32")):
        t_ours = min(t_ours, best_stage(cmd, path, 3))
        row(case, n / t_ours, n / best(peer), name)
    if torch is not None:
        tz = torch.from_numpy(z32)
        tc = [torch.from_numpy(np.asarray(a)) for a in c32]
        t_ours = min(t_ours, best_stage(cmd, path, 3))
        row(case, n / t_ours, n / best(lambda: torch_fsq(tz, tc)), "torch f32, 1 thread")
    if d == 4:
        # cat in the same place: the same file on stdin, into a pipe to cat > /dev/null
        to, tc_ = 1e30, 1e30
        for _ in range(7):
            to = min(to, stage(cmd, path)[0])
            tc_ = min(tc_, stage(["cat"], path)[0])
        mb = os.path.getsize(path) / 1e6
        rows.append("| %s, `fsq-encode < file \\| cat > /dev/null` | %.0f MB/s | `cat < file \\| cat > /dev/null`: %.0f MB/s | %.2f |"
                    % (case, mb / to, mb / tc_, tc_ / to))
    code_cmd = [bin_dir + "/fsq-encode", "-b", str(b), "-i", "f32"]
    t_code = best_stage(code_cmd, path, 3)
    half, off, shift, hw, basis = c64
    row("%s, %.0e vectors -> f32 codes" % (L, n), n / t_code,
        n / best(lambda: ((np.rint(np.tanh(z64 + shift) * half - off) / hw).astype(np.float32))), "numpy f64")
    del z64

# JSON Lines: the program against the loop a user would write
js = "bench/out/fsq.jsonl"
nj = 100000
t_ours = cpu_sh("%s/fsq-encode -b 10 < %s > bench/out/fsq.out.jsonl" % (bin_dir, js))
c64 = consts([8, 5, 5, 5], np.float64)
def pyloop():
    half, off, shift, hw, basis = c64
    with open(js) as f, open("bench/out/fsq.py.jsonl", "w") as g:
        for line in f:
            l = np.rint(np.tanh(np.array(json.loads(line)) + shift) * half - off) + hw
            g.write(json.dumps({"index": int(l @ basis), "code": ((l - hw) / hw).tolist()}) + "\n")
def pybatch():
    half, off, shift, hw, basis = c64
    z = np.array([json.loads(line) for line in open(js)])
    l = np.rint(np.tanh(z + shift) * half - off) + hw
    idx = l.astype(np.int64) @ basis; code = (l - hw) / hw
    with open("bench/out/fsq.py.jsonl", "w") as g:
        g.writelines(json.dumps({"index": int(i), "code": c}) + "\n" for i, c in zip(idx, code.tolist()))
row("JSON Lines, 1e5 vectors of 4 -> index, code", nj / t_ours, nj / best(pyloop, 1), "Python json + numpy per line")
row("JSON Lines, 1e5 vectors of 4 -> index, code", nj / t_ours, nj / best(pybatch, 1), "Python json + numpy batched")

print("### fsq-encode\n")
print("Throughput in vectors per second, from CPU time (user + sys; higher is better), best of several")
print("runs, ours and the peer alternated in one run; the last column is peer time / our time (above 1:")
print("we are faster).  Ours is the whole program run on a file on stdin, writing into a pipe (start,")
print("read, write); the array peers are array code on data already in memory.  numpy f64 gives the")
print("same indices.  The cat row: MB/s of input moved, cat in the same place of the same pipeline.\n")
print("| case | ours | peer | peer/ours |")
print("|---|---|---|---|")
print("\n".join(rows))
print()
PY
