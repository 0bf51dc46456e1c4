# bench/hippo-discretize.sh — hippo-discretize against what a user would pick instead:
# scipy.signal.cont2discrete / scipy.linalg.expm for the matrices, and a numpy
# recurrence (s4-style precomputed steps for scaled LegS, x = Ad x + Bd u for LTI)
# for run mode.  Prints a markdown section.  Times are CPU time (user + sys),
# best of 7 (matrices) or 3 (run mode), ours and the peer alternated in one run;
# one BLAS thread on both sides.
#   kernel level: build/bench/kernel_hippo times hippo_zoh in-process, against
#                 cont2discrete timed in-process (time.process_time);
#   program level: the whole hippo-discretize process (start, building A,
#                 writing .npy) against the same in-process cont2discrete.
cd "$(dirname "$0")/.." || exit 1
mkdir -p bench/out
: "${PYTHON:=/usr/bin/python3}"
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
"$PYTHON" - <<'EOF'
import json, resource, subprocess, time, numpy as np
from scipy.signal import cont2discrete
from scipy.linalg import expm

H = "bin/hippo-discretize"
K = "build/bench/kernel_hippo"
def child_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime
def ours_once(args, stdin=None):
    f = open(stdin, "rb") if stdin else None
    t = child_cpu(); subprocess.run([H] + args, stdin=f, check=True, stdout=subprocess.DEVNULL)
    if f: f.close()
    return child_cpu() - t
def peer_once(fn):
    t = time.process_time(); fn(); return time.process_time() - t
def kernel_once(meas, N, dt):
    out = subprocess.run([K, "zoh", meas, str(N), str(dt), "1"], capture_output=True, text=True, check=True)
    return float(out.stdout.split()[0])
def alternate(a, b, reps):
    """best of reps for a() and b(), called alternately"""
    ba = bb = 1e9
    for _ in range(reps):
        ba = min(ba, a()); bb = min(bb, b())
    return ba, bb
def cont(args):
    d = json.loads(subprocess.run([H] + args + ["--continuous"], capture_output=True, text=True, check=True).stdout)
    return np.array(d["A"]), np.array(d["B"])
def zoh_peer(A, B, dt):
    N = len(B)
    C, D = np.zeros((1, N)), np.zeros((1, 1))
    return lambda: cont2discrete((A, B[:, None], C, D), dt, method="zoh")

rows, krows, notes = [], [], []
# --- zoh matrices, N = 256: kernel level and program level, against cont2discrete
for name, args, kname, dt in [("LegS-LTI", ["--lti"], "legs", 1e-3), ("LegS-LTI", ["--lti"], "legs", 1e-2),
                              ("LegT", ["-m", "legt"], "legt", 1e-3), ("LMU", ["-m", "lmu"], "lmu", 1e-3),
                              ("LagT", ["-m", "lagt"], "lagt", 1e-3), ("FouT", ["-m", "fout"], "fout", 1e-3)]:
    N = 256
    A, B = cont(args + ["-N", str(N)])
    peer = zoh_peer(A, B, dt)
    k_warm = float(subprocess.run([K, "zoh", kname, str(N), str(dt), "7"], capture_output=True, text=True,
                                  check=True).stdout.split()[0])
    t_k, t_p = alternate(lambda: kernel_once(kname, N, dt), lambda: peer_once(peer), 7)
    t_k = min(t_k, k_warm)
    t_o, t_p2 = alternate(lambda: ours_once(args + ["-N", str(N), "--dt", str(dt), "-M", "zoh",
                                                    "-o", "bench/out/hippo-m.npy"]), lambda: peer_once(peer), 7)
    t_p = min(t_p, t_p2)
    krows.append(("%s N=%d dt=%g" % (name, N, dt), t_k, t_o, t_p))
# --- other matrices: cont2discrete (scipy) vs the program writing .npy
for meas, N, meth in [("legt", 256, "bilinear"), ("legt", 1024, "zoh")]:
    A, B = cont(["-m", meas, "-N", str(N)])
    C, D = np.zeros((1, N)), np.zeros((1, 1))
    t_o, t_p = alternate(lambda: ours_once(["-m", meas, "-N", str(N), "--dt", "1e-3", "-M", meth, "-o", "bench/out/hippo-m.npy"]),
                         lambda: peer_once(lambda: cont2discrete((A, B[:, None], C, D), 1e-3, method=meth)), 3)
    rows.append(("%s N=%d %s matrices (scipy cont2discrete)" % (meas, N, meth), t_o, t_p))
# --- expm of the LegS-LTI matrix (the program's zoh, scipy.linalg.expm on the augmented matrix)
N = 512
A, B = cont(["--lti", "-N", str(N)])
M = np.zeros((N + 1, N + 1)); M[:N, :N] = A; M[:N, N] = B
t_o, t_p = alternate(lambda: ours_once(["--lti", "-N", str(N), "--dt", "0.01", "-M", "zoh", "-o", "bench/out/hippo-m.npy"]),
                     lambda: peer_once(lambda: expm(0.01 * M)), 3)
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
    t_o, t_p = alternate(lambda: ours_once(["-N", str(N), "--mode", "final", "-i", "f64", "-O", "json"], "bench/out/hippo-u.f64"),
                         lambda: peer_once(run_np), 3)
    t_p *= L / Lp          # scaled to 10^5 samples (the loop is linear in L)
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
t_o, t_p = alternate(lambda: ours_once(["-m", "legt", "-N", str(N), "--dt", "1e-3", "--mode", "final", "-i", "f64", "-O", "json"], "bench/out/hippo-u.f64"),
                     lambda: peer_once(run_lti), 3)
t_p *= L / Lp
rows.append(("run LegT N=256 bilinear, 1e5 samples (numpy loop)", t_o, t_p))
notes.append("LegT N=256: ours %.0f samples/s, numpy %.0f samples/s" % (L / t_o, L / t_p))

print("### hippo-discretize\n")
print("zoh matrices (Ad, Bd) at N = 256 against `scipy.signal.cont2discrete(method='zoh')` timed")
print("in-process.  Kernel: `hippo_zoh` in-process (build/bench/kernel_hippo).  Program: the whole")
print("process, `-M zoh -o PREFIX.npy` (start-up, building A, writing two .npy files).\n")
print("| zoh matrices | ours, kernel | ours, program | scipy | scipy/kernel | scipy/program |")
print("|---|---|---|---|---|---|")
for name, k, o, p in krows:
    print("| %s | %.3g ms | %.3g ms | %.3g ms | %.2f | %.2f |" % (name, k * 1e3, o * 1e3, p * 1e3, p / k, p / o))
print()
print("| case | ours | peer | peer/ours |")
print("|---|---|---|---|")
for name, a, b in rows:
    print("| %s | %.3g s | %.3g s | %.2f |" % (name, a, b, b / a))
print()
print("CPU time (user + sys), ours and the peer alternated in one run, best of 7 (zoh table) or 3;")
print("ours: the program's process, writing .npy or one JSON record; peers: in one Python process,")
print("one BLAS thread; numpy loops timed on 2x10^4 samples and scaled to 10^5.  " + "; ".join(notes) + ".")
print()
EOF
