"""The GPU benchmark's peers: PyTorch eager and torch.compile (Inductor's
Triton kernels) on the workloads of bench/gpu/workloads.ndr, rows 16384 x
hidden 4096, f32 and bf16, in the format of ndr-gpu-bench's rows.

Each output is checked before it is timed (W1, W4: 5 rows against float64;
W2, with PyTorch's own dropout RNG: every row's mean 0 and variance 1 after
the norm, the mask's drop rate 0.1). Times are the median of 7 trials of
ITERS calls between CUDA events; "x copy" divides by the bandwidth of a
device-to-device copy (x.copy_) of the inputs' bytes measured in this process.
Run by bench/gpu/run_device.sh:  python3 peers.py [ITERS]
"""
import sys

import torch
import torch.nn.functional as F

ROWS, HIDDEN = 16384, 4096
ITERS = int(sys.argv[1]) if len(sys.argv) > 1 else 50


def median_seconds(fn, iters=ITERS):
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    trials = []
    for _ in range(7):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(iters):
            fn()
        end.record()
        end.synchronize()
        trials.append(start.elapsed_time(end) / 1e3 / iters)
    return sorted(trials)[len(trials) // 2]


def copy_bandwidth(nbytes):
    src = torch.empty(nbytes, dtype=torch.uint8, device="cuda")
    dst = torch.empty_like(src)
    return 2.0 * nbytes / median_seconds(lambda: dst.copy_(src))


def row(workload, dtype, impl, seconds, nbytes, copy, note):
    print(f"| {workload:<40} | {dtype:<4} | {impl:<22} | {seconds * 1e3:9.3f} | "
          f"{nbytes / seconds / 1e9:8.0f} | {nbytes / seconds / copy:5.2f} | {note} |", flush=True)


def failed(workload, dtype, impl, why):
    print(f"| {workload:<40} | {dtype:<4} | {impl:<22} | FAILED: {why} |", flush=True)


def reference(s, layer, eps):
    s = s.double()
    d = s - s.mean(-1, keepdim=True) if layer else s
    return d / torch.sqrt((d * d).mean(-1, keepdim=True) + eps)


def main():
    if not torch.cuda.is_available():
        print("| PyTorch peers | - | - | no CUDA PyTorch here: skipped |")
        return
    torch.manual_seed(0)
    names = {"w1": "W1 LN(x + r)", "w2": "W2 LN(x + dropout(r)) train",
             "w4": "W4 RMSNorm(x + r)"}
    for w in ("w1", "w2", "w4"):
        for dt, dtype in (("f32", torch.float32), ("bf16", torch.bfloat16)):
            title = f"{names[w]} [{ROWS},{HIDDEN}]"
            x = torch.randn(ROWS, HIDDEN, device="cuda", dtype=dtype)
            r = torch.randn(ROWS, HIDDEN, device="cuda", dtype=dtype)
            g = torch.ones(HIDDEN, device="cuda", dtype=dtype)
            b = torch.zeros(HIDDEN, device="cuda", dtype=dtype)
            if w == "w1":
                def fn(x=x, r=r, g=g, b=b):
                    return F.layer_norm(x + r, (HIDDEN,), g, b, 1e-5)
            elif w == "w2":
                def fn(x=x, r=r, g=g, b=b):
                    return F.layer_norm(x + F.dropout(r, 0.1, training=True), (HIDDEN,), g, b, 1e-5)
            else:
                def fn(x=x, r=r, g=g):
                    return F.rms_norm(x + r, (HIDDEN,), g, 1e-6)
            nbytes = 3 * x.numel() * x.element_size()
            copy = copy_bandwidth(2 * x.numel() * x.element_size())
            tol = 1e-5 if dtype == torch.float32 else 2 ** -7
            for impl, f in (("PyTorch eager", fn), ("torch.compile", torch.compile(fn))):
                try:
                    y = f()
                    if w == "w2":
                        yd = y.double()
                        mean_ok = yd.mean(-1).abs().max().item() < 1e-2
                        var_ok = (yd.var(-1, unbiased=False) - 1).abs().max().item() < 2e-2
                        if not (mean_ok and var_ok):
                            failed(title, dt, impl, "rows not normalized")
                            continue
                        note = "checked: rows normalized (own RNG)"
                    else:
                        rows = [0, 1, 2, 63, ROWS - 1]
                        want = reference((x[rows] + r[rows]).float(), w == "w1",
                                         1e-5 if w == "w1" else 1e-6)
                        err = ((y[rows].double() - want).abs() / (1e-6 + tol * want.abs())).max().item()
                        if not err <= 1.0:
                            failed(title, dt, impl, f"worst {err:.3g} x tolerance")
                            continue
                        note = f"checked: 5 rows vs float64, worst {err:.3f} x tol"
                    row(title, dt, impl, median_seconds(f), nbytes, copy, note)
                except Exception as e:  # a peer that cannot run is a row, not a crash
                    failed(title, dt, impl, f"{type(e).__name__}: {str(e).splitlines()[0][:120]}")
    for dt, dtype in (("f32", torch.float32), ("bf16", torch.bfloat16)):
        x = torch.randn(ROWS, HIDDEN, device="cuda", dtype=dtype)
        wt = torch.randn(HIDDEN, HIDDEN, device="cuda", dtype=dtype) * 0.02
        torch.backends.cuda.matmul.allow_tf32 = False
        seconds = median_seconds(lambda: x @ wt.T, max(1, ITERS // 10))
        nbytes = 2 * x.numel() * x.element_size()
        row(f"linear [{ROWS},{HIDDEN}]x[{HIDDEN},{HIDDEN}]^T", dt, "PyTorch (cuBLAS)", seconds,
            nbytes, copy_bandwidth(x.numel() * x.element_size()),
            f"{2 * ROWS * HIDDEN * HIDDEN / seconds / 1e12:.0f} TFLOP/s")


if __name__ == "__main__":
    main()
