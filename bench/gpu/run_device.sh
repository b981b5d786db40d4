#!/usr/bin/env bash
# The CUDA target on a machine with an NVIDIA GPU, in one script (README,
# "The GPU target"):
#   1. the end-to-end golden tests (the CPU's golden data, tests/data/e2e) on
#      the GPU;
#   2. dropout masks bit for bit against the runtime's section-5 mask (which
#      the CPU backend's equals), train-mode outputs against float64;
#   3. W1 LN(x + r), W2 LN(x + dropout(r)) train, W4 RMSNorm(x + r) at rows
#      16384 x hidden 4096, f32 and bf16, and linear through cuBLAS, with
#      PyTorch eager and torch.compile in the same run: one table of median
#      ms, GB/s and the fraction of the device-to-device copy bandwidth
#      measured in the same process.
#
#   bench/gpu/run_device.sh [prepare|run]     (default: both)
#
# prepare needs the build (build/bin/ndrc; scripts/setup.sh makes it) but no
# GPU: it compiles every model with ndrc --target=cuda into build/gpu-device/
# (GPU architecture NDR_GPU_ARCH, default sm_90). run needs only that folder,
# the checkout's golden data, the NVIDIA driver and, for the peers, python3
# with CUDA PyTorch: so a machine without LLVM/MLIR (the lent GPU machines)
# runs what a build machine prepared. Under 6 minutes on an H200.
#
# NDR_GPU_EMULATE=1 rehearses everything on this CPU (the runtime's CUDA
# emulator, 32 x 1024 workloads, no peers) to check the script itself.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
dev=build/gpu-device
arch=${NDR_GPU_ARCH:-sm_90}
phase=${1:-all}
emulate=${NDR_GPU_EMULATE:-0}
start=$SECONDS

prepare() {
  local ndrc=build/bin/ndrc flags=(--target=cuda "--gpu-arch=$arch")
  if [[ ! -x $ndrc ]]; then
    scripts/setup.sh >&2
  fi
  ninja -C build -j "${NDR_JOBS:-2}" ndrc ndr-npycmp ndr-gpu-bench >&2
  rm -rf "$dev" && mkdir -p "$dev/bin" "$dev/lib"
  local rows=16384 hidden=4096
  if [[ $emulate == 1 ]]; then
    flags+=(--gpu-emulate)
    rows=32 hidden=1024
  fi
  for dt in f32 bf16; do
    sed "s/DT/$dt/g; s/16384, 4096/$rows, $hidden/g; s/\[4096\]/[$hidden]/g; s/4096, 4096/$hidden, $hidden/g" \
      bench/gpu/workloads.ndr > "$dev/workloads_$dt.ndr"
    for m in w1 w2 w4 mask lin; do
      "$ndrc" "$dev/workloads_$dt.ndr" --model=$m --mode=train "${flags[@]}" --emit=lib -o "$dev/lib/${m}_$dt"
    done
  done
  /usr/bin/python3 bench/gpu/prepare_e2e.py "$ndrc" "$dev" "${flags[@]:1}"
  cp build/bin/ndr-npycmp build/bench/gpu/ndr-gpu-bench "$dev/bin/"
  echo "prepared $dev ($(du -sh "$dev" | cut -f1)) in $((SECONDS - start)) s" >&2
}

run() {
  [[ -d $dev ]] || { echo "run_device.sh: no $dev: run 'bench/gpu/run_device.sh prepare' first" >&2; exit 1; }
  # cuBLAS: the toolkit's, or the one PyTorch's wheels bring.
  local cublas
  cublas=$(python3 -c 'import nvidia.cublas as c, os; print(os.path.join(c.__path__[0], "lib"))' 2>/dev/null || true)
  export LD_LIBRARY_PATH="/usr/local/cuda/lib64:${cublas}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  [[ $emulate == 1 ]] && export NDR_CUDA_EMULATE=1
  local tmp
  tmp=$(mktemp -d)
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || true

  echo "== 1. end-to-end golden tests on the GPU"
  local e2e=0
  ROOT=$root DEV=$dev TMP=$tmp bash "$dev/e2e.sh" > "$tmp/e2e.out" || e2e=1
  grep -v '^PASS ' "$tmp/e2e.out" || true

  echo
  echo "== 2-3. masks, train-mode outputs and speed (NDR: ndr-gpu-bench; peers: PyTorch $(python3 -c 'import torch; print(torch.__version__)' 2>/dev/null || echo 'n/a'))"
  echo
  local bench=0
  "$dev/bin/ndr-gpu-bench" "$dev/lib" "${NDR_GPU_ITERS:-50}" || bench=1
  if [[ $emulate != 1 ]]; then
    PYTHONUNBUFFERED=1 python3 bench/gpu/peers.py "${NDR_GPU_ITERS:-50}" 2>"$tmp/peers.err" ||
      { echo "peers failed:"; tail -5 "$tmp/peers.err"; }
  fi
  echo
  echo "run_device.sh: $((SECONDS - start)) s; e2e $([[ $e2e == 0 ]] && echo passed || echo FAILED), checks $([[ $bench == 0 ]] && echo passed || echo FAILED)"
  rm -rf "$tmp"
  [[ $e2e == 0 && $bench == 0 ]]
}

case $phase in
  prepare) prepare ;;
  run) run ;;
  all) prepare && run ;;
  *) echo "usage: $0 [prepare|run]" >&2; exit 1 ;;
esac
