#!/usr/bin/env python3
"""A steadier comparison than the table's: NDR, the hand kernel and the roof
(and optionally NDR's library from a second build) timed in turns in one
process, many times; prints the median of each one's per-turn ratio to the
roof, and of NDR's time to the hand kernel's (and to the second build's).

    OMP_NUM_THREADS=T bench/ab.py WORKLOAD [DIR] [ITERS]

WORKLOAD is W1 ... W6; DIR holds the same workload's library from another
ndrc (`ndrc ... --emit=lib -o DIR/NAME`) and a `params` folder, e.g. a copy
of build/bench. W6 has no hand kernel: its roof is its two GEMMs alone (as
in the table), and each build's figure is (time - gemms) / gemms; the oneDNN
peer (bench/peers/onednn.py, where bench/peers/setup.sh has built it) runs in
the same turns in the hand kernel's place. bench/run.sh
must have built build/bench first. Thread counts come from the environment,
as OpenMP reads them once.
"""

import os
import statistics
import sys

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCH_DIR)

import bench  # noqa: E402
import harness  # noqa: E402
import workloads  # noqa: E402


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    name = sys.argv[1]
    other = sys.argv[2] if len(sys.argv) > 2 and not sys.argv[2].isdigit() else None
    iters = int(sys.argv[-1]) if sys.argv[-1].isdigit() else 30
    threads = int(os.environ.get("OMP_NUM_THREADS", "1"))
    wl = dict(bench.selected_workloads())[name]
    arrays = {k: harness.aligned_copy(v) for k, v in workloads.make_inputs(wl).items()}
    gemm = "gemms" in wl
    # The runners' tuples keep their output buffers alive.
    runners = {"ndr": bench.ndr_runners(name, wl, arrays, threads)["ndr"]}
    if not gemm:
        runners["hand"] = next(iter(bench.hand_runners(name, wl, arrays, threads).values()))
    else:
        # W6's closest peer, in the same turns: oneDNN's matmul with post-ops and layer norm.
        onednn = bench.load_peer("onednn")
        if onednn.available()[0]:
            runners["onednn"] = next(iter(onednn.runners(name, wl, arrays, threads).values()))
    if other:
        bench.BUILD, saved = other, bench.BUILD
        runners["other"] = bench.ndr_runners(name, wl, arrays, threads)["ndr"]
        bench.BUILD = saved
    fns = {k: r[0] for k, r in runners.items()}
    if gemm:
        fns["roof"] = harness.Gemms().for_workload(wl, arrays)
    else:
        fns["roof"] = harness.Roof(os.path.join(harness.BUILD, "roof.so"), threads).for_workload(
            wl, arrays)
    times = harness.time_in_turns(fns, iters)

    def ratio(a, b):
        return statistics.median(x / y for x, y in zip(times[a], times[b]))

    def beyond(a):  # W6's figure of merit: the time beyond the GEMMs, relative to them
        return statistics.median((x - y) / y for x, y in zip(times[a], times["roof"]))

    if gemm:
        line = "%s T=%d, %d turns: (total-gemms)/gemms ndr %.3f" % (name, threads, iters,
                                                                  beyond("ndr"))
        if other:
            line += ", other %.3f" % beyond("other")
        if "onednn" in times:
            line += ", oneDNN %.3f; ndr/oneDNN time %.3f" % (beyond("onednn"),
                                                            ratio("ndr", "onednn"))
    else:
        line = "%s T=%d, %d turns: x roof ndr %.2f, hand %.2f" % (
            name, threads, iters, ratio("roof", "ndr"), ratio("roof", "hand"))
        if other:
            line += ", other %.2f" % ratio("roof", "other")
        line += "; ndr/hand time %.2f" % ratio("ndr", "hand")
    if other:
        line += ", ndr/other time %.2f" % ratio("ndr", "other")
    print(line + " (%s %.2f ms)" % ("gemms" if gemm else "roof",
                                     1e3 * statistics.median(times["roof"])))


if __name__ == "__main__":
    main()
