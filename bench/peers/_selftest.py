#!/usr/bin/env python3
"""Self-test of the peers, independent of the benchmark framework.

    python3 bench/peers/_selftest.py [--peers torch_eager,ort] [--only W1,W6]
                                    [--threads 1,2] [--runs 5]

For each peer and thread count it starts one worker process (the venv's
python, OMP_NUM_THREADS set before anything is imported, as the framework
does). The worker makes the inputs itself, runs every runner the peer offers,
checks the output against a float64 NumPy reference written here (not the
framework's), and times `runs` runs after three warm-ups. The parent prints a
table: median ms per run at each thread count, and the largest error.

Not a peer: bench.py loads every bench/peers/*.py not starting with "_", so
this file answers available() with False.
"""

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
VENV_PYTHON = os.path.join(ROOT, "build", "bench-venv", "bin", "python")

try:
    import numpy as np
except ImportError:  # e.g. a python3 without NumPy: the venv's has it
    if __name__ == "__main__" and os.path.exists(VENV_PYTHON):
        os.execv(VENV_PYTHON, [VENV_PYTHON] + sys.argv)
    raise
PEERS = ["torch_eager", "torch_compile", "ort", "onednn"]


def available():
    return False, "_selftest.py is the peers' self-test, not a peer"


# The workloads, as the brief gives them. No 'kind' key: the peers then find
# the kind from the name, the other path through their _kind().
H = 768
WORKLOADS = {
    "W1": dict(inputs={"x": [16384, H], "r": [16384, H]}, params={"g": [H], "b": [H]},
               mode="infer", eps=1e-5),
    "W2": dict(inputs={"x": [16384, H], "r": [16384, H]}, params={"g": [H], "b": [H]},
               mode="train", eps=1e-5, p=0.1),
    "W3": dict(inputs={"x": [16384, H], "r": [16384, H]},
               params={"bias": [H], "g": [H], "b": [H]}, mode="infer", eps=1e-5),
    "W4": dict(inputs={"x": [4096, 4096], "r": [4096, 4096]}, params={"g": [4096]},
               mode="infer", eps=1e-6),
    "W5": dict(inputs={"x": [16384, H]},
               params={"mean": [H], "var": [H], "gamma": [H], "beta": [H]},
               mode="infer", eps=1e-5, axis=-1),
    "W5n": dict(inputs={"x": [16, H, 32, 32]},
                params={"mean": [H], "var": [H], "gamma": [H], "beta": [H]},
                mode="infer", eps=1e-5, axis=1),
    "W6": dict(inputs={"x": [16, 128, H]},
               params={"w1": [3072, H], "b1": [3072], "w2": [H, 3072], "b2": [H],
                       "g": [H], "b": [H]}, mode="infer", eps=1e-5),
}


def make_inputs(wl, seed=0):
    rng = np.random.default_rng(seed)
    a = {n: rng.standard_normal(s, dtype=np.float32) for n, s in wl["inputs"].items()}
    for n, s in wl["params"].items():
        if n in ("g", "gamma"):
            v = 1.0 + 0.1 * rng.standard_normal(s)
        elif n == "var":
            v = rng.uniform(0.5, 2.0, s)
        elif n in ("w1", "w2"):
            v = rng.standard_normal(s) / math.sqrt(s[1])  # fan-in scaling
        else:
            v = 0.1 * rng.standard_normal(s)
        a[n] = v.astype(np.float32)
    return a


# ---- float64 references ---------------------------------------------------

def _ln(s, g, b, eps):
    mu = s.mean(-1, keepdims=True)
    var = ((s - mu) ** 2).mean(-1, keepdims=True)
    return (s - mu) / np.sqrt(var + eps) * g + b


_erf = np.vectorize(math.erf, otypes=[np.float64])  # exact, slow (~1 s for W6): fine here


def reference(name, wl, arrays, keep=None):
    a = {k: v.astype(np.float64) for k, v in arrays.items()}
    eps = wl["eps"]
    if name == "W1":
        return _ln(a["x"] + a["r"], a["g"], a["b"], eps)
    if name == "W2":
        return _ln(a["x"] + a["r"] * keep / (1.0 - wl["p"]), a["g"], a["b"], eps)
    if name == "W3":
        return _ln(a["x"] + a["r"] + a["bias"], a["g"], a["b"], eps)
    if name == "W4":
        s = a["x"] + a["r"]
        return s / np.sqrt((s * s).mean(-1, keepdims=True) + eps) * a["g"]
    if name in ("W5", "W5n"):
        shape = [1] * a["x"].ndim
        shape[wl["axis"]] = -1
        c = {k: a[k].reshape(shape) for k in ("mean", "var", "gamma", "beta")}
        return (a["x"] - c["mean"]) / np.sqrt(c["var"] + eps) * c["gamma"] + c["beta"]
    if name == "W6":
        x = a["x"].reshape(-1, a["x"].shape[-1])
        h = x @ a["w1"].T + a["b1"]
        h = 0.5 * h * (1.0 + _erf(h / math.sqrt(2.0)))
        o = h @ a["w2"].T + a["b2"]
        return _ln(x + o, a["g"], a["b"], eps).reshape(a["x"].shape)
    raise KeyError(name)


