#!/usr/bin/env bash
# Installs every Debian package NDR needs (as root, on Debian 12), then
# configures and builds into build/. Safe to run again: it installs only what
# is missing and rebuilds only what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  cmake ninja-build g++ python3
  llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools clang-22
  libgtest-dev libomp-22-dev
  libdnnl-dev  # oneDNN: sgemm for linear (runtime/linear.cpp)
  libfmt-dev  # {fmt}, header-only: messages and generated C
  valgrind  # memcheck in the lit suite (codegen/*-memcheck.mlir)
  libclang-rt-22-dev  # ASan/UBSan runtimes of clang 22 (scripts/check-sanitizers.sh)
  python3-numpy python3-torch python3-venv python3-setuptools  # python/ndr and its tests
)

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$pkg")
done
if ((${#missing[@]})); then
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  echo "setup: installing ${missing[*]}"
  # Another apt may hold the lock for a while: wait for it (up to 5 minutes).
  $sudo apt-get -o DPkg::Lock::Timeout=300 update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=300 \
    install -y --no-install-recommends "${missing[@]}"
fi

llvm=/usr/lib/llvm-22
cmake -S . -B build -G Ninja \
  -DCMAKE_BUILD_TYPE=Release \
  -DMLIR_DIR="$llvm/lib/cmake/mlir" \
  -DLLVM_EXTERNAL_LIT="$llvm/bin/lit"
cmake --build build -j "${NDR_JOBS:-2}"
