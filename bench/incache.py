#!/usr/bin/env python3
"""Is a workload bound by memory or by its compute? NDR's library and the
hand kernel timed on a few rows that stay in the core's caches, beside the
same two and the roof on the workload's full shape, in ns per element, in
turns in one process:

    OMP_NUM_THREADS=T bench/incache.py WORKLOAD [ROWS] [ITERS]

WORKLOAD is one with a hand kernel (W1-W5t); ROWS (default 128) replaces the
first dimension of its inputs, and bench/workloads/<model>.ndr is compiled at
that shape into build/bench/incache/. Where the in-cache time per element is
above the roof's at full size, the kernel cannot reach the roof there: its
instructions, not memory, bound it. bench/run.sh must have built build/bench
first (the hand kernel, the roof, ndrc).
"""

import os
import statistics
import subprocess
import sys

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCH_DIR)

import bench  # noqa: E402
import harness  # noqa: E402
import workloads  # noqa: E402


def small_workload(wl, rows):
    """The workload with `rows` as the first dimension of each input."""
    small = dict(wl)
    small["inputs"] = {k: [rows] + list(s[1:]) for k, s in wl["inputs"].items()}
    small["output_shape"] = next(iter(small["inputs"].values()))  # as workloads._workload
    return small


def compile_small(wl, small, out_dir):
    """bench/workloads/<model>.ndr with the small shapes, as out_dir/<model>.so."""
    text = open(wl["ndr_source"]).read()
    shapes = {"[%s]" % ", ".join(map(str, wl["inputs"][k])):
              "[%s]" % ", ".join(map(str, small["inputs"][k])) for k in wl["inputs"]}
    for full, new in shapes.items():
        if full not in text:
            sys.exit("incache.py: no input shape %s in %s" % (full, wl["ndr_source"]))
        text = text.replace(full, new)
    os.makedirs(out_dir, exist_ok=True)
    src = os.path.join(out_dir, os.path.basename(wl["ndr_source"]))
    open(src, "w").write(text)
    ndrc = os.environ.get("NDRC", os.path.join(harness.BUILD, "..", "bin", "ndrc"))
    subprocess.run([ndrc, src, "--emit=lib", "--mode=" + wl["mode"], "-o",
                    os.path.join(out_dir, wl["model"])], check=True)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    name = sys.argv[1]
    rows = int(sys.argv[2]) if len(sys.argv) > 2 else 128
    iters = int(sys.argv[3]) if len(sys.argv) > 3 else 30
    threads = int(os.environ.get("OMP_NUM_THREADS", "1"))
    wl = dict(bench.selected_workloads())[name]
    small = small_workload(wl, rows)
    out_dir = os.path.join(harness.BUILD, "incache")
    compile_small(wl, small, out_dir)

    fns, elements = {}, {}
    keep = []  # the inputs: the runners hold only their addresses
    for label, w, build in (("in cache", small, out_dir), ("full", wl, harness.BUILD)):
        arrays = {k: harness.aligned_copy(v) for k, v in workloads.make_inputs(w).items()}
        bench.BUILD = build
        ndr = bench.ndr_runners(name, w, arrays, threads)["ndr"]
        bench.BUILD = harness.BUILD
        hand = next(iter(bench.hand_runners(name, w, arrays, threads).values()), None)
        if hand is None:
            sys.exit("incache.py: %s has no hand kernel" % name)
        keep += [ndr, hand, arrays]
        # Small calls repeat to about the full shape's elements per timing.
        repeat = max(1, workloads._numel(wl["output_shape"]) // workloads._numel(w["output_shape"]))
        for impl, fn in (("ndr", ndr[0]), ("hand", hand[0])):
            fns[(label, impl)] = (lambda f=fn, n=repeat: [f() for _ in range(n)])
            elements[(label, impl)] = repeat * workloads._numel(w["output_shape"])
        if label == "full":
            roof = harness.Roof(os.path.join(harness.BUILD, "roof.so"), threads)
            fns[(label, "roof")] = roof.for_workload(wl, arrays)
            elements[(label, "roof")] = workloads._numel(wl["output_shape"])
    times = harness.time_in_turns(fns, iters)
    ns = {k: statistics.median(t) / elements[k] * 1e9 for k, t in times.items()}
    ratio = statistics.median(a / b for a, b in zip(times[("in cache", "ndr")],
                                                   times[("in cache", "hand")]))
    print("%s T=%d, %d turns, ns per element: in cache (%d rows) ndr %.3f, hand %.3f "
          "(ndr/hand %.2f); full ndr %.3f, hand %.3f, roof %.3f"
          % (name, threads, iters, rows, ns[("in cache", "ndr")], ns[("in cache", "hand")],
             ratio, ns[("full", "ndr")], ns[("full", "hand")], ns[("full", "roof")]))


if __name__ == "__main__":
    main()
