#!/usr/bin/env python3
"""NDR's benchmark: every workload of workloads.py, for 1 and 2 threads, timed
against a roof kernel run alternately in the same process; one table.

    bench/bench.py                      # all groups, T = 1 and 2, print the table
    bench/bench.py --worker GROUP --threads T --json OUT

GROUP is `ndr`, `ndr+torch`, `hand`, or a peer module bench/peers/NAME.py. Each
(group, threads) runs in its own process because thread counts must be set in
the environment before an OpenMP runtime or BLAS loads. bench/run.sh builds
what this needs (the ndrc libraries, hand.so, roof.so) first.

Environment: BENCH_ITERS (default 20), BENCH_ONLY=W1,W4 (a subset of the
workloads), BENCH_GROUPS=ndr,hand (a subset of the groups), BENCH_BUILD (the
folder with the built libraries, default build/bench).
"""

import argparse
import ctypes
import datetime
import glob
import importlib.util
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCH_DIR)

import harness  # noqa: E402
import workloads  # noqa: E402
from harness import BUILD, ROOT, aligned_copy, aligned_empty  # noqa: E402

# Groups built here; they share NDR's OpenMP runtime (libomp) and its roof.
CORE_GROUPS = ["ndr", "ndr+torch", "hand"]
PEERS_DIR = os.path.join(BENCH_DIR, "peers")
VENV_PYTHON = os.path.join(ROOT, "build", "bench-venv", "bin", "python3")
SYSTEM_PYTHON = "/usr/bin/python3"
# Timed seconds per row at most: fewer pairs for slow rows (W6, slow peers).
ROW_SECONDS = float(os.environ.get("BENCH_ROW_SECONDS", "6"))


def log(msg):
    print(msg, file=sys.stderr, flush=True)


#===------------------------------------------------------------------------===#
# Runners: impl name -> (fn, get_output) for one workload
#===------------------------------------------------------------------------===#

def ndr_runners(wl_name, wl, arrays, threads, impl="ndr"):
    """The ndrc-compiled library of the workload, called through its C API."""
    model, base = wl["model"], os.path.join(BUILD, wl["model"])
    header = open(base + ".h").read()
    # int NAME_run(const NAME_model *model, const float *x, ..., float *y, uint64_t seed);
    sig = re.search(r"int\s+%s_run\(([^)]*)\)" % model, header)
    if not sig:
        raise RuntimeError("no %s_run in %s.h" % (model, base))
    lib = ctypes.CDLL(base + ".so")
    create = getattr(lib, model + "_create")
    create.restype, create.argtypes = ctypes.c_void_p, [ctypes.c_char_p, ctypes.c_uint64]
    last_error = getattr(lib, model + "_last_error")
    last_error.restype = ctypes.c_char_p

    params_path = os.path.join(BUILD, "params", wl_name + ".safetensors")
    os.makedirs(os.path.dirname(params_path), exist_ok=True)
    harness.write_safetensors(params_path, {k: arrays[k] for k in wl["params"]})
    handle = create(params_path.encode(), 0)
    if not handle:
        raise RuntimeError("%s_create: %s" % (model, last_error().decode()))

    out = aligned_empty(wl["output_shape"])
    args = []
    for decl in [a.strip() for a in sig.group(1).split(",")][1:]:  # after the model
        name = decl.split()[-1].lstrip("*")
        if decl.startswith("uint64_t"):
            args.append(ctypes.c_uint64(wl.get("seed", 0)))
        elif decl.startswith("const"):
            args.append(ctypes.c_void_p(arrays[name].ctypes.data))
        elif name == wl["output"]:
            args.append(ctypes.c_void_p(out.ctypes.data))
        else:
            raise RuntimeError("unexpected argument %r of %s_run" % (decl, model))
    run = getattr(lib, model + "_run")
    run.restype = ctypes.c_int

    def fn():
        if run(ctypes.c_void_p(handle), *args):
            raise RuntimeError("%s_run: %s" % (model, last_error().decode()))

    fn.output = out  # args hold only its address: fn alone must keep it alive
    return {impl: (fn, lambda: out)}


def ndr_torch_runners(wl_name, wl, arrays, threads):
    """NDR's libraries in a process that has loaded PyTorch (libgomp) and run
    one op on its threads first: does NDR's libomp suffer beside it?"""
    return ndr_runners(wl_name, wl, arrays, threads, impl="ndr+torch")


def start_torch(threads):
    import torch
    torch.set_num_threads(threads)
    a = torch.randn(1 << 22)
    (a * 2.0 + 1.0).sum().item()  # big enough to run on every OpenMP thread
    return "torch %s" % torch.__version__


