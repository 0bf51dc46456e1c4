#!/bin/sh
# bench/sparsemax.sh — sparsemax against what a user would write instead: a numpy
# sort-based sparsemax and 1.5-entmax (vectorised over rows, as in the entmax
# package's torch code) and entmax_bisect's bisection in numpy, on the same rows;
# scipy.optimize.brentq per row for general alpha.  Peers are timed inside one
# python process (best of 3, time.perf_counter); our program by timing the
# subprocess (best of 3).  Prints a markdown section.
cd "$(dirname "$0")/.." || exit 1
: "${KX_BIN:=$PWD/bin}" "${PYTHON:=/usr/bin/python3}"
mkdir -p bench/out
exec "$PYTHON" - "$KX_BIN/sparsemax" <<'PY'
import json, subprocess, sys, time
import numpy as np
from scipy.optimize import brentq

prog = sys.argv[1]
out = "bench/out/"
rng = np.random.default_rng(0)

def best(f, k=3):
    t = []
    for _ in range(k):
        t0 = time.perf_counter(); r = f(); t.append(time.perf_counter() - t0)
    return min(t), r

def ours(args, infile, outfile):
    def run():
        with open(infile, "rb") as fi, open(outfile, "wb") as fo:
            subprocess.run([prog] + args, stdin=fi, stdout=fo, check=True)
    return best(run)[0]

# --- numpy peers, vectorised over rows (the entmax package's algorithms) ---
def np_sparsemax(x):
    z = x - x.max(1, keepdims=True)
    zs = -np.sort(-z, axis=1)
    cs = np.cumsum(zs, 1) - 1
    k = np.arange(1, z.shape[1] + 1)
    K = (zs * k > cs).sum(1, keepdims=True)
    tau = np.take_along_axis(cs, K - 1, 1) / K
    return np.maximum(z - tau, 0)

def np_entmax15(x):
    z = (x - x.max(1, keepdims=True)) / 2
    zs = -np.sort(-z, axis=1)
    k = np.arange(1, z.shape[1] + 1)
    mean = np.cumsum(zs, 1) / k
    msq = np.cumsum(zs * zs, 1) / k
    delta = (1 - k * (msq - mean ** 2)) / k
    tau = mean - np.sqrt(np.clip(delta, 0, None))
    K = (tau <= zs).sum(1, keepdims=True)
    t = np.take_along_axis(tau, K - 1, 1)
    return np.clip(z - t, 0, None) ** 2

def np_bisect(x, alpha, n_iter=50):
    # entmax_bisect's iteration in numpy, all rows at once
    e = alpha - 1
    z = e * (x - x.max(1, keepdims=True))
    lo = np.full((x.shape[0], 1), -1.0); hi = np.full_like(lo, -(1 / x.shape[1]) ** e)
    for _ in range(n_iter):
        mid = (lo + hi) / 2
        f = (np.clip(z - mid, 0, None) ** (1 / e)).sum(1, keepdims=True) - 1
        lo = np.where(f >= 0, mid, lo); hi = np.where(f >= 0, hi, mid)
    p = np.clip(z - lo, 0, None) ** (1 / e)
    return p / p.sum(1, keepdims=True)

def sp_brentq(x, alpha):
    e = alpha - 1; P = np.empty_like(x)
    for i, row in enumerate(x):
        z = e * (row - row.max())
        t = brentq(lambda t: (np.clip(z - t, 0, None) ** (1 / e)).sum() - 1, -1, 0, xtol=1e-300, rtol=8.9e-16)
        p = np.clip(z - t, 0, None) ** (1 / e); P[i] = p / p.sum()
    return P

rows = []
def case(name, args, x, peer_name, peer, infile, tol):
    d = x.shape[1]
    x.astype("<f8").tofile(infile)
    tp, P = best(lambda: peer(x))
    to = ours(["-i", "f64", "-d", str(d)] + args, infile, out + "p.f64")
    Q = np.fromfile(out + "p.f64", "<f8").reshape(x.shape)
    err = float(np.abs(P - Q).max())
    rows.append((name, to, peer_name, tp, err))
    assert err <= tol, (name, err)

