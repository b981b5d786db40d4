"""Timing and the small pieces every worker shares: aligned buffers, the roof
kernel and the GEMMs of W6 through ctypes, and safetensors writing.

On this shared 2-core machine absolute times vary 2x from minute to minute,
so an implementation is never timed alone: time_pair alternates it with a
reference kernel in the same process and the table reports the ratio.
"""

import ctypes
import json
import os
import statistics
import time

import numpy as np

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH_DIR)
BUILD = os.environ.get("BENCH_BUILD", os.path.join(ROOT, "build", "bench"))


def iterations():
    return int(os.environ.get("BENCH_ITERS", "20"))


def time_pair(fn, roof_fn, iters=None, max_seconds=None):
    """(median seconds of fn, median seconds of roof_fn), run alternately.

    Both are warmed up first (page faults, caches, thread pools). Which of the
    two goes first alternates too, so neither always follows the other.
    max_seconds, if given, lowers iters (to no fewer than 5) so that a slow
    pair (W6's GEMMs) keeps the whole run within its time."""
    iters = iters or iterations()
    for _ in range(2):
        start = time.perf_counter()
        fn()
        roof_fn()
        pair = time.perf_counter() - start
    if max_seconds:
        iters = min(iters, max(5, int(max_seconds / pair)))
    t_fn, t_roof = [], []
    for i in range(iters):
        order = ((fn, t_fn), (roof_fn, t_roof))
        for f, times in order if i % 2 == 0 else reversed(order):
            start = time.perf_counter()
            f()
            times.append(time.perf_counter() - start)
    return statistics.median(t_fn), statistics.median(t_roof)


def time_in_turns(fns, iters):
    """{name: [seconds of each turn]} for the dict of functions `fns`: each
    warmed up twice, then all run in turns `iters` times, the order reversed
    every other turn (bench/ab.py, bench/incache.py)."""
    for fn in fns.values():
        fn()
        fn()
    times = {k: [] for k in fns}
    order = list(fns)
    for i in range(iters):
        for k in order if i % 2 else reversed(order):
            start = time.perf_counter()
            fns[k]()
            times[k].append(time.perf_counter() - start)
    return times


def aligned_empty(shape, dtype=np.float32, align=64):
    """An uninitialised array whose data starts on an `align`-byte boundary
    (streaming stores need 64-byte alignment; NumPy only promises 16)."""
    dtype = np.dtype(dtype)
    n = int(np.prod(shape, dtype=np.int64))
    raw = np.empty(n * dtype.itemsize + align, dtype=np.uint8)
    off = (-raw.ctypes.data) % align
    return raw[off:off + n * dtype.itemsize].view(dtype).reshape(shape)


def aligned_copy(a):
    out = aligned_empty(a.shape, a.dtype)
    out[...] = a
    return out


def ptr(a):
    return ctypes.c_void_p(a.ctypes.data)


class Roof:
    """The STREAM-like roof of bench/roof.c for one workload's traffic: reads
    every input once, writes one output of the output's size."""

    def __init__(self, lib_path, threads):
        self.lib = ctypes.CDLL(lib_path)
        self.lib.roof.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_int, ctypes.c_void_p,
                                  ctypes.c_long, ctypes.c_long]
        self.lib.roof.restype = None
        self.lib.roof_set_threads(ctypes.c_int(threads))

    def for_workload(self, wl, arrays):
        ins = [arrays[name] for name in wl["inputs"]]
        n_in = ins[0].size
        assert all(a.size == n_in for a in ins), "roof: inputs of one size"
        ptrs = (ctypes.c_void_p * len(ins))(*[a.ctypes.data for a in ins])
        out = aligned_empty(wl["output_shape"])
        n_out = out.size
        keep = (ins, out)  # the arrays must outlive the closure's pointers

        def run():
            self.lib.roof(ptrs, len(ins), out.ctypes.data, n_out, n_in)
            return keep

        return run


class Gemms:
    """W6's two matrix products alone, through oneDNN's dnnl_sgemm exactly as
    NDR calls it (row-major, x W^T): the work the FFN cannot avoid."""

    def __init__(self):
        self.lib = ctypes.CDLL("libdnnl.so.2")
        self.lib.dnnl_sgemm.restype = ctypes.c_int
        self.lib.dnnl_sgemm.argtypes = [ctypes.c_char] * 2 + [ctypes.c_int64] * 3 + [
            ctypes.c_float, ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p, ctypes.c_int64,
            ctypes.c_float, ctypes.c_void_p, ctypes.c_int64]

    def for_workload(self, wl, arrays):
        x = arrays["x"].reshape(-1, arrays["x"].shape[-1])
        w1, w2 = arrays["w1"], arrays["w2"]
        (m, n1, k1), (_, n2, k2) = wl["gemms"]
        h = aligned_empty((m, n1))
        y = aligned_empty((m, n2))
        sgemm = self.lib.dnnl_sgemm

        def run():
            sgemm(b"N", b"T", m, n1, k1, 1.0, x.ctypes.data, k1, w1.ctypes.data, k1, 0.0,
                  h.ctypes.data, n1)
            sgemm(b"N", b"T", m, n2, k2, 1.0, h.ctypes.data, k2, w2.ctypes.data, k2, 0.0,
                  y.ctypes.data, n2)
            return x, w1, w2, h, y

        return run


def write_safetensors(path, tensors):
    """tensors: name -> float32 array. Format: u64 LE header length, JSON header,
    then the raw little-endian data (header padded with spaces to 8 bytes)."""
    header, offset = {}, 0
    for name, a in tensors.items():
        size = a.size * 4
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + size]}
        offset += size
    text = json.dumps(header, separators=(",", ":"))
    text += " " * ((-len(text)) % 8)
    with open(path, "wb") as f:
        f.write(len(text).to_bytes(8, "little"))
        f.write(text.encode())
        for a in tensors.values():
            f.write(np.ascontiguousarray(a, dtype="<f4").tobytes())
