#!/usr/bin/env bash
# Builds the libFuzzer targets in build-fuzz/ and runs each for a while.
#
#   scripts/fuzz.sh [SECONDS] [FUZZER...]
#
# FUZZER is frontend, mlir, npy or safetensors (default: all four, one after
# the other); SECONDS is each one's run (default 60). The first run configures
# build-fuzz/ with clang 22 and -fsanitize=fuzzer-no-link,address,undefined
# for every target (NDR_ENABLE_FUZZER=ON), so the project's libraries report
# coverage too; it needs Debian's libclang-rt-22-dev. NDR_JOBS=N: build jobs
# (default 2).
#
# Each fuzzer keeps its corpus in build-fuzz/fuzz/NAME/corpus, so later runs
# continue where the last stopped; seeds are rebuilt from the tests each run
# (frontend: examples/ and the .ndr lit tests; mlir: the .mlir lit tests,
# tools/ndr-mlir-fuzzer/make_corpus.py; npy and safetensors: hand-made files
# and tests/data, runtime/fuzzer/make_corpus.py). A finding is written to
# build-fuzz/fuzz/NAME/ as crash-*, leak-*, timeout-* or oom-*, and makes the
# script exit 1; reproduce it with `build-fuzz/bin/ndr-NAME-fuzzer FILE`.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=$root/build-fuzz
llvm=/usr/lib/llvm-22
seconds=${1:-60}
[[ $# -gt 0 ]] && shift
fuzzers=("$@")
[[ ${#fuzzers[@]} -gt 0 ]] || fuzzers=(frontend mlir npy safetensors)

for name in "${fuzzers[@]}"; do
  case $name in
    frontend|mlir|npy|safetensors) ;;
    *) echo "fuzz.sh: unknown fuzzer '$name' (frontend, mlir, npy, safetensors)" >&2; exit 2 ;;
  esac
done
if ! ls "$llvm"/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
  echo "fuzz.sh: libFuzzer is missing: apt-get install libclang-rt-22-dev" >&2
  exit 2
fi

if [[ ! -f $build/build.ninja ]]; then
  flags="-O1 -gline-tables-only -fno-omit-frame-pointer"
  flags+=" -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined"
  CC=$llvm/bin/clang CXX=$llvm/bin/clang++ cmake -G Ninja -S "$root" -B "$build" \
    -DMLIR_DIR=$llvm/lib/cmake/mlir -DLLVM_EXTERNAL_LIT=$llvm/bin/lit \
    -DNDR_ENABLE_FUZZER=ON -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags"
fi
targets=()
for name in "${fuzzers[@]}"; do targets+=("ndr-$name-fuzzer"); done
cmake --build "$build" -j "${NDR_JOBS:-2}" --target "${targets[@]}"

# Seeds of each fuzzer, into $1.
seeds() {
  local name=$1 out=$2
  rm -rf "$out" && mkdir -p "$out"
  case $name in
    frontend) cp examples/*.ndr tests/lit/frontend/*.ndr "$out" ;;
    mlir) python3 tools/ndr-mlir-fuzzer/make_corpus.py "$out" ;;
    npy|safetensors)
      python3 runtime/fuzzer/make_corpus.py "$out.all"
      mv "$out.all/$name"/* "$out" && rm -rf "$out.all" ;;
  esac
}

dict_of() {
  case $1 in
    frontend) echo frontend/fuzzer/ndr.dict ;;
    mlir) echo tools/ndr-mlir-fuzzer/ndr-mlir.dict ;;
    *) echo runtime/fuzzer/$1.dict ;;
  esac
}

status=0
for name in "${fuzzers[@]}"; do
  dir=$build/fuzz/$name
  mkdir -p "$dir/corpus"
  seeds "$name" "$dir/seeds"
  echo "== ndr-$name-fuzzer, $seconds s (log: $dir/log)"
  before=$(ls "$dir" | grep -cE '^(crash|leak|timeout|oom)-' || true)
  # -rss_limit_mb: the MLIR fuzzer holds a context and two pipelines.
  "$build/bin/ndr-$name-fuzzer" "$dir/corpus" "$dir/seeds" \
    -dict="$(dict_of "$name")" -max_total_time="$seconds" -timeout=30 \
    -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$dir/" \
    >"$dir/log" 2>&1 || true
  grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE)' "$dir/log" | tail -1 || true
  grep -E '^stat::(number_of_executed_units|average_exec_per_sec)' "$dir/log" || true
  after=$(ls "$dir" | grep -cE '^(crash|leak|timeout|oom)-' || true)
  if [[ $after -gt $before ]]; then
    echo "FINDING: $((after - before)) new in $dir:" \
      "$(ls -t "$dir" | grep -E '^(crash|leak|timeout|oom)-' | head -n $((after - before)) | tr '\n' ' ')"
    grep -m1 -E 'ERROR|ndr-.*-fuzzer: ' "$dir/log" || true
    status=1
  fi
done
exit $status
