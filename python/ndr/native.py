"""ctypes view of a compiled model library (ndrc --emit=lib).

The library exports `ndr_library_descriptor()`, the model's ndr_model_desc
(runtime/ndr_model.h), and the runtime's C functions. Nothing here parses the
generated header.
"""
import ctypes
from dataclasses import dataclass

import numpy as np

from .errors import NdrError

# ndr_dtype values of the model's tensors, with the numpy dtype that carries
# their bytes (bf16 travels as its uint16 bits).
NDR_F32, NDR_F16, NDR_BF16 = 0, 1, 2
DTYPES = {NDR_F32: "f32", NDR_F16: "f16", NDR_BF16: "bf16"}
NUMPY_DTYPES = {"f32": np.dtype(np.float32), "f16": np.dtype(np.float16),
                "bf16": np.dtype(np.uint16)}
INIT_KINDS = {0: None, 1: "zeros", 2: "ones", 3: "normal"}


class _TensorDesc(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("dtype", ctypes.c_int),
                ("rank", ctypes.c_int32), ("shape", ctypes.POINTER(ctypes.c_int64)),
                ("init", ctypes.c_int), ("init_std", ctypes.c_float)]


class _ModelDesc(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p),
                ("num_inputs", ctypes.c_int32), ("num_params", ctypes.c_int32),
                ("num_derived", ctypes.c_int32), ("num_outputs", ctypes.c_int32),
                ("inputs", ctypes.POINTER(_TensorDesc)),
                ("params", ctypes.POINTER(_TensorDesc)),
                ("derived", ctypes.POINTER(_TensorDesc)),
                ("outputs", ctypes.POINTER(_TensorDesc)),
                ("init", ctypes.c_void_p), ("run", ctypes.c_void_p),
                ("workspace_bytes", ctypes.c_int64),
                ("target", ctypes.c_int),
                ("init_device", ctypes.c_void_p), ("run_device", ctypes.c_void_p)]

# ndr_target values.
TARGETS = {0: "cpu", 1: "cuda"}


@dataclass(frozen=True)
class TensorSpec:
    """A tensor of a model: its name, dtype ("f32", "f16", "bf16") and shape."""
    name: str
    dtype: str
    shape: tuple
    init: object = None  # a parameter's default: "zeros", "ones", "normal" or None

    @property
    def numpy_dtype(self):
        """The numpy dtype of its bytes (uint16 for bf16)."""
        return NUMPY_DTYPES[self.dtype]

    def __str__(self):
        return f"{self.name}: {self.dtype}[{', '.join(map(str, self.shape))}]"


def _specs(array, count):
    specs = []
    for i in range(count):
        t = array[i]
        if t.dtype not in DTYPES:
            raise NdrError(f"tensor '{t.name.decode()}' has dtype {t.dtype}, "
                           "which this package does not know")
        shape = tuple(t.shape[d] for d in range(t.rank))
        specs.append(TensorSpec(t.name.decode(), DTYPES[t.dtype], shape,
                                INIT_KINDS.get(t.init)))
    return tuple(specs)


class Library:
    """One loaded model library: its descriptor and the runtime's functions."""

    def __init__(self, path):
        self.path = str(path)
        try:
            # ctypes.CDLL releases the GIL around every call, runs included.
            lib = ctypes.CDLL(self.path)
        except OSError as e:
            raise NdrError(f"cannot load '{self.path}': {e}", 1) from None
        try:
            lib.ndr_library_descriptor
        except AttributeError:
            raise NdrError(f"'{self.path}' is not a model library of ndrc "
                           "--emit=lib (no ndr_library_descriptor)", 2) from None
        self.lib = lib
        P = ctypes.c_void_p
        lib.ndr_library_descriptor.restype = ctypes.POINTER(_ModelDesc)
        lib.ndr_library_descriptor.argtypes = []
        lib.ndr_model_create.restype = ctypes.c_int
        lib.ndr_model_create.argtypes = [P, ctypes.c_char_p, ctypes.c_uint64,
                                         ctypes.POINTER(P)]
        lib.ndr_model_run.restype = ctypes.c_int
        lib.ndr_model_run.argtypes = [P, ctypes.POINTER(P), ctypes.POINTER(P),
                                      ctypes.c_uint64]
        lib.ndr_model_run_device.restype = ctypes.c_int
        lib.ndr_model_run_device.argtypes = [P, ctypes.POINTER(P), ctypes.POINTER(P),
                                             ctypes.c_uint64, P]
        lib.ndr_model_destroy.restype = None
        lib.ndr_model_destroy.argtypes = [P]
        lib.ndr_last_error.restype = ctypes.c_char_p
        lib.ndr_last_error.argtypes = []
        lib.ndr_dropout_mask.restype = None
        lib.ndr_dropout_mask.argtypes = [ctypes.c_uint64, ctypes.c_uint32,
                                         ctypes.c_uint64, ctypes.c_float, P]
        self.desc = lib.ndr_library_descriptor()
        d = self.desc.contents
        self.name = d.name.decode()
        self.inputs = _specs(d.inputs, d.num_inputs)
        self.params = _specs(d.params, d.num_params)
        self.outputs = _specs(d.outputs, d.num_outputs)
        self.target = TARGETS.get(d.target, "unknown")

    def error(self, status):
        """The NdrError of a failed call that returned `status`."""
        return NdrError(self.lib.ndr_last_error().decode(errors="replace"), status)

    def create(self, params_path, seed):
        """A new ndr_model handle (an int)."""
        handle = ctypes.c_void_p()
        path = None if params_path is None else str(params_path).encode()
        status = self.lib.ndr_model_create(self.desc, path, seed, ctypes.byref(handle))
        if status:
            raise self.error(status)
        return handle.value

    def run(self, handle, inputs, outputs, seed):
        ins = (ctypes.c_void_p * max(len(inputs), 1))(*[a.ctypes.data for a in inputs])
        outs = (ctypes.c_void_p * max(len(outputs), 1))(*[a.ctypes.data for a in outputs])
        status = self.lib.ndr_model_run(handle, ins, outs, seed)
        if status:
            raise self.error(status)

    def run_device(self, handle, inputs, outputs, seed, stream):
        """A run of a CUDA model on device pointers (ints), on `stream`."""
        ins = (ctypes.c_void_p * max(len(inputs), 1))(*inputs)
        outs = (ctypes.c_void_p * max(len(outputs), 1))(*outputs)
        status = self.lib.ndr_model_run_device(handle, ins, outs, seed, stream)
        if status:
            raise self.error(status)

    def destroy(self, handle):
        self.lib.ndr_model_destroy(handle)

    def dropout_mask(self, seed, stream, shape, p):
        keep = np.empty(shape, dtype=np.uint8)
        self.lib.ndr_dropout_mask(seed, stream, keep.size, p, keep.ctypes.data)
        return keep.astype(bool)