_HAND = None


def hand_lib():
    global _HAND
    if _HAND is None:
        lib = ctypes.CDLL(os.path.join(BUILD, "hand.so"))
        P, L, F = ctypes.c_void_p, ctypes.c_long, ctypes.c_float
        lib.hand_add_ln.argtypes = [P] * 6 + [L, L, F]
        lib.hand_add_dropout_ln.argtypes = [P] * 5 + [L, L, F, F, ctypes.c_uint64, ctypes.c_uint32]
        lib.hand_add_rms.argtypes = [P] * 4 + [L, L, F]
        lib.hand_batch_norm.argtypes = [P] * 6 + [L, L, L, F]
        lib.hand_batch_norm_train.argtypes = [P] * 6 + [L, L, L, F, F]
        _HAND = lib
    return _HAND


def hand_runners(wl_name, wl, arrays, threads):
    """The hand-written fused C++ kernels (bench/hand/hand_kernels.cpp)."""
    lib, kind, eps = hand_lib(), wl["kind"], wl["eps"]
    a = {k: v.ctypes.data for k, v in arrays.items()}
    out = aligned_empty(wl["output_shape"])
    y = out.ctypes.data
    if kind in ("add_ln", "add_bias_ln"):
        rows, cols = wl["inputs"]["x"]
        call = lambda: lib.hand_add_ln(a["x"], a["r"], a.get("bias"), a["gamma"], a["beta"], y,
                                       rows, cols, eps)
    elif kind == "add_dropout_ln":
        rows, cols = wl["inputs"]["x"]
        call = lambda: lib.hand_add_dropout_ln(a["x"], a["r"], a["gamma"], a["beta"], y, rows, cols,
                                               eps, wl["p"], wl["seed"], wl["stream"])
    elif kind == "add_rms":
        rows, cols = wl["inputs"]["x"]
        call = lambda: lib.hand_add_rms(a["x"], a["r"], a["gamma"], y, rows, cols, eps)
    elif kind in ("bn", "bn_train"):
        shape = wl["inputs"]["x"]
        axis = wl["axis"] % len(shape)
        outer = int(workloads.np.prod(shape[:axis]))
        inner = int(workloads.np.prod(shape[axis + 1:]))
        if kind == "bn":
            call = lambda: lib.hand_batch_norm(a["x"], a["mean"], a["var"], a["gamma"],
                                               a["beta"], y, outer, shape[axis], inner, eps)
        else:
            # The running statistics are updated in place: copies of them.
            stats = {k: arrays[k].copy() for k in ("mean", "var")}
            call = lambda: lib.hand_batch_norm_train(a["x"], stats["mean"].ctypes.data,
                                                     stats["var"].ctypes.data, a["gamma"],
                                                     a["beta"], y, outer, shape[axis], inner,
                                                     eps, 0.1)
    else:
        return {}  # W6: the GEMM comparison is the figure of merit, no hand kernel

    def fn():
        if call():
            raise RuntimeError("hand kernel rejected the shape")

    fn.output = out  # as in ndr_runners
    return {"hand C++": (fn, lambda: out)}


