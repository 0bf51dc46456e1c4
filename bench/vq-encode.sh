# bench/vq-encode.sh — vq-encode against numpy, scipy and faiss (one thread) on the
# same data, in one run: top-1 assignment throughput, and k-means (10 Lloyd
# iterations from the same initial codebook).  Prints a markdown section.
set -eu
OUT=bench/out/vq
mkdir -p "$OUT"
PY=${PYTHON:-/usr/bin/python3}
"$PY" - "$KX_BIN" "$OUT" <<'PY'
import subprocess, sys, time
import numpy as np
bin_dir, out = sys.argv[1], sys.argv[2]
try:
    import faiss
    faiss.omp_set_num_threads(1)
except Exception:
    faiss = None
from scipy.spatial.distance import cdist
from scipy.cluster.vq import kmeans2

import resource
CPU = {}          # case -> (ours, peer) CPU seconds, a second table (the VM is shared)

def cpu_now():
    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime

def best(f, n=3):
    """best of n: wall seconds (perf_counter), CPU seconds (all threads), result"""
    b, c, r = 1e30, 1e30, None
    for _ in range(n):
        c0 = cpu_now(); t0 = time.perf_counter(); r = f()
        b = min(b, time.perf_counter() - t0); c = min(c, cpu_now() - c0)
    best.cpu = c
    return b, r

def ours(args, n=3):
    t = best(lambda: subprocess.run([bin_dir + "/vq-encode"] + args, check=True,
                                    stdout=subprocess.DEVNULL), n)[0]
    ours.cpu = best.cpu
    return t

rows = []
r = np.random.default_rng(0)
# ----- assignment: vectors per second, raw f32 in, u32 out ---------------------
for N, K, D in ((100000, 16, 4), (50000, 256, 64), (20000, 1024, 64), (5000, 1024, 256)):
    X = r.standard_normal((N, D)).astype("<f4"); C = r.standard_normal((K, D))
    X.tofile(out + "/x.f32"); np.save(out + "/c.npy", C)
    to = ours(["-c", out + "/c.npy", "-i", "f32", "-O", "u32", "-o", out + "/i.u32", out + "/x.f32"])
    got = np.fromfile(out + "/i.u32", "<u4")
    Xd = X.astype(np.float64)
    tn, ref = best(lambda: cdist(Xd, C, "sqeuclidean").argmin(1))
    case = "assign N=%d K=%d D=%d (vectors/s)" % (N, K, D)
    rows.append((case, N / to, "scipy cdist + argmin (f64)", N / tn, ours.cpu, best.cpu))
    cn = (C ** 2).sum(1)
    te, _ = best(lambda: (cn[None, :] - 2 * Xd @ C.T).argmin(1))
    rows.append((case, N / to, "numpy norm expansion + argmin (f64)", N / te, ours.cpu, best.cpu))
    agree = (got == ref).mean()
    if faiss is not None:
        ix = faiss.IndexFlatL2(D); ix.add(C.astype("float32"))
        tf, (_, I) = best(lambda: ix.search(X, 1))
        rows.append((case, N / to, "faiss IndexFlatL2 (f32, 1 thread)", N / tf, ours.cpu, best.cpu))
        agree = min(agree, 1.0)
    assert (got == ref).all() or agree > 0.9999, agree

# ----- k-means: 10 iterations from the first K rows -------------------------------
N, K, D, T = 20000, 64, 16, 10
X = r.standard_normal((N, D)) * (1 + r.integers(0, 3, (N, 1)))
X.astype("<f8").tofile(out + "/km.f64")
to = ours(["-t", str(K), "--init", "first", "--empty", "keep", "--iters", str(T), "-q", "-i", "f64",
           "-d", str(D), "-o", out + "/cb.npy", out + "/km.f64"])
def lloyd():
    C = X[:K].copy()
    for _ in range(T):
        a = ((X ** 2).sum(1)[:, None] - 2 * X @ C.T + (C ** 2).sum(1)[None]).argmin(1)
        s = np.zeros((K, D)); np.add.at(s, a, X); n = np.bincount(a, minlength=K)
        C = np.where(n[:, None] > 0, s / np.maximum(n, 1)[:, None], C)
    return C
tl, Cl = best(lloyd)
case = "k-means N=%d K=%d D=%d, %d iterations (s)" % (N, K, D, T)
rows.append((case, to, "numpy Lloyd loop", tl, ours.cpu, best.cpu))
ts, Cs = best(lambda: kmeans2(X, X[:K].copy(), iter=T, minit="matrix", missing="warn")[0])
rows.append((case, to, "scipy kmeans2", ts, ours.cpu, best.cpu))
diff = np.abs(np.load(out + "/cb.npy") - Cs).max()
if faiss is not None:
    def fk():
        km = faiss.Kmeans(D, K, niter=T, seed=1, verbose=False)
        km.train(X.astype("float32"), init_centroids=X[:K].astype("float32"))
        return km
    tf, _ = best(fk)
    rows.append((case, to, "faiss Kmeans (f32, 1 thread)", tf, ours.cpu, best.cpu))

print("### vq-encode\n")
print("| case | ours | peer | peer/ours |")
print("|---|---|---|---|")
for case, o, name, p, oc, pc in rows:
    if case.startswith("assign"):
        print("| %s | %.3g | %s: %.3g | %.2f |" % (case, o, name, p, o / p))
    else:
        print("| %s | %.3g s | %s: %.3g s | %.2f |" % (case, o, name, p, p / o))
print()
print("The same runs in CPU seconds (all threads; the wall times above carry the shared VM's load):\n")
print("| case (CPU seconds) | ours | peer | peer/ours |")
print("|---|---|---|---|")
for case, o, name, p, oc, pc in rows:
    print("| %s | %.3g s | %s: %.3g s | %.2f |" % (case.split(" (")[0], oc, name, pc, pc / max(oc, 1e-9)))
print()
print("Ours is the whole program (process start, raw f32/f64 input, output file), exact in double "
      "precision (float32 GEMM filter + re-check); the peers run on arrays already in memory. "
      "For assignment the ratio is ours/peer in vectors per second (above 1: we are faster). "
      "k-means: our codebook matches scipy kmeans2 to %.1e; the time includes the exact sums. "
      "OpenBLAS threading is left at its default for both us and numpy." % diff)
PY
