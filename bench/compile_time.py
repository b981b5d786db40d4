#!/usr/bin/env python3
"""Compile time of a deep model: a stack of BLOCKS pre-norm FFN blocks,
s_{i+1} = s_i + dropout(W2 gelu(W1 LN(s_i) + b1) + b2), hidden 768, FFN 3072,
input [8, 128, 768], compiled by ndrc to a shared library in each mode.

    bench/compile_time.py [BLOCKS]      # default 24; NDRC=PATH for another ndrc

Prints the median wall time of 3 compilations per mode. The issue's target:
under 2 s for 24 blocks in either mode.
"""

import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def stack_source(blocks, hidden=768, ffn=3072):
    lines = ["// %d pre-norm FFN blocks (bench/compile_time.py)" % blocks,
             "model stack%d(x: f32[8, 128, %d]) -> (y) {" % (blocks, hidden)]
    for i in range(blocks):
        lines += ["  param g%d: f32[%d] = ones" % (i, hidden),
                  "  param bt%d: f32[%d] = zeros" % (i, hidden),
                  "  param w1_%d: f32[%d, %d] = normal(0.02)" % (i, ffn, hidden),
                  "  param b1_%d: f32[%d] = zeros" % (i, ffn),
                  "  param w2_%d: f32[%d, %d] = normal(0.02)" % (i, hidden, ffn),
                  "  param b2_%d: f32[%d] = zeros" % (i, hidden)]
    prev = "x"
    for i in range(blocks):
        lines += ["  h%d = gelu(linear(layer_norm(%s, g%d, bt%d), w1_%d, b1_%d))" % (i, prev, i, i, i, i),
                  "  s%d = %s + dropout(linear(h%d, w2_%d, b2_%d), p = 0.1)" % (i, prev, i, i, i)]
        prev = "s%d" % i
    lines += ["  y = %s" % prev, "}"]
    return "\n".join(lines) + "\n"


def main():
    blocks = int(sys.argv[1]) if len(sys.argv) > 1 else 24
    ndrc = os.environ.get("NDRC", os.path.join(ROOT, "build", "bin", "ndrc"))
    out = os.path.join(ROOT, "build", "bench", "compile_time")
    os.makedirs(out, exist_ok=True)
    src = os.path.join(out, "stack%d.ndr" % blocks)
    with open(src, "w") as f:
        f.write(stack_source(blocks))
    print("ndrc --emit=lib of %d pre-norm FFN blocks (%s), median of 3:" % (blocks, src))
    for mode in ("infer", "train"):
        times = []
        for _ in range(3):
            start = time.perf_counter()
            subprocess.run([ndrc, src, "--emit=lib", "--mode=" + mode, "-o",
                            os.path.join(out, "stack_" + mode)], check=True)
            times.append(time.perf_counter() - start)
        print("  %s: %.2f s" % (mode, statistics.median(times)))


if __name__ == "__main__":
    main()
