"""A compiled model, loaded from its library and called from Python."""
import os
import tempfile

import numpy as np

from . import errors
from .errors import NdrError
from .native import Library
from .tensors import check_output, to_array, write_safetensors


def _names(specs):
    return ", ".join(s.name for s in specs) or "none"


def check_names(names, specs, model_name, kind, context=""):
    """NdrError for the first of `names` that no spec of `kind` ("input",
    "output") has; `context` starts the message ("--input: ")."""
    known = {s.name for s in specs}
    for name in names:
        if name not in known:
            raise NdrError(f"{context}model '{model_name}' has no {kind} '{name}' "
                           f"({kind}s: {_names(specs)})", errors.ARG)


class Model:
    """A model of a library that ndrc --emit=lib compiled.

    `model(x, r)`, `model(x=x, r=r, seed=1)` or `model.run({"x": x}, seed=1)`
    run it and return {output name: numpy array} (bf16 as uint16 bits).
    Inputs are numpy arrays or CPU PyTorch tensors of the model's dtypes and
    shapes; `out={"y": array}` writes into the caller's arrays. A run releases
    the GIL, and runs of one model may overlap in several threads.
    """

    def __init__(self, library, params=None, seed=0):
        self._lib = library if isinstance(library, Library) else Library(library)
        self._handle = None
        self._seed = _check_seed(seed)
        self.load_params(params)

    # The model's description, from the library's descriptor.
    @property
    def name(self):
        return self._lib.name

    @property
    def inputs(self):
        """The inputs, in order: TensorSpec(name, dtype, shape)."""
        return self._lib.inputs

    @property
    def outputs(self):
        return self._lib.outputs

    @property
    def params(self):
        return self._lib.params

    @property
    def target(self):
        """Where it runs: "cpu", or "cuda" (ndrc --target=cuda)."""
        return self._lib.target

    @property
    def path(self):
        """The library's file."""
        return self._lib.path

    def load_params(self, params):
        """Loads every parameter from a safetensors file (a path) or a dict of
        arrays or tensors (a PyTorch state_dict works: a key matches a
        parameter by its name, or with its dots made underscores; keys that
        match no parameter are ignored). None: the parameters' defaults,
        drawn with the model's seed. Returns self."""
        if params is None or isinstance(params, (str, os.PathLike)):
            handle = self._lib.create(params, self._seed)
        elif isinstance(params, dict):
            handle = self._create_from_dict(params)
        else:
            raise NdrError("params: expected a safetensors path or a dict of arrays, "
                           f"got {type(params).__name__}", errors.ARG)
        old, self._handle = self._handle, handle
        if old is not None:
            self._lib.destroy(old)
        return self

    def _create_from_dict(self, params):
        by_name = {}
        for key, value in params.items():
            by_name.setdefault(str(key), value)
            by_name.setdefault(str(key).replace(".", "_"), value)
        arrays = {}
        for spec in self.params:
            if spec.name not in by_name:
                raise NdrError(f"params: missing parameter '{spec.name}' "
                               f"({spec.dtype}{list(spec.shape)}) of model "
                               f"'{self.name}'", errors.MISSING)
            arrays[spec.name] = (spec.dtype, to_array(by_name[spec.name], spec,
                                                      f"parameter '{spec.name}'"))
        # The runtime reads parameters from a file (mapped, then copied into
        # aligned buffers): write one, load it, delete it.
        fd, path = tempfile.mkstemp(suffix=".safetensors", prefix="ndr-params-")
        os.close(fd)
        try:
            write_safetensors(path, arrays)
            return self._lib.create(path, self._seed)
        finally:
            os.unlink(path)

    def __call__(self, *args, seed=0, out=None, **inputs):
        if len(args) > len(self.inputs):
            raise NdrError(f"model '{self.name}' takes {len(self.inputs)} inputs "
                           f"({_names(self.inputs)}), got {len(args)} positional",
                           errors.ARG)
        for spec, value in zip(self.inputs, args):
            if spec.name in inputs:
                raise NdrError(f"input '{spec.name}' given twice", errors.ARG)
            inputs[spec.name] = value
        return self.run(inputs, seed=seed, out=out)

    def run(self, inputs, seed=0, out=None):
        """One run on {input name: array}; returns {output name: array}."""
        seed = _check_seed(seed)
        check_names(inputs, self.inputs, self.name, "input")
        arrays = []
        for spec in self.inputs:
            if spec.name not in inputs:
                raise NdrError(f"missing input '{spec}' of model '{self.name}'",
                               errors.MISSING)
            arrays.append(to_array(inputs[spec.name], spec, f"input '{spec.name}'"))
        out = dict(out or {})
        check_names(out, self.outputs, self.name, "output")
        results = {}
        for spec in self.outputs:
            if spec.name in out:
                results[spec.name] = check_output(out[spec.name], spec,
                                                  f"output '{spec.name}'")
            else:
                results[spec.name] = np.empty(spec.shape, spec.numpy_dtype)
        if len({id(a) for a in results.values()}) != len(results):
            raise NdrError("out: each output needs its own array", errors.ARG)
        self._lib.run(self._handle, arrays, list(results.values()), seed)
        return results

    def run_device(self, inputs, outputs, seed=0, stream=0):
        """One run of a CUDA model on device memory: {name: tensor} for
        every input and output, where a tensor is a CUDA PyTorch tensor (its
        data_ptr()) or a device pointer (an int), 16-byte aligned, of the
        model's dtype and shape (which only a tensor can be checked for). The
        work is enqueued on `stream` (a CUstream as an int, or a
        torch.cuda.Stream; 0: the default stream) and this returns without
        waiting for it."""
        if self.target != "cuda":
            raise NdrError(f"model '{self.name}' runs on the CPU: run_device needs "
                           "one compiled with target='cuda'", errors.ARG)
        seed = _check_seed(seed)
        check_names(inputs, self.inputs, self.name, "input")
        check_names(outputs, self.outputs, self.name, "output")
        pointers = []
        for kind, specs, given in (("input", self.inputs, inputs),
                                   ("output", self.outputs, outputs)):
            ptrs = []
            for spec in specs:
                if spec.name not in given:
                    raise NdrError(f"missing {kind} '{spec}' of model '{self.name}'",
                                   errors.MISSING)
                ptrs.append(_device_pointer(given[spec.name], spec, f"{kind} '{spec.name}'"))
            pointers.append(ptrs)
        stream = getattr(stream, "cuda_stream", stream)
        self._lib.run_device(self._handle, pointers[0], pointers[1], seed, int(stream))

    def close(self):
        """Frees the model's parameters (also done when it is collected)."""
        handle, self._handle = self._handle, None
        if handle is not None:
            self._lib.destroy(handle)

    def __del__(self):
        if getattr(self, "_handle", None) is not None:
            self.close()

    def __repr__(self):
        return (f"<ndr.Model {self.name}: inputs ({', '.join(map(str, self.inputs))}) "
                f"-> ({', '.join(map(str, self.outputs))}), {self.path}>")


