#!/usr/bin/python3
"""Generates the golden data of the end-to-end tests (tests/lit/e2e/).

Run once with Debian's PyTorch (python3-torch, /usr/bin/python3), from the
repository root:  /usr/bin/python3 tests/data/make_golden.py
It writes, for each case, tests/lit/e2e/<case>.mlir (the model and its RUN
lines) and tests/data/e2e/<case>/ (inputs as .npy, parameters as
.safetensors, expected outputs as .npy). Outputs follow PyTorch semantics
(DESIGN.md section 9); train-mode dropout masks follow DESIGN.md section 5,
computed here by an independent Philox4x32-10.
"""
import json
import math
import os
import shutil
import struct

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "tests", "data", "e2e")
LIT = os.path.join(ROOT, "tests", "lit", "e2e")
SEED = 42  # the run seed every case uses

# ---------------------------------------------------------------------------
# Philox4x32-10 and the dropout mask of DESIGN.md section 5.

M0, M1 = 0xD2511F53, 0xCD9E8D57
W0, W1 = 0x9E3779B9, 0xBB67AE85
MASK32 = np.uint64(0xFFFFFFFF)


def philox(c0, c1, c2, c3, k0, k1):
    c0, c1, c2, c3 = (np.asarray(c, dtype=np.uint64) for c in (c0, c1, c2, c3))
    k0, k1 = np.uint64(k0), np.uint64(k1)
    for _ in range(10):
        p0 = c0 * np.uint64(M0)
        p1 = c2 * np.uint64(M1)
        c0, c1, c2, c3 = ((p1 >> np.uint64(32)) ^ c1 ^ k0, p1 & MASK32,
                          (p0 >> np.uint64(32)) ^ c3 ^ k1, p0 & MASK32)
        k0 = (k0 + np.uint64(W0)) & MASK32
        k1 = (k1 + np.uint64(W1)) & MASK32
    return c0, c1, c2, c3


assert [int(v) for v in philox(0, 0, 0, 0, 0, 0)] == [
    0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8], "Philox known answer"


