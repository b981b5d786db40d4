"""The benchmark's workloads: shapes, inputs, float64 references and the check.

Every implementation (ndr, hand-written C++, the peers in bench/peers/) is run
on make_inputs(wl) and its output checked against reference(wl, ...) before it
is timed. Peers import this module; keep its interface stable.
"""

import collections
import os

import numpy as np

import philox_np

HERE = os.path.dirname(os.path.abspath(__file__))
F32 = 4  # bytes


def _numel(shape):
    return int(np.prod(shape, dtype=np.int64))


def _workload(ndr_file, model, kind, inputs, params, mode="infer", **extra):
    wl = dict(ndr_source=os.path.join(HERE, "workloads", ndr_file), model=model, mode=mode,
              kind=kind, inputs=inputs, params=params, output="y",
              output_shape=next(iter(inputs.values())), **extra)
    # Bytes that must move: every input and parameter read once, the output written once.
    wl["bytes"] = F32 * (sum(_numel(s) for s in inputs.values())
                         + sum(_numel(s) for s in params.values()) + _numel(wl["output_shape"]))
    return wl


ROWS, HID = 16384, 768
XR = {"x": [ROWS, HID], "r": [ROWS, HID]}

WORKLOADS = collections.OrderedDict()
WORKLOADS["W1"] = _workload("w1_add_ln.ndr", "w1_add_ln", "add_ln", XR,
                            {"gamma": [HID], "beta": [HID]}, eps=1e-5,
                            desc="LN(x + r) [16384,768]")
WORKLOADS["W2"] = _workload("w2_add_dropout_ln.ndr", "w2_add_dropout_ln", "add_dropout_ln", XR,
                            {"gamma": [HID], "beta": [HID]}, mode="train", eps=1e-5, p=0.1,
                            seed=0, stream=0, desc="LN(x + dropout(r, 0.1)) train")
WORKLOADS["W3"] = _workload("w3_add_bias_ln.ndr", "w3_add_bias_ln", "add_bias_ln", XR,
                            {"bias": [HID], "gamma": [HID], "beta": [HID]}, eps=1e-5,
                            desc="LN(x + r + bias)")
WORKLOADS["W4"] = _workload("w4_add_rms.ndr", "w4_add_rms", "add_rms",
                            {"x": [4096, 4096], "r": [4096, 4096]}, {"gamma": [4096]}, eps=1e-6,
                            desc="RMSNorm(x + r) [4096,4096]")
BN_PARAMS = {"mean": [HID], "var": [HID], "gamma": [HID], "beta": [HID]}
WORKLOADS["W5"] = _workload("w5_bn_nc.ndr", "w5_bn_nc", "bn", {"x": [ROWS, HID]}, BN_PARAMS,
                            eps=1e-5, axis=-1, desc="BatchNorm infer [16384,768] axis -1")
WORKLOADS["W5n"] = _workload("w5n_bn_nchw.ndr", "w5n_bn_nchw", "bn", {"x": [16, HID, 32, 32]},
                             BN_PARAMS, eps=1e-5, axis=1, desc="BatchNorm infer NCHW axis 1")
# Train mode: the batch's own statistics (the running ones only updated).
# Bytes count x once, but the statistics need all of x before the first
# output, and x (48 MiB) is larger than the L3: x is read twice, so 0.67 of
# the roof is the ceiling.
WORKLOADS["W5t"] = _workload("w5t_bn_train_nc.ndr", "w5t_bn_train_nc", "bn_train",
                             {"x": [ROWS, HID]}, BN_PARAMS, mode="train", eps=1e-5, axis=-1,
                             desc="BatchNorm train [16384,768] axis -1")
WORKLOADS["W5nt"] = _workload("w5nt_bn_train_nchw.ndr", "w5nt_bn_train_nchw", "bn_train",
                              {"x": [16, HID, 32, 32]}, BN_PARAMS, mode="train", eps=1e-5,
                              axis=1, desc="BatchNorm train NCHW axis 1")
WORKLOADS["W6"] = _workload("w6_ffn_post_ln.ndr", "w6_ffn_post_ln", "ffn_post_ln",
                            {"x": [16, 128, HID]},
                            {"w1": [3072, HID], "b1": [3072], "w2": [HID, 3072], "b2": [HID],
                             "g": [HID], "b": [HID]},
                            eps=1e-5, desc="post-norm FFN, 2048 rows, infer")
# W6 is measured against its two GEMMs (x W1^T, then h W2^T), not a STREAM roof.
WORKLOADS["W6"]["gemms"] = [(2048, 3072, HID), (2048, HID, 3072)]  # (M, N, K)
WORKLOADS["W6"]["flops"] = sum(2 * m * n * k for m, n, k in WORKLOADS["W6"]["gemms"])


def _param_values(name, shape, rng):
    """Parameters drawn as trained ones look: scales near 1, shifts near 0, variances > 0."""
    if name in ("gamma", "g"):
        return 1.0 + 0.1 * rng.standard_normal(shape)
    if name == "var":
        return rng.uniform(0.5, 2.0, shape)
    if name in ("w1", "w2"):
        return 0.02 * rng.standard_normal(shape)
    return 0.1 * rng.standard_normal(shape)  # beta, b, mean, biases