def check(ref, out):
    """(ok, max abs error): within 1e-5 + 1e-4 |ref| everywhere, as the framework asks."""
    out = np.asarray(out, dtype=np.float64).reshape(ref.shape)
    err = np.abs(out - ref)
    if not np.all(np.isfinite(err)):
        return False, float("inf")
    return bool(np.all(err <= 1e-5 + 1e-4 * np.abs(ref))), float(err.max())


# ---- worker: one peer at one thread count -----------------------------------

def worker(peer_name, threads, only, runs):
    sys.path.insert(0, HERE)
    peer = __import__(peer_name)
    ok, why = peer.available()
    if not ok:
        print(json.dumps({"peer": peer_name, "threads": threads, "note": why}), flush=True)
        return
    for name in only:
        wl = WORKLOADS[name]
        arrays = make_inputs(wl)
        t0 = time.perf_counter()
        try:
            runners = peer.runners(name, wl, arrays, threads)
        except Exception as e:
            print(json.dumps({"peer": peer_name, "threads": threads, "workload": name,
                              "impl": "-", "error": "%s: %s" % (type(e).__name__, e)}),
                  flush=True)
            continue
        setup_s = time.perf_counter() - t0
        ref = None
        for impl, (fn, get_output) in runners.items():
            row = {"peer": peer_name, "threads": threads, "workload": name, "impl": impl,
                   "setup_s": round(setup_s, 2)}
            try:
                for _ in range(3):  # warm-up: page faults, thread pools, lazy initialisation
                    fn()
                times = []
                for _ in range(runs):
                    t = time.perf_counter()
                    fn()
                    times.append(time.perf_counter() - t)
                out = get_output()
                if isinstance(out, tuple):  # W2: (y, the peer's own keep mask)
                    out, keep = out
                    row["keep_rate"] = float(np.mean(keep))
                    row["ok"], row["max_err"] = check(reference(name, wl, arrays, keep), out)
                    row["ok"] = row["ok"] and abs(row["keep_rate"] - (1 - wl["p"])) < 0.01
                else:
                    if ref is None:
                        ref = reference(name, wl, arrays)
                    row["ok"], row["max_err"] = check(ref, out)
                row["median_ms"] = 1e3 * statistics.median(times)
                row["min_ms"] = 1e3 * min(times)
            except Exception as e:
                row["error"] = "%s: %s" % (type(e).__name__, str(e).splitlines()[0][:200])
            print(json.dumps(row), flush=True)
        del runners


# ---- parent ----------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--peers", default=",".join(PEERS))
    ap.add_argument("--only", default=",".join(WORKLOADS))
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--worker", nargs=2, metavar=("PEER", "THREADS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    only = args.only.split(",")
    if args.worker:
        worker(args.worker[0], int(args.worker[1]), only, args.runs)
        return 0

    python = VENV_PYTHON if os.path.exists(VENV_PYTHON) else sys.executable
    rows, notes = [], []
    # Other work on this 2-core machine skews the times: say how busy it was.
    load_before = os.getloadavg()[0]
    for peer in args.peers.split(","):
        for threads in [int(t) for t in args.threads.split(",")]:
            env = dict(os.environ)
            for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
                env[var] = str(threads)
            sys.stderr.write("selftest: %s, %d thread(s)\n" % (peer, threads))
            proc = subprocess.run([python, os.path.abspath(__file__), "--worker", peer,
                                   str(threads), "--only", args.only, "--runs", str(args.runs)],
                                  env=env, capture_output=True, text=True)
            for line in proc.stdout.splitlines():
                if line.startswith("{"):
                    r = json.loads(line)
                    (notes if "note" in r else rows).append(r)
            if proc.returncode != 0:
                tail = proc.stderr.strip().splitlines()[-1:] or ["?"]
                notes.append({"peer": peer, "threads": threads,
                              "note": "worker exit %d: %s" % (proc.returncode, tail[0][:200])})

    # One line per (workload, peer, impl): times at each thread count, worst error.
    table = {}
    for r in rows:
        key = (r["workload"], r["peer"], r["impl"])
        table.setdefault(key, {})[r["threads"]] = r
    threads = sorted({r["threads"] for r in rows})
    head = "%-4s %-14s %-22s" % ("wl", "peer", "impl") + "".join(
        " %10s" % ("T=%d ms" % t) for t in threads) + "  %-9s %s" % ("max_err", "ok")
    print("load average (1 min): %.2f before, %.2f after" % (load_before, os.getloadavg()[0]))
    print(head)
    print("-" * len(head))
    failures = 0
    for (wl, peer, impl) in sorted(table, key=lambda k: (list(WORKLOADS).index(k[0]), k[1])):
        by_t = table[(wl, peer, impl)]
        cells, errs, oks = "", [], []
        for t in threads:
            r = by_t.get(t)
            if r is None or "error" in r:
                cells += " %10s" % ("ERROR" if r else "-")
                oks.append(False if r else True)
                continue
            cells += " %10.2f" % r["median_ms"]
            errs.append(r["max_err"])
            oks.append(r["ok"])
        ok = all(oks)
        failures += not ok
        print("%-4s %-14s %-22s%s  %-9s %s" % (wl, peer, impl, cells,
                                              "%.2e" % max(errs) if errs else "-",
                                              "ok" if ok else "FAIL"))
    for r in rows:
        if "error" in r:
            print("error: %s %s %s T=%d: %s" % (r["workload"], r["peer"], r["impl"],
                                                r["threads"], r["error"]))
    for n in notes:
        print("note: %s T=%d: %s" % (n["peer"], n["threads"], n["note"]))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
