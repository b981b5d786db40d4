#!/usr/bin/env bash
# Builds what the benchmark needs and prints one table (bench/README.md):
# the ndrc-compiled libraries of bench/workloads/*.ndr, the hand-written
# kernels, the roof kernel; then bench/bench.py runs every group at 1 and 2
# threads. BENCH_ITERS=N (default 20) sets the timed pairs per row; NDRC=PATH
# uses another ndrc binary (e.g. a copy, while the build is broken).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=build/bench
llvm=/usr/lib/llvm-22
sudo=""
[[ $(id -u) -eq 0 ]] || sudo="sudo"

# Debian packages the benchmark adds to scripts/setup.sh's: NumPy for the
# harness, PyTorch for the ndr+torch group (Debian's, in /usr/bin/python3).
missing=()
for pkg in python3-numpy python3-torch libdnnl-dev; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "run.sh: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# The compiler: configure and build on a fresh checkout, else bring ndrc up to date.
ndrc=${NDRC:-build/bin/ndrc}
if [[ -z ${NDRC:-} ]]; then
  if [[ ! -f build/build.ninja ]]; then
    scripts/setup.sh >&2
  elif ! ninja -C build -j "${NDR_JOBS:-2}" ndrc >&2; then
    [[ -x $ndrc ]] || { echo "run.sh: ndrc does not build" >&2; exit 1; }
    echo "run.sh: warning: ndrc does not build now; using the last built $ndrc" >&2
  fi
fi

# Which compiler built the libraries, for the table's heading.
built=$(date -r "$ndrc" '+%Y-%m-%d %H:%M')
if [[ -n ${NDRC:-} ]]; then
  export BENCH_NDRC="ndrc from $NDRC (built $built)"
else
  export BENCH_NDRC="build/bin/ndrc (built $built), tree at $(git rev-parse --short HEAD)$(git diff-index --quiet HEAD -- 2>/dev/null || echo ' with uncommitted changes')"
fi

mkdir -p "$out"
# One library per workload: NAME.so and NAME.h (W2 keeps its dropout: train mode).
for src in bench/workloads/*.ndr; do
  name=$(basename "$src" .ndr)
  mode=infer
  grep -q '^// mode: train' "$src" && mode=train
  "$ndrc" "$src" --emit=lib --mode=$mode -o "$out/$name"
done

# The hand kernels and the roof with libomp (ndr's OpenMP runtime); a second
# roof with gcc and libgomp for the peers, whose libraries use libgomp.
flags=(-O3 -march=native -fopenmp -shared -fPIC)
$llvm/bin/clang++ "${flags[@]}" bench/hand/hand_kernels.cpp -o "$out/hand.so" -Wl,-rpath,$llvm/lib
$llvm/bin/clang "${flags[@]}" bench/roof.c -o "$out/roof.so" -Wl,-rpath,$llvm/lib
gcc "${flags[@]}" bench/roof.c -o "$out/roof_gomp.so"

# The peers may bring a setup step of their own (their virtual environment).
if [[ -x bench/peers/setup.sh ]]; then
  bench/peers/setup.sh >&2 || echo "run.sh: warning: bench/peers/setup.sh failed" >&2
fi

/usr/bin/python3 bench/bench.py
# NDR's libomp and PyTorch's libgomp taking turns (bench/README.md).
echo
/usr/bin/python3 bench/omp_mix.py W1 W4