def make_inputs(wl, seed=0):
    """Inputs (N(0, 1)) and parameters of a workload, as float32 arrays by name."""
    arrays = {}
    for i, (name, shape) in enumerate(list(wl["inputs"].items()) + list(wl["params"].items())):
        rng = np.random.default_rng([seed, i])  # one stream per array: stable if others change
        if name in wl["inputs"]:
            arrays[name] = rng.standard_normal(shape, dtype=np.float32)
        else:
            arrays[name] = np.ascontiguousarray(_param_values(name, shape, rng), dtype=np.float32)
    return arrays


def _layer_norm(s, gamma, beta, eps):
    mean = s.mean(axis=-1, keepdims=True)
    var = ((s - mean) ** 2).mean(axis=-1, keepdims=True)  # biased, as PyTorch
    return (s - mean) / np.sqrt(var + eps) * gamma + beta


def _erf(x):
    """erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7, far inside the tolerance)."""
    t = 1.0 / (1.0 + 0.3275911 * np.abs(x))
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741
                                                       + t * (-1.453152027 + t * 1.061405429))))
    return np.sign(x) * (1.0 - poly * np.exp(-x * x))


def dropout_keep(wl):
    """The keep mask NDR and the hand kernels use (DESIGN.md section 5), shaped like r."""
    shape = wl["inputs"]["r"]
    return philox_np.dropout_keep(_numel(shape), wl["p"], wl["seed"], wl["stream"]).reshape(shape)


def reference(wl, arrays, keep=None):
    """Float64 NumPy reference of the output. For W2, `keep` is the dropout keep mask
    (default: DESIGN.md section 5's, seed wl['seed'], stream 0)."""
    a = {k: v.astype(np.float64) for k, v in arrays.items()}
    kind, eps = wl["kind"], wl["eps"]
    if kind == "add_ln":
        return _layer_norm(a["x"] + a["r"], a["gamma"], a["beta"], eps)
    if kind == "add_dropout_ln":
        if keep is None:
            keep = dropout_keep(wl)
        p = float(np.float32(wl["p"]))
        return _layer_norm(a["x"] + a["r"] * keep / (1.0 - p), a["gamma"], a["beta"], eps)
    if kind == "add_bias_ln":
        return _layer_norm(a["x"] + a["r"] + a["bias"], a["gamma"], a["beta"], eps)
    if kind == "add_rms":
        s = a["x"] + a["r"]
        return s / np.sqrt((s * s).mean(axis=-1, keepdims=True) + eps) * a["gamma"]
    if kind in ("bn", "bn_train"):
        x = a["x"]
        # Broadcast the per-channel vectors along the channel axis.
        shape = [1] * x.ndim
        shape[wl["axis"]] = -1
        ch = {k: a[k].reshape(shape) for k in ("mean", "var", "gamma", "beta")}
        if kind == "bn_train":  # the batch's mean and biased variance
            others = tuple(d for d in range(x.ndim) if d != wl["axis"] % x.ndim)
            ch["mean"] = x.mean(axis=others, keepdims=True)
            ch["var"] = ((x - ch["mean"]) ** 2).mean(axis=others, keepdims=True)
        return (x - ch["mean"]) / np.sqrt(ch["var"] + eps) * ch["gamma"] + ch["beta"]
    if kind == "ffn_post_ln":  # infer mode: dropout is the identity
        x = a["x"].reshape(-1, a["x"].shape[-1])
        h = x @ a["w1"].T + a["b1"]
        h = 0.5 * h * (1.0 + _erf(h / np.sqrt(2.0)))  # exact GELU
        h = h @ a["w2"].T + a["b2"]
        return _layer_norm(x + h, a["g"], a["b"], eps).reshape(a["x"].shape)
    raise ValueError("unknown workload kind " + kind)


def check(wl, out, arrays, mask=None, ref=None):
    """(ok, max_err): out within 1e-4 relative + 1e-5 absolute of the reference
    everywhere; max_err is the largest absolute error. For W2, `mask` is the
    boolean keep mask the implementation used (peers draw their own). `ref` may
    pass a reference computed before, to save the time."""
    if mask is not None and "p" in wl:
        # A peer's own mask must still be a dropout of rate p (rejects e.g. keep-all).
        mask = np.asarray(mask, dtype=bool).reshape(wl["inputs"]["r"])
        if abs(mask.mean() - (1.0 - wl["p"])) > 0.01:
            return False, float("inf")
    if ref is None:
        ref = reference(wl, arrays, keep=mask)
    out = np.asarray(out)
    if out.shape != ref.shape:
        if out.size != ref.size:
            return False, float("inf")
        out = out.reshape(ref.shape)
    err = np.abs(out.astype(np.float64) - ref)
    if not np.all(np.isfinite(err)):
        return False, float("inf")
    max_err = float(err.max())
    return bool(np.all(err <= 1e-5 + 1e-4 * np.abs(ref))), max_err
