#!/usr/bin/env python3
"""NDR's library and PyTorch taking turns in one process: does either lose to
the other's idle OpenMP threads spinning? NDR's kernels use LLVM's libomp,
PyTorch GCC's libgomp; each runtime keeps its workers spinning for a while
after a parallel region, on the cores the other one needs next.

    bench/omp_mix.py [W1 ...]    # after bench/run.sh has built the libraries

For T = 1 and 2 threads (each in its own process) it times, in turns, an NDR
run after an NDR run and after a PyTorch op (torch.add of the workload's x and
r, on T threads), and the PyTorch op after itself and after an NDR run, and
prints the median slowdown of each after the other (1.00: no loss). The
environment passes through, so the effect of OMP_WAIT_POLICY, KMP_BLOCKTIME
or GOMP_SPINCOUNT can be measured too.
"""

import os
import statistics
import subprocess
import sys
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCH_DIR)


def measure(name, threads, iters):
    import bench
    import harness
    import torch
    import workloads

    torch.set_num_threads(threads)
    wl = workloads.WORKLOADS[name]  # named on the command line, whatever BENCH_ONLY says
    arrays = {k: harness.aligned_copy(v) for k, v in workloads.make_inputs(wl).items()}
    runner = bench.ndr_runners(name, wl, arrays, threads)["ndr"]  # keeps its output alive
    ndr = runner[0]
    x, r = torch.from_numpy(arrays["x"]), torch.from_numpy(arrays["r"])
    out = torch.empty_like(x)

    def op():
        torch.add(x, r, out=out)

    def timed(fn):
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start

    for fn in (ndr, op, ndr, op):
        fn()
    ndr_after_torch, torch_after_ndr = [], []
    for _ in range(iters):
        ndr()
        alone = timed(ndr)
        op()
        ndr_after_torch.append(timed(ndr) / alone)
        op()
        alone = timed(op)
        ndr()
        torch_after_ndr.append(timed(op) / alone)
    return statistics.median(ndr_after_torch), statistics.median(torch_after_ndr)


def main():
    if len(sys.argv) > 2 and sys.argv[1] == "--worker":
        name, threads, iters = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        print("%.2f %.2f" % measure(name, threads, iters))
        return
    names = sys.argv[1:] or ["W1"]
    iters = int(os.environ.get("BENCH_ITERS", "20"))
    policy = " ".join("%s=%s" % (k, os.environ[k])
                      for k in ("OMP_WAIT_POLICY", "KMP_BLOCKTIME", "GOMP_SPINCOUNT")
                      if k in os.environ) or "default wait policies"
    print("NDR (libomp) and PyTorch (libgomp) taking turns, %s: time after the other "
          "/ time after itself, median of %d" % (policy, iters))
    print("| workload | threads | NDR run after a torch op | torch op after an NDR run |")
    print("|----------|---------|--------------------------|---------------------------|")
    for name in names:
        for threads in (1, 2):
            env = dict(os.environ, OMP_NUM_THREADS=str(threads))
            out = subprocess.run([sys.executable, __file__, "--worker", name, str(threads),
                                  str(iters)], env=env, capture_output=True, text=True)
            if out.returncode:
                print("| %s | %d | failed: %s |" % (name, threads,
                                                   out.stderr.strip().splitlines()[-1:]))
                continue
            a, b = out.stdout.split()
            print("| %s | %d | %s | %s |" % (name, threads, a, b))


if __name__ == "__main__":
    main()
