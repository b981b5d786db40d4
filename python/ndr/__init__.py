"""NDR from Python: compile models, call them on numpy arrays and PyTorch
tensors, and import PyTorch modules.

    import ndr
    model = ndr.compile("examples/rms_norm_block.ndr")
    y = model(x=x)["y"]

    source, params = ndr.from_torch(module.eval(), (x,))
    model = ndr.compile(source, params=params)
"""
from .compiler import cache_dir, compile, find_ndrc
from .errors import CompileError, NdrError, UnsupportedError
from .model import Model, load
from .native import TensorSpec


def from_torch(module, example_inputs, mode=None, name=None):
    """See ndr.torch_import.from_torch (imported on first use: PyTorch is
    optional for the rest of the package)."""
    from .torch_import import from_torch as impl
    return impl(module, example_inputs, mode=mode, name=name)


def dropout_mask(model, shape, p, seed=0, stream=0):
    """The keep mask (bool array of `shape`) of a dropout with stream `stream`
    and probability `p` for `seed` (DESIGN.md section 5), computed by the
    runtime in `model`'s library: what a train-mode run draws."""
    return model._lib.dropout_mask(seed, stream, tuple(shape), p)


__all__ = ["compile", "load", "from_torch", "Model", "TensorSpec", "NdrError",
           "CompileError", "UnsupportedError", "cache_dir", "find_ndrc",
           "dropout_mask"]
