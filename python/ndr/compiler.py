"""ndr.compile: ndrc --emit=lib into a cache, keyed by what decides the output."""
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .errors import CompileError, NdrError
from .model import Model

MODES = ("infer", "train")
TARGETS = ("cpu", "cuda")


def find_ndrc():
    """The ndrc to run: $NDRC, else `ndrc` on PATH, else the one in the
    environment's bin/ (build/venv links it there), else the build tree's
    (build/bin/ndrc beside this package's python/ folder)."""
    if os.environ.get("NDRC"):
        return os.environ["NDRC"]
    on_path = shutil.which("ndrc")
    if on_path:
        return on_path
    for built in (Path(sys.prefix) / "bin" / "ndrc",
                  Path(__file__).resolve().parents[2] / "build" / "bin" / "ndrc"):
        if built.is_file():
            return str(built)
    raise NdrError("cannot find ndrc: set NDRC to its path or put it on PATH")


def cache_dir():
    """$NDR_CACHE_DIR, else $XDG_CACHE_HOME/ndr, else ~/.cache/ndr."""
    if os.environ.get("NDR_CACHE_DIR"):
        return Path(os.environ["NDR_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "ndr"


def _source_of(path_or_source):
    """(text, suffix, path or None): a path of an existing .ndr or .mlir file,
    else .ndr source text."""
    if isinstance(path_or_source, os.PathLike) or (
            isinstance(path_or_source, str) and "\n" not in path_or_source
            and path_or_source.endswith((".ndr", ".mlir"))):
        path = Path(path_or_source)
        try:
            return path.read_text(), path.suffix, path
        except OSError as e:
            raise NdrError(f"cannot read '{path}': {e.strerror}", 1) from None
    if not isinstance(path_or_source, str):
        raise NdrError("expected a path or .ndr source text, got "
                       f"{type(path_or_source).__name__}")
    return path_or_source, ".ndr", None


def compile(path_or_source, mode="infer", target="cpu", model=None, params=None,
            seed=0, ndrc=None, gpu_arch=None, gpu_emulate=False):
    """Compiles a model (a .ndr or .mlir path, or .ndr source text) with
    `ndrc --emit=lib` and loads it. The library is cached under cache_dir():
    a second call with the same source, options and compiler compiles
    nothing. `model` picks one of several models in the file; `params` and
    `seed` are as for Model. With target="cuda", `gpu_arch` is ndrc's
    --gpu-arch (default sm_90) and `gpu_emulate` its --gpu-emulate (kernels
    for this CPU, run with NDR_CUDA_EMULATE=1 in the environment).
    CompileError carries ndrc's messages."""
    if mode not in MODES:
        raise NdrError(f"mode: expected one of {', '.join(MODES)}, got {mode!r}")
    if target not in TARGETS:
        raise NdrError(f"target: expected one of {', '.join(TARGETS)}, got {target!r}")
    flags = []
    if target == "cuda":
        if gpu_arch:
            flags.append(f"--gpu-arch={gpu_arch}")
        if gpu_emulate:
            flags.append("--gpu-emulate")
    elif gpu_arch or gpu_emulate:
        raise NdrError("gpu_arch and gpu_emulate are for target='cuda'")
    text, suffix, path = _source_of(path_or_source)
    ndrc = ndrc or find_ndrc()
    try:
        info = os.stat(ndrc)
    except OSError as e:
        raise NdrError(f"cannot run ndrc '{ndrc}': {e.strerror}") from None
    key = hashlib.sha256("\0".join([
        text, suffix, mode, target, model or "", " ".join(flags), os.path.realpath(ndrc),
        str(info.st_size), str(info.st_mtime_ns)]).encode()).hexdigest()[:24]
    entry = cache_dir() / key
    library = entry / "model.so"
    if not library.is_file():
        _compile_into(entry, text, suffix, path, mode, target, model, ndrc, flags)
    return Model(library, params, seed)


def _compile_into(entry, text, suffix, path, mode, target, model, ndrc, flags):
    entry.parent.mkdir(parents=True, exist_ok=True)
    # Compile in a private folder and rename it into place, so concurrent
    # compiles of one model never see half a library.
    work = Path(tempfile.mkdtemp(prefix=entry.name + ".", dir=entry.parent))
    try:
        if path is None:
            path = work / ("model" + suffix)
            path.write_text(text)
        args = [ndrc, str(path), f"--mode={mode}", f"--target={target}",
                "--emit=lib", "-o", str(work / "model")] + flags
        if model:
            args.append(f"--model={model}")
        done = subprocess.run(args, capture_output=True, text=True)
        if done.returncode != 0:
            raise CompileError((done.stderr or done.stdout).rstrip() or
                               f"ndrc exited with {done.returncode}", done.returncode)
        try:
            work.rename(entry)
        except OSError:
            if not (entry / "model.so").is_file():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
