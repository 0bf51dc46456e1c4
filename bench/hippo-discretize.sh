# bench/hippo-discretize.sh — hippo-discretize against what a user would pick instead:
# scipy.signal.cont2discrete / scipy.linalg.expm for the matrices, and a numpy
# recurrence (s4-style precomputed steps for scaled LegS, x = Ad x + Bd u for LTI)
# for run mode.  Prints a markdown section; times are best of 3 in one run.
cd "$(dirname "$0")/.." || exit 1
mkdir -p bench/out
: "${PYTHON:=/usr/bin/python3}"
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
"$PYTHON" - <<'EOF'
import json, subprocess, time, numpy as np
from scipy.signal import cont2discrete
from scipy.linalg import expm, solve_triangular

H = "bin/hippo-discretize"
def ours(args, stdin=None):
    best = 1e9
    for _ in range(3):
        f = open(stdin, "rb") if stdin else None
        t = time.perf_counter(); subprocess.run([H] + args, stdin=f, check=True, stdout=subprocess.DEVNULL); best = min(best, time.perf_counter() - t)
        if f: f.close()
    return best
def peer(fn):
    best = 1e9
    for _ in range(3):
        t = time.perf_counter(); fn(); best = min(best, time.perf_counter() - t)
    return best
def cont(args):
    d = json.loads(subprocess.run([H] + args + ["--continuous"], capture_output=True, text=True, check=True).stdout)
    return np.array(d["A"]), np.array(d["B"])

rows, notes = [], []
# --- matrices: cont2discrete (scipy) vs the program writing .npy
for meas, N, meth in [("legt", 256, "bilinear"), ("legt", 256, "zoh"), ("legt", 1024, "zoh")]:
    A, B = cont(["-m", meas, "-N", str(N)])
    C, D = np.zeros((1, N)), np.zeros((1, 1))
    t_o = ours(["-m", meas, "-N", str(N), "--dt", "1e-3", "-M", meth, "-o", "bench/out/hippo-m.npy"])
    t_p = peer(lambda: cont2discrete((A, B[:, None], C, D), 1e-3, method=meth))
    rows.append(("%s N=%d %s matrices (scipy cont2discrete)" % (meas, N, meth), t_o, t_p))
# --- expm of the LegS-LTI matrix (the program's zoh, scipy.linalg.expm on the augmented matrix)
N = 512
A, B = cont(["--lti", "-N", str(N)])
M = np.zeros((N + 1, N + 1)); M[:N, :N] = A; M[:N, N] = B
t_o = ours(["--lti", "-N", str(N), "--dt", "0.01", "-M", "zoh", "-o", "bench/out/hippo-m.npy"])
t_p = peer(lambda: expm(0.01 * M))
rows.append(("expm, LegS-LTI N=512 (scipy.linalg.expm)", t_o, t_p))

# --- run mode, scaled LegS: 10^5 samples; numpy with s4's precomputed per-step matrices
rng = np.random.default_rng(0)
L = 100000
u = rng.standard_normal(L)
u.tofile("bench/out/hippo-u.f64")
for N in (64, 256):
    A, B = cont(["-N", str(N)])
    I = np.eye(N)
    lmax = 1024 if N == 64 else 256   # s4 LSICell precomputes l_max steps (memory: lmax N^2 doubles)
    G = np.empty((lmax, N, N)); Hs = np.empty((lmax, N))
    for t in range(1, lmax + 1):
        M = I - A / (2 * t)
        G[t - 1] = np.linalg.solve(M, I + A / (2 * t)); Hs[t - 1] = np.linalg.solve(M, B / t)
    Lp = 20000
    def run_np():
        x = u[0] * I[0]
        for k in range(1, Lp):
            t = min(k, lmax) - 1
            x = G[t] @ x + Hs[t] * u[k]
        return x
    t_p = peer(run_np) * L / Lp          # scaled to 10^5 samples (the loop is linear in L)
    t_o = ours(["-N", str(N), "--mode", "final", "-i", "f64", "-O", "json"], "bench/out/hippo-u.f64")
    rows.append(("run scaled LegS N=%d, 1e5 samples (numpy loop, s4 steps)" % N, t_o, t_p))
    notes.append("scaled LegS N=%d: ours %.0f samples/s, numpy %.0f samples/s" % (N, L / t_o, L / t_p))
# --- run mode, LTI LegT N=256: x = Ad x + Bd u
N = 256
A, B = cont(["-m", "legt", "-N", str(N)])
Ad, Bd, _, _, _ = cont2discrete((A, B[:, None], np.zeros((1, N)), np.zeros((1, 1))), 1e-3, method="bilinear")
Bd = Bd[:, 0]
Lp = 20000
def run_lti():
    x = np.zeros(N)
    for k in range(Lp):
        x = Ad @ x + Bd * u[k]
    return x
t_p = peer(run_lti) * L / Lp
t_o = ours(["-m", "legt", "-N", str(N), "--dt", "1e-3", "--mode", "final", "-i", "f64", "-O", "json"], "bench/out/hippo-u.f64")
rows.append(("run LegT N=256 bilinear, 1e5 samples (numpy loop)", t_o, t_p))
notes.append("LegT N=256: ours %.0f samples/s, numpy %.0f samples/s" % (L / t_o, L / t_p))

print("### hippo-discretize\n")
print("| case | ours | peer | peer/ours |")
print("|---|---|---|---|")
for name, a, b in rows:
    print("| %s | %.3g s | %.3g s | %.2f |" % (name, a, b, b / a))
print()
print("Ours: the program's wall time (process start, writing .npy or one JSON record), best of 3;")
print("peers: in one Python process, best of 3, one BLAS thread; numpy loops timed on 2x10^4 samples")
print("and scaled to 10^5.  " + "; ".join(notes) + ".")
print()
EOF
