"""bench/timing.py: the CPU-time measures the bench/*.sh scripts share.

The machine is shared, so the benchmarks compare CPU time (user + sys), best
of n, ours and the peer alternated in one run.  Import with
sys.path.insert(0, "bench").
"""
import os, resource, subprocess, time


def best(f, n=3):
    """Best CPU time of this process over n calls of f()."""
    b = 1e30
    for _ in range(n):
        t0 = time.process_time(); f(); b = min(b, time.process_time() - t0)
    return b


def cpu_sh(cmd, n=3):
    """Best CPU time (user + sys) of a shell command and its children over n runs."""
    b = 1e30
    for _ in range(n):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(cmd, shell=True, check=True)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        b = min(b, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime))
    return b


def stage(cmd, path, keep=None):
    """One pipeline stage where cat would be: `cmd < path | cat > /dev/null`
    (or > keep).  Returns (CPU time of cmd alone, from os.wait4's rusage of
    that child; wall time of the whole pipeline)."""
    with open(path, "rb") as f, open(keep or os.devnull, "wb") as g:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdin=f, stdout=subprocess.PIPE)
        c = subprocess.Popen(["cat"], stdin=p.stdout, stdout=g)
        p.stdout.close()
        _, st, ru = os.wait4(p.pid, 0)
        c.wait()
        if st != 0:
            raise SystemExit("bench: %s failed" % " ".join(cmd))
        return ru.ru_utime + ru.ru_stime, time.perf_counter() - t0
