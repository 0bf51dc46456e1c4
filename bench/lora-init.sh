#!/bin/bash
# bench/lora-init.sh — LoRA-GA initialisation of one layer (average K gradients, top-2r SVD,
# A, B, w0_adj) against what a user would write instead: numpy (np.linalg.svd of the mean
# gradient, as the post's algorithm reads) and torch (torch.svd_lowrank(q = 4r, niter = 4),
# as the LoRA-GA reference code and peft do; one thread).  Same .npy data for everyone; our
# time is the whole program (file mode: reading the .npy files, writing A, B, w0_adj as .npy).
cd "$(dirname "$0")/.." || exit 1
: "${KX_BIN:=$PWD/bin}" "${PYTHON:=/usr/bin/python3}"
mkdir -p bench/out
"$PYTHON" - "$KX_BIN/lora-init" <<'PY'
import json, resource, subprocess, sys, time
import numpy as np
prog = sys.argv[1]
try:
    import torch
    torch.set_num_threads(1)
except Exception:
    torch = None

def best(f, k=3):
    """(best wall-clock, best CPU seconds of this process and its children) over k runs."""
    t, c = [], []
    for _ in range(k):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN); c0 = time.process_time()
        t0 = time.perf_counter(); f(); t.append(time.perf_counter() - t0)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        c.append(time.process_time() - c0 + (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime))
    return min(t), min(c)

def np_lora_ga(W0, Gs, r, s, c):
    G = Gs.astype(np.float64).mean(0)
    U, S, Vh = np.linalg.svd(G, full_matrices=False)
    A = (c * Vh[:r]).astype(np.float32); B = (c * U[:, r:2 * r]).astype(np.float32)
    return A, B, (W0 - s * B.astype(np.float64) @ A.astype(np.float64)).astype(np.float32)

def torch_lora_ga(W0, Gs, r, s, c):
    G = torch.from_numpy(Gs).double().mean(0)
    U, S, V = torch.svd_lowrank(G, q=min(4 * r, min(G.shape)), niter=4)
    A = (c * V[:, :r].T).float(); B = (c * U[:, r:2 * r]).float()
    return A, B, (torch.from_numpy(W0).double() - s * B.double() @ A.double()).float()

rows = []
rng = np.random.default_rng(0)
cases = [(512, 512, 8, 4, "full"), (1024, 1024, 8, 4, "auto"), (2048, 2048, 16, 4, "auto")]
for m, n, r, K, svd in cases:
    W0 = rng.standard_normal((m, n)).astype(np.float32)
    Gs = (rng.standard_normal((K, m, n)) * (0.97 ** np.arange(n))).astype(np.float32)
    np.save("bench/out/lora-w.npy", W0); np.save("bench/out/lora-g.npy", Gs)
    s, c = 16 / r, m ** 0.25 / 4
    cmd = [prog, "-q", "--w0", "bench/out/lora-w.npy", "--grad", "bench/out/lora-g.npy", "-r", str(r),
           "--svd", svd, "--out-prefix", "bench/out/lora-q"]
    ours = best(lambda: subprocess.run(cmd, check=True))
    how = "dgesdd" if svd == "full" or min(m, n) < 1024 else "randomized"
    name = f"LoRA-GA {m}x{n}, r {r}, {K} grads, ours {how}"
    # numpy's full SVD is the same computation as ours with --svd full; torch's svd_lowrank is
    # the randomized one: each ratio compares like with like where the name says so
    t_np = best(lambda: np_lora_ga(W0, Gs, r, s, c), k=1 if m >= 2048 else 3)
    rows.append((name, ours, "numpy np.linalg.svd (full)", t_np))
    if torch is not None:
        t_t = best(lambda: torch_lora_ga(W0, Gs, r, s, c))
        rows.append((name, ours, "torch svd_lowrank (1 thread)", t_t))
    else:
        rows.append((name, ours, "torch (not importable)", (float("nan"), float("nan"))))
    # agreement of our sigma with numpy's (exact for dgesdd; the randomized estimate otherwise)
    sig = json.load(open("bench/out/lora-q.json"))["sigma"]
    S = np.linalg.svd(Gs.astype(np.float64).mean(0), compute_uv=False)[:2 * r]
    rows[-2] = rows[-2] + (float(np.abs(np.array(sig) / S - 1).max()),)

print("### lora-init\n")
print("LoRA-GA init of one layer from .npy files (mean of K gradients, SVD, A, B, w0_adj; ours includes")
print("reading and writing the .npy files).  numpy uses its own OpenBLAS threads; torch one thread.\n")
for j, what in ((0, "case"), (1, "case (CPU seconds, all threads)")):
    print(f"| {what} | ours | peer | peer/ours |")
    print("|---|---|---|---|")
    for row in rows:
        name, ours, peer, tp = row[0], row[1][j], row[2], row[3][j]
        extra = f" (our sigma vs numpy: {row[4]:.0e} rel.)" if len(row) > 4 and j == 0 else ""
        print(f"| {name}{extra} | {ours:.3f} s | {peer}: {tp:.3f} s | {tp / ours:.2f} |")
    print()
PY
