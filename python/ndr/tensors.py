"""Arrays in and out of a model: numpy arrays and PyTorch tensors, checked
against the model's TensorSpecs; safetensors files written from a dict."""
import json
import struct

import numpy as np

from . import errors
from .errors import NdrError

_NUMPY_NAMES = {np.dtype(np.float32): "f32", np.dtype(np.float16): "f16"}
_HOW = {"f32": "numpy float32 or torch.float32",
        "f16": "numpy float16 or torch.float16",
        "bf16": "torch.bfloat16, or numpy uint16 holding its bits"}


def _is_torch(value):
    return type(value).__module__.startswith("torch") and hasattr(value, "detach")


def to_array(value, spec, what):
    """`value` (numpy array or CPU torch tensor) as a C-contiguous numpy array
    of spec's bytes; NdrError naming `what` (say "input 'x'") when its type,
    dtype or shape is wrong."""
    if _is_torch(value):
        import torch
        t = value.detach()
        if t.device.type != "cpu":
            raise NdrError(f"{what}: the tensor is on {t.device}; move it to the CPU "
                           "(.cpu())", errors.ARG)
        t = t.contiguous()
        if t.dtype == torch.bfloat16:
            got, array = "bf16", t.view(torch.int16).numpy().view(np.uint16)
        elif t.dtype in (torch.float32, torch.float16):
            got, array = ("f32" if t.dtype == torch.float32 else "f16"), t.numpy()
        else:
            got, array = str(t.dtype), None
    elif isinstance(value, np.ndarray):
        array = value
        got = _NUMPY_NAMES.get(value.dtype)
        if value.dtype == np.uint16 and spec.dtype == "bf16":
            got = "bf16"
        got = got or f"numpy {value.dtype}"
    else:
        raise NdrError(f"{what}: expected a numpy array or a torch tensor, got "
                       f"{type(value).__name__}", errors.ARG)
    if got != spec.dtype:
        raise NdrError(f"{what}: expected dtype {spec.dtype} ({_HOW[spec.dtype]}), "
                       f"got {got}", errors.DTYPE)
    if tuple(array.shape) != spec.shape:
        raise NdrError(f"{what}: expected shape {list(spec.shape)}, got "
                       f"{list(array.shape)}", errors.SHAPE)
    return np.ascontiguousarray(array)


def check_output(array, spec, what):
    """A caller-given output array: the model writes into it, so it must have
    the right dtype and shape, be C-contiguous and writeable."""
    if not isinstance(array, np.ndarray):
        raise NdrError(f"{what}: expected a numpy array to write into, got "
                       f"{type(array).__name__}", errors.ARG)
    if array.dtype != spec.numpy_dtype:
        raise NdrError(f"{what}: expected dtype {spec.numpy_dtype} ({spec.dtype}), "
                       f"got {array.dtype}", errors.DTYPE)
    if tuple(array.shape) != spec.shape:
        raise NdrError(f"{what}: expected shape {list(spec.shape)}, got "
                       f"{list(array.shape)}", errors.SHAPE)
    if not array.flags.c_contiguous or not array.flags.writeable:
        raise NdrError(f"{what}: the array must be C-contiguous and writeable",
                       errors.ARG)
    return array


_ST_DTYPES = {"f32": "F32", "f16": "F16", "bf16": "BF16"}


def write_safetensors(path, arrays):
    """Writes {name: (dtype, numpy array)} as a safetensors file."""
    header, offset = {}, 0
    for name, (dtype, array) in arrays.items():
        header[name] = {"dtype": _ST_DTYPES[dtype], "shape": list(array.shape),
                        "data_offsets": [offset, offset + array.nbytes]}
        offset += array.nbytes
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for _, array in arrays.values():
            f.write(np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<"),
                                                       copy=False).tobytes())