def keep_mask(n, p, stream, seed=SEED):
    """Boolean keep mask of n elements (flat row-major index)."""
    i = np.arange(n, dtype=np.uint64)
    j, h = i // np.uint64(8), i % np.uint64(8)
    words = philox(j & MASK32, j >> np.uint64(32), np.full(n, stream, np.uint64),
                   np.zeros(n, np.uint64), seed & 0xFFFFFFFF, seed >> 32)
    w = np.choose((h // np.uint64(2)).astype(np.int64), words)
    r = (w >> (np.uint64(16) * (h % np.uint64(2)))) & np.uint64(0xFFFF)
    t = math.floor(float(np.float32(p)) * 65536 + 0.5)  # lround, p as stored f32
    return r >= np.uint64(t)


def dropout(x, p, stream):
    """Train-mode inverted dropout as the generated code computes it."""
    keep = torch.from_numpy(keep_mask(x.numel(), p, stream).reshape(x.shape))
    return torch.where(keep, x / (1 - p), torch.zeros_like(x))


# ---------------------------------------------------------------------------
# Files.

# numpy has no bf16: the runtime reads bf16 .npy files as '<u2' bits.
DTYPES = {torch.float32: ("F32", "<f4", "f32"), torch.float16: ("F16", "<f2", "f16"),
          torch.bfloat16: ("BF16", "<u2", "bf16")}
# Expected outputs are the formula evaluated in float64 on the stored inputs
# and rounded once: PyTorch 1.13's own f32 kernels lose up to 5e-4 on rows
# near 1e4, more than the tolerance of section 9.


def to_numpy(t):
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().view(np.uint16)
    return t.detach().numpy().astype(DTYPES[t.dtype][1])


def write_npy(path, t):
    np.save(path, to_numpy(t))


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        data = to_numpy(t).tobytes()
        header[name] = {"dtype": DTYPES[t.dtype][0], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def ttype(t):
    dims = "x".join(str(d) for d in t.shape)
    return f"tensor<{dims}x{DTYPES[t.dtype][2]}>" if dims else f"tensor<{DTYPES[t.dtype][2]}>"


def rms_norm(x, g, eps=1e-6):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * g


# ---------------------------------------------------------------------------
# Cases: each is a model body in the ndr dialect over named inputs and params.

CASES = []


def case(name, body, inputs, params, outputs, mode="infer", tol="f32", unfused=True):
    """`outputs` maps each output name to a function of the float64 copies of
    the inputs then the params, in order: the exact result of PyTorch's formula on
    the stored values, rounded once to the storage type."""
    args = {k: v.double() for k, v in {**inputs, **params}.items()}
    dtype = next(iter(inputs.values())).dtype
    outputs = {k: f(*args.values()).to(dtype) for k, f in outputs.items()}
    CASES.append(dict(name=name, body=body, inputs=inputs, params=params,
                      outputs=outputs, mode=mode, tol=tol, unfused=unfused))


def rand(*shape, scale=1.0, dtype=torch.float32):
    return (torch.randn(*shape) * scale).to(dtype)


def layer_norm_case(name, rows, hidden, x=None):
    x = rand(rows, hidden) if x is None else x
    g, b = rand(hidden), rand(hidden)
    case(name, f"""
  %y = ndr.layer_norm %x gamma(%g : {ttype(g)}) beta(%b : {ttype(b)}) : {ttype(x)}
  return %y : {ttype(x)}""", dict(x=x), dict(g=g, b=b),
         dict(y=lambda x, g, b: F.layer_norm(x, (hidden,), g, b, eps=1e-5)))


def build_cases():
    torch.manual_seed(0)
    for hidden in (1, 3, 8, 769):
        layer_norm_case(f"layer_norm_h{hidden}", 3, hidden)
    layer_norm_case("layer_norm_h4096", 2, 4096)
    layer_norm_case("layer_norm_single_row", 1, 769)
    const = torch.cat([torch.full((1, 37), 2.5), torch.zeros(1, 37), rand(1, 37)])
    layer_norm_case("layer_norm_constant_rows", 3, 37, const)
    layer_norm_case("layer_norm_large", 4, 100, 1e4 + rand(4, 100, scale=3.0))

    for hidden in (1, 3, 769):
        x, g = rand(3, hidden), rand(hidden)
        case(f"rms_norm_h{hidden}", f"""
  %y = ndr.rms_norm %x gamma(%g : {ttype(g)}) : {ttype(x)}
  return %y : {ttype(x)}""", dict(x=x), dict(g=g), dict(y=rms_norm))

    # Activations and broadcasting.
    x = rand(3, 769, scale=3.0)
    acts = dict(relu=F.relu, tanh=torch.tanh, sigmoid=torch.sigmoid, silu=F.silu,
                gelu=F.gelu, gelu_tanh=lambda x: F.gelu(x, approximate="tanh"))
    for act, f in acts.items():
        op = "gelu" if act.startswith("gelu") else act
        extra = " approximate = tanh" if act == "gelu_tanh" else ""
        case(f"act_{act}", f"""
  %y = ndr.{op} %x{extra} : {ttype(x)}
  return %y : {ttype(x)}""", dict(x=x), {}, dict(y=f))
    a, b = rand(2, 1, 5), rand(3, 1)
    case("add_mul_broadcast", f"""
  %s = ndr.add %a, %b : {ttype(a)}, {ttype(b)}
  %y = ndr.mul %s, %b : tensor<2x3x5xf32>, {ttype(b)}
  return %y : tensor<2x3x5xf32>""", dict(a=a, b=b), {}, dict(y=lambda a, b: (a + b) * b))
    x, w, bias = rand(2, 3, 7), rand(5, 7), rand(5)
    case("linear_3d", f"""
  %y = ndr.linear %x, %w, %bias : {ttype(x)}, {ttype(w)}, {ttype(bias)}
  return %y : tensor<2x3x5xf32>""", dict(x=x), dict(w=w, bias=bias), dict(y=F.linear))

    # The post-norm FFN sublayer of DESIGN.md section 6, small.
    x = rand(2, 5, 24)
    w1, b1, w2, b2 = rand(48, 24, scale=0.2), rand(48), rand(24, 48, scale=0.2), rand(24)
    g, bt = rand(24), rand(24)

    def ffn(train):
        def y(x, w1, b1, w2, b2, g, bt):
            h = F.linear(F.gelu(F.linear(x, w1, b1)), w2, b2)
            h = dropout(h, 0.1, 0) if train else h
            return F.layer_norm(x + h, (24,), g, bt, eps=1e-5)
        return y
    body = f"""
  %0 = ndr.linear %x, %w1, %b1 : {ttype(x)}, {ttype(w1)}, {ttype(b1)}
  %1 = ndr.gelu %0 : tensor<2x5x48xf32>
  %2 = ndr.linear %1, %w2, %b2 : tensor<2x5x48xf32>, {ttype(w2)}, {ttype(b2)}
  %3 = ndr.dropout %2, p = 0.1, stream = 0 : {ttype(x)}
  %4 = ndr.add %x, %3 : {ttype(x)}, {ttype(x)}
  %y = ndr.layer_norm %4 gamma(%g : {ttype(g)}) beta(%bt : {ttype(bt)}) : {ttype(x)}
  return %y : {ttype(x)}"""
    params = dict(w1=w1, b1=b1, w2=w2, b2=b2, g=g, bt=bt)
    case("ffn_post_ln", body, dict(x=x), params, dict(y=ffn(False)))
    case("ffn_post_ln_train", body, dict(x=x), params, dict(y=ffn(True)), mode="train")

    # Pre-norm block with RMSNorm: both the norm and the sum are outputs.
    x, hh, g = rand(4, 40), rand(4, 40), rand(40)
    case("pre_norm_rms_train", f"""
  %d = ndr.dropout %h, p = 0.25, stream = 3 : {ttype(x)}
  %s = ndr.add %x, %d : {ttype(x)}, {ttype(x)}
  %y = ndr.rms_norm %s gamma(%g : {ttype(g)}) : {ttype(x)}
  return %y, %s : {ttype(x)}, {ttype(x)}""", dict(x=x, h=hh), dict(g=g),
         dict(y=lambda x, h, g: rms_norm(x + dropout(h, 0.25, 3), g),
              s=lambda x, h, g: x + dropout(h, 0.25, 3)), mode="train")

    # Residual MLP with BatchNorm at inference (folded into the linear).
    x, w, bias = rand(6, 16), rand(16, 16, scale=0.3), rand(16)
    mean, var, g, bt = rand(16), torch.rand(16) + 0.5, rand(16), rand(16)

    def mlp(x, w, bias, mean, var, g, bt):
        return x + F.relu(F.batch_norm(F.linear(x, w, bias), mean, var, g, bt, False, 0.1, 1e-5))
    case("mlp_batch_norm", f"""
  %0 = ndr.linear %x, %w, %bias : {ttype(x)}, {ttype(w)}, {ttype(bias)}
  %1 = ndr.batch_norm %0 stats(%mean, %var : {ttype(mean)}) gamma(%g : {ttype(g)}) beta(%bt : {ttype(bt)}) : {ttype(x)}
  %2 = ndr.relu %1 : {ttype(x)}
  %y = ndr.add %x, %2 : {ttype(x)}, {ttype(x)}
  return %y : {ttype(x)}""", dict(x=x), dict(w=w, bias=bias, mean=mean, var=var, g=g, bt=bt),
         dict(y=mlp))

    # Train-mode batch_norm normalizes with the batch statistics (biased
    # variance); its running statistics are updated in place, unseen here.
    x = rand(6, 16, scale=2.0) + 1.0
    mean, var, g, bt = rand(16), torch.rand(16) + 0.5, rand(16), rand(16)
    case("batch_norm_train", f"""
  %y = ndr.batch_norm %x stats(%mean, %var : {ttype(mean)}) gamma(%g : {ttype(g)}) beta(%bt : {ttype(bt)}) : {ttype(x)}
  return %y : {ttype(x)}""", dict(x=x), dict(mean=mean, var=var, g=g, bt=bt),
         dict(y=lambda x, mean, var, g, bt: F.batch_norm(
             x, mean.clone(), var.clone(), g, bt, True, 0.1, 1e-5)), mode="train")

    # Train-mode dropout and DropConnect, masks bit-exact.
    x = rand(3, 777)
    case("dropout_train", f"""
  %y = ndr.dropout %x, p = 0.3, stream = 5 : {ttype(x)}
  return %y : {ttype(x)}""", dict(x=x), {}, dict(y=lambda x: dropout(x, 0.3, 5)), mode="train")
    x, w = rand(4, 9), rand(6, 9)
    case("drop_connect_train", f"""
  %d = ndr.drop_connect %w, p = 0.5, stream = 1 : {ttype(w)}
  %y = ndr.linear %x, %d : {ttype(x)}, {ttype(w)}
  return %y : tensor<4x6xf32>""", dict(x=x), dict(w=w),
         dict(y=lambda x, w: F.linear(x, dropout(w, 0.5, 1))), mode="train")

    # f16 storage: f32 math, rounded once on store.
    x, g, b = rand(3, 769, dtype=torch.float16), rand(769, dtype=torch.float16), rand(769, dtype=torch.float16)
    case("layer_norm_f16", f"""
  %y = ndr.layer_norm %x gamma(%g : {ttype(g)}) beta(%b : {ttype(b)}) : {ttype(x)}
  return %y : {ttype(x)}""", dict(x=x), dict(g=g, b=b),
         dict(y=lambda x, g, b: F.layer_norm(x, (769,), g, b, eps=1e-5)), tol="f16")
    x, r, g = (rand(2, 4096, dtype=torch.bfloat16), rand(2, 4096, dtype=torch.bfloat16),
               rand(4096, dtype=torch.bfloat16))
    case("fused_rms_bf16", f"""
  %s = ndr.add %r, %x : {ttype(x)}, {ttype(x)}
  %y = ndr.rms_norm %s gamma(%g : {ttype(g)}) : {ttype(x)}
  return %y : {ttype(x)}""", dict(x=x, r=r), dict(g=g),
         dict(y=lambda x, r, g: rms_norm(r + x, g)), tol="f16")


def emit(c):
    name = c["name"]
    data = os.path.join(DATA, name)
    os.makedirs(data, exist_ok=True)
    args = [f"%{k}: {ttype(v)} {{ndr.input = \"{k}\"}}" for k, v in c["inputs"].items()]
    args += [f"%{k}: {ttype(v)} {{ndr.param = \"{k}\"}}" for k, v in c["params"].items()]
    results = [f"{ttype(v)} {{ndr.output = \"{k}\"}}" for k, v in c["outputs"].items()]
    rel = f"%ndr_src_root/tests/data/e2e/{name}"
    run = " ".join(f"--input {k}={rel}/{k}.npy" for k in c["inputs"])
    if c["params"]:
        run += f" --params {rel}/params.safetensors"
    tol = "--rtol 1e-5 --atol 1e-6" if c["tol"] == "f32" else "--ulp 1"
    lines = [f"// Generated by tests/data/make_golden.py: do not edit.",
             f"// RUN: ndrc %s --mode={c['mode']} -o %t.exe"]
    variants = [("", "%t.exe")]
    if c["unfused"]:
        lines.append(f"// RUN: ndrc %s --mode={c['mode']} --no-opt -o %t.unfused.exe")
        variants.append((".unfused", "%t.unfused.exe"))
    for suffix, exe in variants:
        outs = " ".join(f"--output {k}=%t{suffix}.{k}.npy" for k in c["outputs"])
        lines.append(f"// RUN: {exe} {run} {outs} --seed {SEED}")
        for k in c["outputs"]:
            lines.append(f"// RUN: ndr-npycmp %t{suffix}.{k}.npy {rel}/{k}.out.npy {tol}")
    # The CUDA target: its kernels under the runtime's emulator everywhere,
    # and on the GPU where there is one (lit's feature cuda-device).
    for suffix, flags, env, guard in [
            (".emu", "--gpu-emulate", "env NDR_CUDA_EMULATE=1 ", "{}"),
            (".gpu", "", "", "%if cuda-device %{{ {} %}}")]:
        exe = f"%t{suffix}.exe"
        outs = " ".join(f"--output {k}=%t{suffix}.{k}.npy" for k in c["outputs"])
        steps = [f"ndrc %s --mode={c['mode']} --target=cuda {flags}".rstrip() + f" -o {exe}",
                 f"{env}{exe} {run} {outs} --seed {SEED}"]
        steps += [f"ndr-npycmp %t{suffix}.{k}.npy {rel}/{k}.out.npy {tol}" for k in c["outputs"]]
        lines += [f"// RUN: {guard.format(step)}" for step in steps]
    lines.append("")
    lines.append(f"func.func @{name}({', '.join(args)})")
    lines.append(f"    -> ({', '.join(results)}) attributes {{ndr.model}} {{{c['body']}")
    lines.append("}")
    with open(os.path.join(LIT, name + ".mlir"), "w") as f:
        f.write("\n".join(lines) + "\n")
    for k, v in c["inputs"].items():
        write_npy(os.path.join(data, k + ".npy"), v)
    if c["params"]:
        write_safetensors(os.path.join(data, "params.safetensors"), c["params"])
    for k, v in c["outputs"].items():
        write_npy(os.path.join(data, k + ".out.npy"), v)


def main():
    build_cases()
    shutil.rmtree(DATA, ignore_errors=True)
    os.makedirs(LIT, exist_ok=True)
    for c in CASES:
        emit(c)
    print(f"{len(CASES)} cases written to {os.path.relpath(LIT, ROOT)} and {os.path.relpath(DATA, ROOT)}")


if __name__ == "__main__":
    main()
