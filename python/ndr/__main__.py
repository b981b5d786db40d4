"""python -m ndr: compile, run and import models from the command line."""
import argparse
import importlib
import os
import re
import sys

import numpy as np

from . import compile as compile_model
from . import errors
from . import load
from .errors import CompileError, NdrError
from .model import check_names
from .tensors import write_safetensors

_TORCH_DTYPES = {"f32": "float32", "f16": "float16", "bf16": "bfloat16"}


def _model(args):
    if args.model_path.endswith(".so"):
        return load(args.model_path, args.params)
    return compile_model(args.model_path, mode=args.mode, target=args.target,
                         model=args.model, params=args.params)


def _pairs(items, what):
    pairs = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name or not value:
            raise NdrError(f"{what}: expected NAME=VALUE, got '{item}'")
        pairs[name] = value
    return pairs


def cmd_compile(args):
    model = _model(args)
    print(model.path)


def _load_npy(name, path):
    try:
        return np.load(path)
    except (OSError, ValueError) as e:
        raise NdrError(f"input '{name}': {path}: {e}", errors.IO) from None


def cmd_run(args):
    model = _model(args)
    given = _pairs(args.input, "--input")
    # Before reading any file.
    check_names(given, model.inputs, model.name, "input", "--input: ")
    inputs = {name: _load_npy(name, path) for name, path in given.items()}
    rng = np.random.default_rng(args.seed)
    for spec in model.inputs:
        if spec.name not in inputs:
            if spec.dtype == "bf16":
                raise NdrError(f"input '{spec.name}' is bf16: give it with --input")
            inputs[spec.name] = rng.standard_normal(spec.shape).astype(spec.numpy_dtype)
    results = model.run(inputs, seed=args.seed)
    files = _pairs(args.output, "--output")
    check_names(files, model.outputs, model.name, "output", "--output: ")
    for name, array in results.items():
        if name in files:
            np.save(files[name], array)
            print(f"{name}: {array.dtype}{list(array.shape)} -> {files[name]}")
        else:
            print(f"{name}: {array.dtype}{list(array.shape)} mean "
                  f"{float(np.mean(array, dtype=np.float64)):.6g}")


def _parse_type(text):
    m = re.fullmatch(r"\s*(f32|f16|bf16)\[([\d,\s]+)\]\s*", text)
    if not m:
        raise NdrError(f"--input-shape: expected NAME=DTYPE[D, ...] (f32, f16, bf16), "
                       f"got '{text}'")
    return m.group(1), [int(d) for d in m.group(2).split(",")]


def cmd_import(args):
    import torch
    module_name, _, attr = args.module.partition(":")
    if not attr:
        raise NdrError("import: expected MODULE:CALLABLE (say mypkg.blocks:make_block)")
    sys.path.insert(0, os.getcwd())
    factory = getattr(importlib.import_module(module_name), attr)
    module = factory()
    if args.eval:
        module.eval()
    examples = []
    for spec in args.input_shape:
        _, _, text = spec.partition("=")
        dtype, shape = _parse_type(text)
        examples.append(torch.randn(shape, dtype=getattr(torch, _TORCH_DTYPES[dtype])))
    from . import from_torch
    source, params = from_torch(module, tuple(examples), mode=args.mode)
    base = args.output
    with open(base + ".ndr", "w") as f:
        f.write(source)
    arrays = {}
    for name, tensor in params.items():
        dtype = {torch.float32: "f32", torch.float16: "f16", torch.bfloat16: "bf16"}[tensor.dtype]
        t = tensor.contiguous()
        arrays[name] = (dtype, t.view(torch.int16).numpy() if dtype == "bf16" else t.numpy())
    write_safetensors(base + ".safetensors", arrays)
    print(f"wrote {base}.ndr and {base}.safetensors ({len(arrays)} parameters)")


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m ndr", description="Compile, run and import NDR models.")
    sub = parser.add_subparsers(dest="command", required=True)

    def model_args(p):
        p.add_argument("model_path", metavar="MODEL",
                       help="a .ndr or .mlir file, or a library of ndrc --emit=lib (.so)")
        p.add_argument("--mode", choices=["infer", "train"], default="infer")
        p.add_argument("--target", choices=["cpu", "cuda"], default="cpu")
        p.add_argument("--model", help="the model to compile, in a file with several")
        p.add_argument("--params", help="a safetensors file of the parameters")

    p = sub.add_parser("compile", help="compile into the cache; print the library's path")
    model_args(p)
    p.set_defaults(func=cmd_compile)
    p = sub.add_parser("run", help="compile (cached) and run once")
    model_args(p)
    p.add_argument("--input", action="append", metavar="NAME=FILE.npy",
                   help="an input (others: seeded normal values)")
    p.add_argument("--output", action="append", metavar="NAME=FILE.npy",
                   help="write an output (others: their shape and mean are printed)")
    p.add_argument("--seed", type=int, default=0, help="the dropout seed (default 0)")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("import", help="import a PyTorch module: OUT.ndr and OUT.safetensors")
    p.add_argument("module", metavar="MODULE:CALLABLE",
                   help="a function or class that returns the nn.Module")
    p.add_argument("--input-shape", action="append", required=True,
                   metavar="NAME=DTYPE[D,...]", help="an example input, in order")
    p.add_argument("--mode", choices=["infer", "train"],
                   help="default: the module's training flag")
    p.add_argument("--eval", action="store_true", help="call module.eval() first")
    p.add_argument("-o", "--output", required=True, metavar="OUT")
    p.set_defaults(func=cmd_import)

    args = parser.parse_args(argv)
    try:
        args.func(args)
    except CompileError as e:
        print(e, file=sys.stderr)
        return e.exit_code
    except NdrError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.status or 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
