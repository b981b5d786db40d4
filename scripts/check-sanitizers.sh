#!/usr/bin/env bash
# The second stage of scripts/check.sh: configures and builds everything with
# AddressSanitizer (LeakSanitizer included) and UndefinedBehaviorSanitizer
# into build-asan/ (clang 22, NDR_SANITIZE="address;undefined"), then runs
# the whole test suite again there, in the environment of
# scripts/sanitizer-env.sh. Any report fails its test. Needs the packages of
# scripts/setup.sh (libclang-rt-22-dev has the sanitizer runtimes).
# NDR_JOBS=N as in setup.sh.
#
# Left out in this build (lit reports them UNSUPPORTED): the lit tests named
# *-memcheck.* (valgrind cannot run an AddressSanitizer binary) and those
# marked `UNSUPPORTED: sanitizer`.
set -euo pipefail
cd "$(dirname "$0")/.."

llvm=/usr/lib/llvm-22
cmake -S . -B build-asan -G Ninja \
  -DCMAKE_C_COMPILER="$llvm/bin/clang" \
  -DCMAKE_CXX_COMPILER="$llvm/bin/clang++" \
  -DCMAKE_BUILD_TYPE=Release \
  -DNDR_SANITIZE="address;undefined" \
  -DMLIR_DIR="$llvm/lib/cmake/mlir" \
  -DLLVM_EXTERNAL_LIT="$llvm/bin/lit"
cmake --build build-asan -j "${NDR_JOBS:-2}"

. scripts/sanitizer-env.sh
# Instrumented code runs a few times slower; a test that hangs still ends.
ctest --test-dir build-asan --output-on-failure --timeout 1800