g = lambda r, c, s=1.0: rng.standard_normal((r, c)) * s
x1 = g(2000, 1000, 3.0)
case("sparsemax, 2000 x 1000 f64 (Condat)", [], x1, "numpy sort", np_sparsemax, out + "x1.f64", 1e-15)
case("sparsemax, 2000 x 1000 f64, --algo=sort", ["--algo=sort"], x1, "numpy sort", np_sparsemax, out + "x1.f64", 1e-15)
xf = g(2000, 1000, 1e-4)
case("sparsemax, flat rows (full support), Condat", [], xf, "numpy sort", np_sparsemax, out + "xf.f64", 1e-15)
case("sparsemax, flat rows (full support), --algo=sort", ["--algo=sort"], xf, "numpy sort", np_sparsemax, out + "xf.f64", 1e-15)
x2 = g(20000, 50, 1.0)
case("sparsemax, 20000 x 50 f64 (Condat)", [], x2, "numpy sort", np_sparsemax, out + "x2.f64", 1e-15)
case("1.5-entmax, 2000 x 1000 f64 (sort)", ["-a", "1.5"], x1, "numpy sort", np_entmax15, out + "x1.f64", 1e-14)
x3 = g(300, 1000, 2.0)
case("alpha 1.33, 300 x 1000, --iters 50", ["-a", "1.33", "--iters", "50"], x3, "numpy bisection, 50 steps",
     lambda x: np_bisect(x, 1.33), out + "x3.f64", 1e-15)
case("alpha 1.33, 300 x 1000, converged", ["-a", "1.33"], x3, "numpy bisection, 50 steps",
     lambda x: np_bisect(x, 1.33), out + "x3.f64", 1e-12)
x4 = g(300, 100, 2.0)
case("alpha 1.33, 300 x 100, converged", ["-a", "1.33"], x4, "scipy brentq per row",
     lambda x: sp_brentq(x, 1.33), out + "x4.f64", 1e-13)

# JSON in and out: our whole pipeline against numpy on arrays already in memory
x5 = g(2000, 100, 3.0)
with open(out + "x5.jsonl", "w") as f:
    for r in x5: f.write(json.dumps(r.tolist()) + "\n")
tp, _ = best(lambda: np_sparsemax(x5))
to = ours([], out + "x5.jsonl", out + "p5.jsonl")
rows.append(("sparsemax, 2000 x 100 JSON lines", to, "numpy sort (arrays in memory)", tp, None))

print("### sparsemax\n")
print("| case | ours | peer | peer/ours |")
print("|---|---|---|---|")
for name, to, pn, tp, err in rows:
    print("| %s | %.4f s | %s: %.4f s | %.1f |" % (name, to, pn, tp, tp / to))
print()
print("Our times include process start and raw I/O; peers compute on arrays in memory. Max |p - p_peer| "
      "over all cases: %.1e. Exact methods agree to 1e-15; 50 bisection steps of the same iteration agree "
      "to 1e-15; the converged search (safeguarded Newton) is the more accurate one." % max(r[4] for r in rows if r[4] is not None))
PY

# The alpha = 2 kernel alone on long rows (issue 3: 10^5 and 10^6 values), against
# the sort-based numpy sparsemax the entmax package uses; build/bench/kernel times
# kx_entmax_row (threshold and p) in one process.
"${PYTHON:-/usr/bin/python3}" - "${KX_BUILD:-build}" <<'PY'
import subprocess, sys, time
import numpy as np
def np_sparsemax(z):
    zs = -np.sort(-z, axis=1); k = np.arange(1, z.shape[1] + 1)
    cs = np.cumsum(zs, axis=1); K = (1 + k * zs > cs).sum(1)
    tau = (cs[np.arange(z.shape[0]), K - 1] - 1) / K
    return np.maximum(z - tau[:, None], 0)
r = np.random.default_rng(0)
print("| case (kernel alone, ms per row) | ours | numpy sort | numpy/ours |")
print("|---|---|---|---|")
for n, rows in ((100000, 20), (1000000, 4)):
    x = r.standard_normal((rows, n)) * 3
    x.tofile("bench/out/spm.f64")
    t_np = min((lambda t0: (np_sparsemax(x), time.perf_counter() - t0)[1])(time.perf_counter()) for _ in range(3)) / rows
    for label, extra in (("auto (Condat)", []), ("sort", ["sort"])):
        out = subprocess.run([sys.argv[1] + "/bench/kernel", "sparsemax", "bench/out/spm.f64", str(n), "2"] + extra,
                             capture_output=True, text=True).stdout
        ours = float(out) / 1e9
        print("| sparsemax, one row of %d, %s | %.2f | %.2f | %.1f |" % (n, label, ours * 1e3, t_np * 1e3, t_np / ours))
print()
PY
