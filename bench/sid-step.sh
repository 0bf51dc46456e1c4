#!/bin/bash
# bench/sid-step.sh — iterations per second of sid-step (the whole program:
# read the state, N iterations, write the final state) against one SiD toy
# iteration vectorised in numpy (fake step, generator step, Adam; its own
# random stream) and in torch with one thread, at the same batch and dimension.
cd "$(dirname "$0")/.." || exit 1
: "${KX_BIN:=$PWD/bin}" "${PYTHON:=/usr/bin/python3}"
mkdir -p bench/out
"$PYTHON" - "$KX_BIN/sid-step" <<'PY'
import resource, subprocess, sys, time
import numpy as np
prog = sys.argv[1]
try:
    import torch
    torch.set_num_threads(1)
except Exception:
    torch = None

def best(f, k=3):
    """Best of k runs: (wall seconds, CPU seconds of this process and its children)."""
    t, c = [], []
    for _ in range(k):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN); c0 = time.process_time()
        t0 = time.perf_counter(); f(); t.append(time.perf_counter() - t0)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        c.append(time.process_time() - c0 + (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime))
    return min(t), min(c)

def ours(B, D, n):
    st = "bench/out/sid-s0-%d-%d.json" % (B, D)
    with open(st, "wb") as f:
        subprocess.run([prog, "--init", "-B", str(B), "-d", str(D)], stdout=f, check=True)
    def run():
        with open(st, "rb") as fi:
            subprocess.run([prog, "-q", "-n", str(n), "-e", "state"], stdin=fi, stdout=subprocess.DEVNULL, check=True)
    t, c = best(run)
    return t / n, c / n

def make_iter(xp, B, D, gen):
    """One iteration of sid.md 5.3 (defaults: alpha 1.2, dmd weight, Adam (0, 0.999))."""
    mu = xp.asarray(np.where(np.arange(D) == 0, 1.0, np.where(np.arange(D) == 1, -1.0, 0.5)))
    tau = xp.asarray(np.where(np.arange(D) == 0, 0.5, np.where(np.arange(D) == 1, 1.0, 0.75)))
    a0 = tau**2 / (tau**2 + 6.25)
    P = {"m": (1 - a0) * mu, "s": a0 * 2.5, "mf": mu + 0, "u": xp.log(tau)}
    M = {k: [0 * P[k], 0 * P[k]] for k in P}; T = {"g": 0, "f": 0}
    A, Bm = 80 ** (1 / 7), 0.002 ** (1 / 7); sd2 = 0.25; al = 1.2
    def adam(net, keys, grads, lr=1e-2, b2=0.999, eps=1e-8):
        T[net] += 1; bc2 = (1 - b2 ** T[net]) ** 0.5
        for k, g in zip(keys, grads):
            M[k][0] = g; M[k][1] = b2 * M[k][1] + (1 - b2) * g * g
            P[k] = P[k] - lr * M[k][0] / (M[k][1] ** 0.5 / bc2 + eps)
    def it():
        m, s, mf, u = P["m"], P["s"], P["mf"], P["u"]
        z = gen.normal((B, D)); sg = xp.exp(gen.normal((B, 1)) * 1.2 - 1.2); e = gen.normal((B, D))
        xg = m + s * z; xt = xg + sg * e; v = xp.exp(2 * u); c = v / (v + sg**2)
        lam = (sg**2 + sd2) / (sg**2 * sd2); err = mf + c * (xt - mf) - xg
        gmf = (2 * lam * err * (1 - c)).mean(0); gu = (2 * lam * err * 2 * c * (1 - c) * (xt - mf)).mean(0)
        adam("f", ("mf", "u"), (gmf, gu))
        mf, u = P["mf"], P["u"]; v = xp.exp(2 * u)
        z = gen.normal((B, D)); t = gen.uniform((B, 1)) * 0.8; e = gen.normal((B, D))
        sg = (A + (1 - t) * (Bm - A)) ** 7
        xg = m + s * z; xt = xg + sg * e
        a = tau**2 / (tau**2 + sg**2); c = v / (v + sg**2)
        fphi = mu + a * (xt - mu); fpsi = mf + c * (xt - mf); d = fphi - fpsi; r = fphi - xg
        w = xp.clip(xp.abs(r).mean(1, keepdims=True), 1e-5, None)
        g = ((a - c) * (r - al * d) + d * ((a - 1) - al * (a - c))) / w
        adam("g", ("m", "s"), (g.mean(0), (g * z).mean(0)))
    return it

class NpGen:
    def __init__(s): s.r = np.random.default_rng(0)
    def normal(s, shape): return s.r.standard_normal(shape)
    def uniform(s, shape): return s.r.random(shape)

class TorchGen:
    def __init__(s): s.g = torch.Generator().manual_seed(0)
    def normal(s, shape): return torch.randn(shape, dtype=torch.float64, generator=s.g)
    def uniform(s, shape): return torch.rand(shape, dtype=torch.float64, generator=s.g)

class TorchNS:
    """The few array functions make_iter uses, on float64 torch tensors."""
    asarray = staticmethod(lambda a: torch.as_tensor(a, dtype=torch.float64))
    log = staticmethod(torch.log); exp = staticmethod(torch.exp); abs = staticmethod(torch.abs)
    @staticmethod
    def clip(x, lo, hi): return torch.clamp(x, min=lo)

def peer(xp, gen, B, D, n):
    it = make_iter(xp, B, D, gen)
    for _ in range(20):
        it()
    def run():
        for _ in range(n):
            it()
    t, c = best(run)
    return t / n, c / n

rows = []
for B, D, n_ours, n_peer in ((256, 2, 10000, 1000), (4096, 2, 1000, 150), (256, 64, 1000, 150), (16, 2, 20000, 2000)):
    o = ours(B, D, n_ours)
    p = peer(np, NpGen(), B, D, n_peer)
    rows.append(("B = %d, D = %d, numpy" % (B, D), o, p))
    if torch is not None:
        rows.append(("B = %d, D = %d, torch (1 thread)" % (B, D), o, peer(TorchNS, TorchGen(), B, D, n_peer)))
print("### sid-step\n")
print("One training iteration (fake-score step + generator step, Adam), in microseconds; ours is the")
print("whole program (`sid-step -n N -e state`, N = 1000-20000, start-up and state I/O included),")
print("the peers the same iteration vectorised, timed in one process (best of 3).\n")
def table(k):
    # k = 0: wall time, 1: CPU time, per iteration
    print("| case | ours | peer | peer/ours |")
    print("|---|---|---|---|")
    for name, o, p in rows:
        print("| %s | %.1f us | %.1f us | %.2f |" % (name, o[k] * 1e6, p[k] * 1e6, p[k] / o[k]))
table(0)
if torch is None:
    print("| torch | | not installed | |")
print("\nThe same runs in CPU microseconds per iteration (user + system; the machine is shared, so wall")
print("times carry other jobs' load):\n")
table(1)
print()
PY
