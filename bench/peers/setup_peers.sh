#!/usr/bin/env bash
# Sets up what the peers in bench/peers/ need. Idempotent: a second run checks
# and returns in a second or two. Every part is tried; the exit status is 1 if
# any failed (the peers' available() then says which one is missing).
#
#   1. libdnnl-dev (Debian's oneDNN 2.6) and python3-venv, by apt-get.
#   2. A virtual environment, build/bench-venv, with torch, onnxruntime, onnx,
#      numpy from PyPI.
#   3. bench/peers/onednn_kernels.cpp built to build/bench-peers/onednn_kernels.so.
#
# torch: PyPI has no CPU-only Linux wheel (that one lives on PyTorch's own
# index, which this machine cannot reach). The PyPI wheel is the CUDA build,
# and even its CPU library links the CUDA runtime: libtorch_cpu.so needs
# libcudart and libcupti, libtorch_python.so needs libtorch_cuda.so, which
# needs cuBLAS, cuDNN, cuFFT, cuSPARSE(Lt), cuSOLVER, NCCL, NVSHMEM, cuFile,
# NVRTC. So `import torch` fails without those libraries. We install torch
# with --no-deps, then exactly those NVIDIA library wheels, and skip what a
# CPU run never loads: triton (GPU kernels only), cuda-bindings,
# cuda-toolkit's headers. About 2.8 GB to download, 4.5 GB on disk.
#
# Environment: NDR_BENCH_VENV (default build/bench-venv), PYTHON (the base
# interpreter, default Debian's /usr/bin/python3).

set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VENV=${NDR_BENCH_VENV:-$ROOT/build/bench-venv}
PYTHON=${PYTHON:-/usr/bin/python3}
OUT=$ROOT/build/bench-peers

# Pinned so that every machine benchmarks the same peers. The NVIDIA wheels
# are the versions torch 2.15.0 asks for (its CUDA 13 build).
TORCH=torch==2.15.0
NVIDIA_LIBS=(
  nvidia-cuda-runtime==13.2.86 nvidia-cuda-cupti==13.2.86 nvidia-cuda-nvrtc==13.2.86
  nvidia-cublas==13.4.1.3 nvidia-cufft==12.2.0.57 nvidia-cusolver==12.2.0.11
  nvidia-cusparse==12.7.10.12 nvidia-nvjitlink==13.5.37 nvidia-cufile==1.17.1.22
  nvidia-cudnn-cu13==9.26.0.51 nvidia-cusparselt-cu13==0.8.1 nvidia-nccl-cu13==2.30.7
  nvidia-nvshmem-cu13==3.7.2
)
# torch's own pure-Python dependencies, and the other peers' packages.
PY_DEPS=(filelock "typing-extensions>=4.13.0" "setuptools>=77.0.3" "sympy>=1.13.3"
         "networkx>=2.5.1" jinja2 "fsspec>=0.8.5" mpmath markupsafe
         numpy onnx==1.23.2 onnxruntime==1.32.0)
STAMP="$VENV/.ndr-peers-$(echo "$TORCH ${NVIDIA_LIBS[*]} ${PY_DEPS[*]}" | md5sum | cut -c1-12)"

say() { echo "setup_peers: $*" >&2; }
failed=()

# 1. Debian packages.
apt_part() {
  local missing=()
  for pkg in libdnnl-dev python3-venv; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  local sudo=""
  [[ $(id -u) -ne 0 ]] && sudo=sudo
  say "apt-get install ${missing[*]}"
  # Wait for a concurrent apt/dpkg (another session's setup) instead of failing.
  $sudo apt-get -o DPkg::Lock::Timeout=300 update -qq &&
    DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=300 install -y -qq "${missing[@]}"
}

# 2. The venv.
venv_part() {
  if [[ -f "$STAMP" ]] && "$VENV/bin/python" -c "import torch, onnxruntime, onnx, numpy" 2>/dev/null; then
    return 0
  fi
  [[ -x "$VENV/bin/python" ]] || "$PYTHON" -m venv "$VENV" || return 1
  local pip=("$VENV/bin/python" -m pip install -q --disable-pip-version-check)
  say "installing $TORCH (CPU use of the CUDA wheel) and the peers' packages into $VENV"
  "${pip[@]}" --no-deps "$TORCH" "${NVIDIA_LIBS[@]}" || return 1
  # pip then reports torch's CUDA requirements (triton, cuda-bindings,
  # cuda-toolkit) as not installed: expected, see the top of this file.
  "${pip[@]}" "${PY_DEPS[@]}" || return 1
  "$VENV/bin/python" -c "import torch, onnxruntime, onnx, numpy" || return 1
  rm -f "$VENV"/.ndr-peers-* && touch "$STAMP"
}

# 3. The oneDNN peer's kernels.
onednn_part() {
  local src=$ROOT/bench/peers/onednn_kernels.cpp so=$OUT/onednn_kernels.so
  [[ -f "$so" && "$so" -nt "$src" ]] && return 0
  mkdir -p "$OUT"
  say "building $so"
  g++ -O2 -std=c++17 -fPIC -shared -fopenmp "$src" -o "$so" -ldnnl
}

apt_part || failed+=("apt-get (libdnnl-dev, python3-venv)")
venv_part || failed+=("venv $VENV")
onednn_part || failed+=("onednn_kernels.so")

if [[ ${#failed[@]} -gt 0 ]]; then
  say "FAILED: ${failed[*]}"
  exit 1
fi
say "ready: $VENV, $OUT/onednn_kernels.so"
