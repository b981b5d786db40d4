"""PyTorch eager peer: the workloads written as a PyTorch user writes them.

Runs in the bench venv's python (torch from PyPI, used on the CPU). Imports
torch lazily so that available() can say why it is missing.

Preallocation: every op that has an out= variant writes into a buffer made
once here (torch.add, torch.addmm, gelu, native_batch_norm). Not
preallocatable, so allocated by every run: the LayerNorm output
(F.layer_norm has no out=; aten's native_layer_norm.out is a generated
wrapper that computes into a new tensor and copies), the temporaries of
eager dropout (noise tensor, product) and of the hand-written RMSNorm
(pow, mean, rsqrt, two products), and F.rms_norm's output. Those reuse
warm memory thanks to _malloc.keep_freed_memory (see there).
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
        import torch  # noqa: F401
    except Exception as e:  # ImportError, or a missing shared library
        return False, "cannot import torch: %s" % e
    return True, ""


def runners(wl_name, wl, arrays, threads):
    import torch
    import torch.nn.functional as F

    _malloc.keep_freed_memory()
    torch.set_num_threads(int(threads))
    torch.set_grad_enabled(False)  # inference: no autograd bookkeeping
    kind = _common.kind(wl_name, wl)
    eps = float(wl.get("eps", 1e-5))
    # Zero-copy views of the framework's arrays.
    t = {k: torch.from_numpy(np.ascontiguousarray(v, dtype=np.float32)) for k, v in arrays.items()}
    last = {}  # the last run's output (and, for W2, the RNG state before it)

    if kind in ("add_ln", "add_bias_ln", "add_dropout_ln"):
        x, r = t["x"], t["r"]
        g, b = _common.param(t, "gamma", "g"), _common.param(t, "beta", "b")
        shape = (x.shape[-1],)
        s = torch.empty_like(x)

        if kind == "add_ln":
            def fn():
                torch.add(x, r, out=s)
                last["y"] = F.layer_norm(s, shape, g, b, eps)

        elif kind == "add_bias_ln":
            bias = t["bias"]

            def fn():
                torch.add(x, r, out=s).add_(bias)
                last["y"] = F.layer_norm(s, shape, g, b, eps)

        else:
            p = float(wl.get("p", 0.1))

            def fn():
                # Saved so get_output can replay this run's dropout mask (~5 KB copy).
                last["rng"] = torch.get_rng_state()
                torch.add(x, F.dropout(r, p, training=True), out=s)
                last["y"] = F.layer_norm(s, shape, g, b, eps)

            def get_keep():
                # Eager CPU dropout draws its noise with bernoulli_ from the default
                # generator, independent of the values: replaying it on ones from the
                # saved state gives the same keep mask.
                now = torch.get_rng_state()
                torch.set_rng_state(last["rng"])
                keep = F.dropout(torch.ones_like(r), p, training=True) != 0
                torch.set_rng_state(now)
                return keep.numpy()

            return {"eager": (fn, lambda: (last["y"].numpy(), get_keep()))}

        return {"eager": (fn, lambda: last["y"].numpy())}

    if kind == "add_rms":
        x, r, g = t["x"], t["r"], _common.param(t, "gamma", "g")
        s = torch.empty_like(x)

        def handwritten():
            torch.add(x, r, out=s)
            # RMSNorm as models (e.g. LLaMA) write it by hand.
            last["hand"] = s * torch.rsqrt(s.pow(2).mean(-1, keepdim=True) + eps) * g

        def functional():
            torch.add(x, r, out=s)
            last["F"] = F.rms_norm(s, (x.shape[-1],), g, eps)

        out = {"eager": (handwritten, lambda: last["hand"].numpy())}
        if hasattr(F, "rms_norm"):  # torch >= 2.4
            out["eager-F.rms_norm"] = (functional, lambda: last["F"].numpy())
        return out

    if kind in ("bn", "bn_train"):
        x = t["x"]
        axis = wl.get("axis", -1 if x.dim() == 2 else 1) % x.dim()
        if axis != 1:  # torch's batch_norm wants channels on dim 1; [n, c] has them there
            return {}
        y = torch.empty_like(x)
        save_mean, save_invstd = torch.empty(0), torch.empty(0)
        # Train mode updates the running statistics in place: copies of them.
        w, bb, m, v = t["gamma"], t["beta"], t["mean"].clone(), t["var"].clone()
        train = kind == "bn_train"
        if train:
            save_mean, save_invstd = torch.empty_like(m), torch.empty_like(v)

        def fn():
            # F.batch_norm(x, m, v, w, bb, training=train, momentum=0.1, eps=eps) with out=.
            torch.ops.aten.native_batch_norm.out(x, w, bb, m, v, train, 0.1, eps,
                                                 out=y, save_mean=save_mean,
                                                 save_invstd=save_invstd)

        return {"eager": (fn, lambda: y.numpy())}

    if kind == "ffn_post_ln":
        x = t["x"]
        d = x.shape[-1]
        x2 = x.reshape(-1, d)
        w1t, w2t = t["w1"].t(), t["w2"].t()  # Linear's layout: y = x W^T + b
        b1, b2, g, b = t["b1"], t["b2"], t["g"], t["b"]
        h = torch.empty(x2.shape[0], w1t.shape[1])
        a = torch.empty_like(h)
        s = torch.empty_like(x2)

        def fn():
            torch.addmm(b1, x2, w1t, out=h)          # nn.Linear 1
            torch._C._nn.gelu(h, out=a)               # exact (erf) GELU
            torch.addmm(b2, a, w2t, out=s)            # nn.Linear 2
            s.add_(x2)                                # residual
            last["y"] = F.layer_norm(s, (d,), g, b, eps)

        return {"eager": (fn, lambda: last["y"].reshape(x.shape).numpy())}

    return {}
