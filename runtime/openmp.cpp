// openmp.cpp - keeping the compiled kernels' OpenMP threads (LLVM's libomp)
// from spinning against GCC's libgomp in the same process.
//
// After a parallel region libomp's idle workers spin for KMP_BLOCKTIME
// (200 ms by default) before they sleep. In a process that also runs
// libgomp's threads (PyTorch, GCC -fopenmp code) those spinning workers hold
// the cores that libgomp's threads need next: on the 2-core development
// machine a PyTorch op right after a model's run took up to 1.6x its time
// (bench/omp_mix.py). There a run lets its workers sleep at once instead;
// waking them costs microseconds per run, small beside a kernel worth
// running in parallel. A user's KMP_BLOCKTIME or OMP_WAIT_POLICY wins.
//
// linear's sgemm (oneDNN's, on libgomp's threads) meets the same spinning
// within one model: the workers of the kernel before a linear hold the cores
// its sgemm needs. Each linear therefore lets them sleep at once too.
#include "runtime/internal.h"

#include <cstdlib>
#include <cstring>
#include <link.h>

// libomp's; weak, so that a model built without OpenMP links without it.
extern "C" void kmp_set_blocktime(int msec) __attribute__((weak));

namespace {

int findLibgomp(struct dl_phdr_info *info, size_t, void *) {
  const char *name = info->dlpi_name;
  const char *base = name ? std::strrchr(name, '/') : nullptr;
  base = base ? base + 1 : name;
  return base && std::strncmp(base, "libgomp.so", 10) == 0;
}

// Whether libomp is there and the user has left its wait policy to us.
bool mayQuiet() {
  return kmp_set_blocktime && !std::getenv("KMP_BLOCKTIME") &&
         !std::getenv("OMP_WAIT_POLICY");
}

} // namespace

bool ndr_rt::shouldQuietOpenmp() {
  return mayQuiet() && dl_iterate_phdr(findLibgomp, nullptr) != 0;
}

void ndr_rt::quietOpenmp() {
  // The setting belongs to the calling thread: the teams it starts next.
  kmp_set_blocktime(0);
}