def load_peer(name):
    spec = importlib.util.spec_from_file_location("peers." + name,
                                                  os.path.join(PEERS_DIR, name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def peer_names():
    """Modules of bench/peers/ that define available() and runners() (read as
    text: importing them here would load their libraries before the workers
    set the thread counts)."""
    names = []
    for path in sorted(glob.glob(os.path.join(PEERS_DIR, "*.py"))):
        text = open(path).read()
        if (not os.path.basename(path).startswith("_") and re.search(r"^def available\(", text, re.M)
                and re.search(r"^def runners\(", text, re.M)):
            names.append(os.path.basename(path)[:-3])
    return names


#===------------------------------------------------------------------------===#
# Worker: one group at one thread count, results as JSON
#===------------------------------------------------------------------------===#

def selected_workloads():
    only = os.environ.get("BENCH_ONLY")
    names = only.split(",") if only else list(workloads.WORKLOADS)
    return [(n, workloads.WORKLOADS[n]) for n in names]


def failure(e):
    """An exception as one short line for the table."""
    text = str(e).strip().splitlines()
    return "%s: %s" % (type(e).__name__, text[0][:120] if text else "")


def measure(wl_name, wl, arrays, impl, runner, roof_fn, ref_cache):
    """Checks one implementation's output, then times it against the roof."""
    fn, get_output = runner[0], runner[1]
    row = {"workload": wl_name, "impl": impl}
    try:
        fn()
        out, keep = get_output(), None
        if isinstance(out, tuple):  # W2 peers: (y, keep mask of their own RNG)
            out, keep = out
        if len(runner) > 2:  # or a third callable giving the keep mask
            keep = runner[2]()
        if keep is not None:
            ok, err = workloads.check(wl, out, arrays, mask=keep)
        else:
            if "ref" not in ref_cache:
                ref_cache["ref"] = workloads.reference(wl, arrays)
            ok, err = workloads.check(wl, out, arrays, ref=ref_cache["ref"])
        row["max_err"] = err
        if not ok:
            row["failed"] = "wrong output, max abs err %.3g" % err
            return row
        row["seconds"], row["roof_seconds"] = harness.time_pair(fn, roof_fn,
                                                                max_seconds=ROW_SECONDS)
    except Exception as e:  # a broken implementation is a row, not the end of the run
        row["failed"] = failure(e)
    return row


def worker(group, threads, json_out):
    result = {"group": group, "threads": threads, "rows": [], "notes": []}
    if group in CORE_GROUPS:
        factory = {"ndr": ndr_runners, "ndr+torch": ndr_torch_runners, "hand": hand_runners}[group]
        roof_lib = "roof.so"
        if group == "ndr+torch":
            try:
                start_torch(threads)
            except Exception as e:
                result["notes"].append("ndr+torch skipped: torch unavailable (%s)" % e)
                factory = None
    else:
        peer = load_peer(group)
        ok, why = peer.available()
        factory = peer.runners if ok else None
        if not ok:
            result["notes"].append("peer %s skipped: %s" % (group, why))
        roof_lib = "roof_gomp.so"  # libgomp, as PyTorch and most peers use

    if factory:
        roof = harness.Roof(os.path.join(BUILD, roof_lib), threads)
        gemms = None
        for wl_name, wl in selected_workloads():
            arrays = {k: aligned_copy(v) for k, v in workloads.make_inputs(wl).items()}
            try:
                runners = factory(wl_name, wl, arrays, threads) or {}
            except Exception as e:
                result["rows"].append({"workload": wl_name, "impl": group, "threads": threads,
                                       "failed": failure(e)})
                continue
            if "gemms" in wl:
                gemms = gemms or harness.Gemms()
                roof_fn = gemms.for_workload(wl, arrays)
            else:
                roof_fn = roof.for_workload(wl, arrays)
            ref_cache = {}
            for impl, runner in runners.items():
                if group not in CORE_GROUPS and not impl.startswith(group):
                    impl = "%s: %s" % (group, impl)  # which peer, in the table
                row = measure(wl_name, wl, arrays, impl, runner, roof_fn, ref_cache)
                row["threads"] = threads
                result["rows"].append(row)
                log("  [%s T=%d] %-4s %-18s %s" % (group, threads, wl_name, impl,
                    "%.3f ms (roof %.3f)" % (1e3 * row["seconds"], 1e3 * row["roof_seconds"])
                    if "seconds" in row else "FAILED " + row["failed"]))
            del runners, arrays, roof_fn
    with open(json_out, "w") as f:
        json.dump(result, f)


#===------------------------------------------------------------------------===#
# Parent: run the workers, print the table
#===------------------------------------------------------------------------===#

def run_worker(group, threads):
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    python = SYSTEM_PYTHON
    if group not in CORE_GROUPS and os.path.exists(VENV_PYTHON):
        python = VENV_PYTHON  # the peers' own torch / onnxruntime
    fd, path = tempfile.mkstemp(suffix=".json")
    os.close(fd)
    cmd = [python, os.path.abspath(__file__), "--worker", group, "--threads", str(threads),
           "--json", path]
    log("worker %s, %d thread%s" % (group, threads, "s" if threads > 1 else ""))
    try:
        proc = subprocess.run(cmd, env=env, stdout=sys.stderr, stderr=subprocess.PIPE, text=True,
                              timeout=900)
        sys.stderr.write(proc.stderr)
        if proc.returncode != 0:
            tail = (proc.stderr.strip().splitlines() or ["?"])[-1]
            return {"rows": [], "notes": ["worker %s T=%d failed (exit %d): %s"
                                          % (group, threads, proc.returncode, tail[:160])]}
        with open(path) as f:
            return json.load(f)
    except subprocess.TimeoutExpired:
        return {"rows": [], "notes": ["worker %s T=%d timed out" % (group, threads)]}
    finally:
        os.unlink(path)


def machine():
    model = platform.processor() or "?"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        info = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
        model = info.get("Model name", model).strip()
        cores = "%s CPUs, %s thread(s) per core" % (info.get("CPU(s)", "?").strip(),
                                                    info.get("Thread(s) per core", "?").strip())
        l3 = info.get("L3 cache", "").strip()
        return "%s, %s%s" % (model, cores, ", L3 " + l3 if l3 else "")
    except OSError:
        return "%s, %d CPUs" % (model, os.cpu_count())


def compiler_version():
    if os.environ.get("BENCH_NDRC"):  # run.sh says which ndrc built the libraries
        return os.environ["BENCH_NDRC"]
    try:
        head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", ROOT, "diff-index", "--quiet", "HEAD", "--"],
                               capture_output=True).returncode != 0
        return "build/bin/ndrc, tree at %s%s" % (head, " with uncommitted changes" if dirty else "")
    except OSError:
        return "?"


def format_table(results, groups):
    wl_order = [n for n, _ in selected_workloads()]
    impl_rank = {"ndr": 1, "ndr+torch": 2, "hand C++": 3}
    lines = []
    header = ["workload", "threads", "impl", "median ms", "GB/s", "x roof", "roof ms (pair)", "note"]
    table = []
    by_key = {}
    for res in results:
        for row in res.get("rows", []):
            by_key.setdefault((row["workload"], row["threads"]), []).append(row)
    for wl_name in wl_order:
        wl = workloads.WORKLOADS[wl_name]
        gemm = "gemms" in wl
        for threads in (1, 2):
            rows = by_key.get((wl_name, threads), [])
            if not rows:
                continue
            roofs = [r["roof_seconds"] for r in rows if "roof_seconds" in r]
            label = "%s %s" % (wl_name, wl["desc"])
            if roofs:
                t = statistics.median(roofs)
                note = "median over the %d pairs below" % len(roofs)
                if gemm:
                    note += "; %.0f GFLOP/s" % (wl["flops"] / t / 1e9)
                table.append([label, str(threads), "gemms (oneDNN sgemm)" if gemm else "roof",
                              "%.3f" % (1e3 * t), "%.1f" % (wl["bytes"] / t / 1e9), "1.00", "",
                              note])
            rows.sort(key=lambda r: (impl_rank.get(r["impl"], 9), r["impl"]))
            for r in rows:
                if "failed" in r:
                    table.append([label, str(threads), r["impl"], "FAILED", "-", "-", "-",
                                  r["failed"]])
                    continue
                t, tr = r["seconds"], r["roof_seconds"]
                note = ""
                if gemm:  # the figure of merit: time beyond the GEMMs, relative to them
                    note = "(total-gemms)/gemms = %.2f" % ((t - tr) / tr)
                table.append([label, str(threads), r["impl"], "%.3f" % (1e3 * t),
                              "%.1f" % (wl["bytes"] / t / 1e9), "%.2f" % (tr / t),
                              "%.3f" % (1e3 * tr), note])
    widths = [max(len(h), *(len(row[i]) for row in table)) if table else len(h)
              for i, h in enumerate(header)]
    fmt = lambda cells: "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"
    lines.append(fmt(header))
    lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    lines.extend(fmt(row) for row in table)
    return "\n".join(lines)


def main():
    start = time.time()
    load_start = os.getloadavg()[0]
    groups = list(CORE_GROUPS)
    notes = []
    peers = peer_names()
    if not peers:
        notes.append("no peers in bench/peers/: peer rows skipped")
    groups += peers
    if os.environ.get("BENCH_GROUPS"):
        groups = [g for g in os.environ["BENCH_GROUPS"].split(",") if g in groups]
    results = []
    for threads in (1, 2):
        for group in groups:
            res = run_worker(group, threads)
            results.append(res)
            for note in res.get("notes", []):
                if note not in notes:
                    notes.append(note)
    print("NDR benchmark, %s" % datetime.datetime.now().strftime("%Y-%m-%d %H:%M"))
    print("machine: %s; load average %.1f just before the run (other work on these cores "
          "makes the times noisier)" % (machine(), load_start))
    print("ndr: %s; iterations: %d per pair; x roof = roof time / impl time, "
          "both timed alternately in one process (W6: the two GEMMs alone)"
          % (compiler_version(), harness.iterations()))
    print()
    print(format_table(results, groups))
    if notes:
        print()
        for note in notes:
            print("note: " + note)
    print("\n(%.0f s)" % (time.time() - start))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--worker", metavar="GROUP")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", metavar="OUT")
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.threads, args.json)
    else:
        main()