def _device_pointer(value, spec, what):
    """The device address of a CUDA tensor (checked against `spec`) or an int."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if hasattr(value, "data_ptr") and hasattr(value, "is_cuda"):
        if not value.is_cuda:
            raise NdrError(f"{what}: a CPU tensor; run_device takes CUDA tensors "
                           "(Model.run copies host arrays)", errors.ARG)
        if tuple(value.shape) != tuple(spec.shape) or not value.is_contiguous():
            raise NdrError(f"{what}: expected a contiguous tensor of shape "
                           f"{list(spec.shape)}, got {list(value.shape)}", errors.SHAPE)
        dtype = str(value.dtype).replace("torch.", "")
        want = {"f32": "float32", "f16": "float16", "bf16": "bfloat16"}[spec.dtype]
        if dtype != want:
            raise NdrError(f"{what}: expected dtype {spec.dtype}, got {dtype}", errors.DTYPE)
        return value.data_ptr()
    raise NdrError(f"{what}: expected a CUDA tensor or a device pointer (int), "
                   f"got {type(value).__name__}", errors.ARG)


def _check_seed(seed):
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) \
            or not 0 <= int(seed) < 2**64:
        raise NdrError(f"seed: expected an integer in [0, 2^64), got {seed!r}",
                       errors.ARG)
    return int(seed)


def load(path, params=None, seed=0):
    """The model of a library compiled earlier (ndrc --emit=lib)."""
    return Model(Library(path), params, seed)


