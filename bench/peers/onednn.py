"""oneDNN peer: onednn_kernels.cpp (built by setup_peers.sh) through ctypes.

W1/W3: binary add (W3: bias as a binary post-op) then layer_normalization.
W5: batch_normalization on [n, c] viewed as NHWC (h = w = 1); W5n: on NCHW.
W6: matmul + bias + GELU(erf) post-op, matmul + bias + residual post-op, layer norm.
Not covered, as Debian's oneDNN 2.6 lacks the op: W2 (no dropout primitive)
and W4 (no RMS normalization; it came in oneDNN 3.x).

Threads: oneDNN here runs on OpenMP; the framework sets OMP_NUM_THREADS before
this module is imported and runners() also calls omp_set_num_threads.
Every buffer is preallocated: a run allocates nothing.
"""

import ctypes
import os
import sys

import numpy as np

# The helpers beside this file, however it was loaded.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SO = os.environ.get("NDR_ONEDNN_PEER_SO",
                    os.path.join(ROOT, "build", "bench-peers", "onednn_kernels.so"))

_lib = None


def _load():
    global _lib
    if _lib is None:
        lib = ctypes.CDLL(SO)
        vp, L, f, i = ctypes.c_void_p, ctypes.c_long, ctypes.c_float, ctypes.c_int
        lib.ndr_dnnl_last_error.restype = ctypes.c_char_p
        lib.ndr_dnnl_set_threads.argtypes = [i]
        lib.ndr_dnnl_add_ln.restype = vp
        lib.ndr_dnnl_add_ln.argtypes = [L, L, f, i]
        lib.ndr_dnnl_bn.restype = vp
        lib.ndr_dnnl_bn.argtypes = [L, L, L, L, f, i]
        lib.ndr_dnnl_ffn.restype = vp
        lib.ndr_dnnl_ffn.argtypes = [L, L, L, f]
        lib.ndr_dnnl_ffn_pack.argtypes = [vp, vp, vp]
        lib.ndr_dnnl_run.argtypes = [vp, ctypes.POINTER(vp), i]
        lib.ndr_dnnl_destroy.argtypes = [vp]
        _lib = lib
    return _lib


def available():
    if not os.path.exists(SO):
        return False, "%s not built (run bench/peers/setup_peers.sh; needs libdnnl-dev)" % SO
    try:
        _load()
    except OSError as e:
        return False, "cannot load %s: %s" % (SO, e)
    return True, ""


def _f32(a):
    return np.ascontiguousarray(a, dtype=np.float32)


class _Plan:
    """A built plan and the arrays its slots point at (kept alive here)."""

    def __init__(self, handle, buffers):
        lib = _load()
        if not handle:
            raise RuntimeError("oneDNN: " + lib.ndr_dnnl_last_error().decode())
        self.handle = handle
        self.buffers = buffers  # slot order; None for an unused slot
        ptrs = [b.ctypes.data if b is not None else None for b in buffers]
        self.ptrs = (ctypes.c_void_p * len(ptrs))(*ptrs)

    def run(self):
        lib = _load()
        if lib.ndr_dnnl_run(self.handle, self.ptrs, len(self.buffers)) != 0:
            raise RuntimeError("oneDNN: " + lib.ndr_dnnl_last_error().decode())

    def __del__(self):
        if _lib is not None and self.handle:
            _lib.ndr_dnnl_destroy(self.handle)
            self.handle = None


def runners(wl_name, wl, arrays, threads):
    lib = _load()
    lib.ndr_dnnl_set_threads(int(threads))
    kind = _common.kind(wl_name, wl)
    a = {k: _f32(v) for k, v in arrays.items()}
    eps = float(wl.get("eps", 1e-5))

    if kind in ("add_ln", "add_bias_ln"):
        x, r = a["x"], a["r"]
        cols = x.shape[-1]
        rows = x.size // cols
        with_bias = kind == "add_bias_ln"
        s, y = np.empty_like(x), np.empty_like(x)
        plan = _Plan(lib.ndr_dnnl_add_ln(rows, cols, eps, int(with_bias)),
                     [x, r, a["bias"] if with_bias else None,
                      _common.param(a, "gamma", "g"), _common.param(a, "beta", "b"), s, y])
        return {"add+layer_norm": (plan.run, lambda: y)}

    if kind == "bn":
        x = a["x"]
        y = np.empty_like(x)
        bufs = [x, a["mean"], a["var"], a["gamma"], a["beta"], y]
        axis = wl.get("axis", -1 if x.ndim == 2 else 1) % x.ndim
        if x.ndim == 2 and axis == 1:
            # [n, c] row-major is NHWC with h = w = 1. oneDNN 2.6 runs that with its
            # JIT kernel (bnorm_jit:avx512_core, ~8 ms here), while the same data
            # described as 2D "nc" falls to the generic ncsp_bnorm (~120 ms).
            handle = lib.ndr_dnnl_bn(x.shape[0], x.shape[1], 1, 1, eps, 1)
        elif x.ndim == 4 and axis == 1:
            n, c, h, w = x.shape
            handle = lib.ndr_dnnl_bn(n, c, h, w, eps, 0)  # nchw as given
        else:
            return {}
        plan = _Plan(handle, bufs)
        return {"batch_normalization": (plan.run, lambda: y)}

    if kind == "ffn_post_ln":
        x = a["x"]
        d = x.shape[-1]
        rows = x.size // d
        dff = a["w1"].shape[0]
        h = np.empty((rows, dff), np.float32)
        s, y = np.empty_like(x), np.empty_like(x)
        plan = _Plan(lib.ndr_dnnl_ffn(rows, d, dff, eps),
                     [x, a["b1"], a["b2"], a["g"], a["b"], h, s, y])
        if lib.ndr_dnnl_ffn_pack(plan.handle, a["w1"].ctypes.data, a["w2"].ctypes.data) != 0:
            raise RuntimeError("oneDNN: " + lib.ndr_dnnl_last_error().decode())
        return {"matmul+layer_norm": (plan.run, lambda: y)}

    # add_dropout_ln (no dropout primitive), add_rms (no RMS norm in oneDNN 2.6).
    return {}
