"""PyTorch torch.compile peer (Inductor, CPU C++/OpenMP backend).

Each workload is written as the plain PyTorch function a user would compile,
compiled once in runners() and warmed up there, so compilation is never timed.
Inductor needs a C++ compiler (g++). Runs in the bench venv's python.

Modes: "default" everywhere. "max-autotune-no-cudagraphs" only for W6: on the
CPU it changes nothing but GEMM selection (it benchmarks Inductor's C++ GEMM
templates against the library GEMMs), so for the norm-only workloads it would
compile the same kernels again. W6 also gets the configuration Intel and
PyTorch recommend for CPU inference, Inductor's "freezing" (weights become
constants: prepacked oneDNN linear kernels with fused epilogues).

Preallocation: not possible. A compiled graph allocates its outputs (and any
temporaries it keeps) on every call; _malloc.keep_freed_memory makes those
allocations reuse warm memory.

Dropout (W2): Inductor draws its own random numbers (Philox, seeded from the
default generator at each call), not eager's. To expose the keep mask, a
second compiled function returns (y, keep) and is replayed from the RNG state
saved before the timed call: same graph, same seed draw, same numbers; its y
is compared with the timed call's y to prove it.
"""

import os
import sys

import numpy as np

# The helpers beside this file, however it was loaded.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402
import _malloc  # noqa: E402


def available():
    try:
        import torch
        import torch._inductor  # noqa: F401
    except Exception as e:  # ImportError, or a missing shared library
        return False, "cannot import torch / Inductor: %s" % e
    if not hasattr(torch, "compile"):
        return False, "torch %s has no torch.compile" % torch.__version__
    from shutil import which
    if not (which("g++") or which("c++")):
        return False, "Inductor's CPU backend needs a C++ compiler (g++)"
    return True, ""


def _functions(kind, wl, t):
    """(the function to compile, its arguments) for a workload, in plain PyTorch."""
    import torch
    import torch.nn.functional as F

    eps = float(wl.get("eps", 1e-5))
    if kind in ("add_ln", "add_bias_ln", "add_dropout_ln"):
        x, r = t["x"], t["r"]
        g, b = _common.param(t, "gamma", "g"), _common.param(t, "beta", "b")
        n = (x.shape[-1],)
        if kind == "add_ln":
            return (lambda x, r, g, b: F.layer_norm(x + r, n, g, b, eps)), (x, r, g, b)
        if kind == "add_bias_ln":
            return ((lambda x, r, bias, g, b: F.layer_norm(x + r + bias, n, g, b, eps)),
                    (x, r, t["bias"], g, b))
        p = float(wl.get("p", 0.1))
        return ((lambda x, r, g, b: F.layer_norm(x + F.dropout(r, p, True), n, g, b, eps)),
                (x, r, g, b))
    if kind == "add_rms":
        def rms(x, r, g):
            s = x + r
            return s * torch.rsqrt(s.pow(2).mean(-1, keepdim=True) + eps) * g
        return rms, (t["x"], t["r"], _common.param(t, "gamma", "g"))
    if kind in ("bn", "bn_train"):
        x = t["x"]
        if wl.get("axis", -1 if x.dim() == 2 else 1) % x.dim() != 1:
            return None, None
        # Train mode: batch statistics; the running ones (copies) updated in place.
        train, momentum = (True, 0.1) if kind == "bn_train" else (False, 0.0)
        return ((lambda x, m, v, w, b: F.batch_norm(x, m, v, w, b, train, momentum, eps)),
                (x, t["mean"].clone(), t["var"].clone(), t["gamma"], t["beta"]))
    if kind == "ffn_post_ln":
        return _ffn_module(t, eps), (t["x"],)
    return None, None


def _ffn_module(t, eps):
    """W6 as an nn.Module (weights as parameters, so that freezing can fold them)."""
    import torch
    import torch.nn.functional as F

    class FFN(torch.nn.Module):
        def __init__(self):
            super().__init__()
            d, dff = t["w1"].shape[1], t["w1"].shape[0]
            self.fc1 = torch.nn.Linear(d, dff)
            self.fc2 = torch.nn.Linear(dff, d)
            self.norm = torch.nn.LayerNorm(d, eps=eps)
            with torch.no_grad():
                for p, name in ((self.fc1.weight, "w1"), (self.fc1.bias, "b1"),
                                (self.fc2.weight, "w2"), (self.fc2.bias, "b2"),
                                (self.norm.weight, "g"), (self.norm.bias, "b")):
                    p.copy_(t[name])

        def forward(self, x):
            return self.norm(x + self.fc2(F.gelu(self.fc1(x))))  # exact GELU

    return FFN().eval().requires_grad_(False)


def _compile(f, args, mode, freezing, warmup=2):
    """Compile f and run it `warmup` times (compilation happens at the first call)."""
    import torch
    import torch._inductor.config as inductor_config

    compiled = torch.compile(f, mode=mode, dynamic=False, fullgraph=True)
    with inductor_config.patch(freezing=freezing):
        for _ in range(warmup):
            compiled(*args)
    return compiled


def runners(wl_name, wl, arrays, threads):
    import torch
    import torch.nn.functional as F

    _malloc.keep_freed_memory()
    # Before compiling: Inductor bakes the thread count into its OpenMP code.
    torch.set_num_threads(int(threads))
    torch.set_grad_enabled(False)
    kind = _common.kind(wl_name, wl)
    t = {k: torch.from_numpy(np.ascontiguousarray(v, dtype=np.float32)) for k, v in arrays.items()}
    f, args = _functions(kind, wl, t)
    if f is None:
        return {}
    shape = tuple(arrays["x"].shape)

    configs = [("compile", "default", False)]
    if kind == "ffn_post_ln":  # all three compile in ~15 s here (cold cache)
        configs += [("compile-max-autotune", "max-autotune-no-cudagraphs", False),
                     ("compile-freezing", "default", True)]

    out = {}
    for name, mode, freezing in configs:
        compiled = _compile(f, args, mode, freezing)
        last = {}

        if kind == "add_dropout_ln":
            p = float(wl.get("p", 0.1))
            n = (shape[-1],)
            eps = float(wl.get("eps", 1e-5))

            def with_keep(x, r, g, b):
                d = F.dropout(r, p, True)
                # keep = d != 0 is exact wherever it matters: where r == 0 the
                # term is 0 whatever the mask.
                return F.layer_norm(x + d, n, g, b, eps), d != 0

            compiled_keep = _compile(with_keep, args, mode, freezing)

            def fn(c=compiled, last=last):
                last["rng"] = torch.get_rng_state()  # ~5 KB copy, for the replay
                last["y"] = c(*args)

            def get_output(ck=compiled_keep, last=last):
                now = torch.get_rng_state()
                torch.set_rng_state(last["rng"])
                y2, keep = ck(*args)
                torch.set_rng_state(now)
                if not torch.equal(y2, last["y"]):
                    raise RuntimeError("torch.compile dropout replay drew other numbers")
                return last["y"].numpy(), keep.numpy()

            out[name] = (fn, get_output)
        else:
            def fn(c=compiled, last=last):  # defaults bind this loop's objects
                last["y"] = c(*args)

            out[name] = (fn, lambda last=last: last["y"].reshape(shape).numpy())
    return out
