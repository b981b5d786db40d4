// OpenmpTest.cpp - runs let libomp's workers sleep at once when libgomp
// shares the process, and linears when OpenBLAS runs on several threads
// (runtime/openmp.cpp). Its own executable, linked with libomp: loading
// libgomp cannot be undone, so the steps run in order.
#include "runtime/internal.h"

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <thread>

// libomp's and OpenBLAS's.
extern "C" int kmp_get_blocktime(void);
extern "C" int openblas_get_num_threads(void);

namespace {

TEST(RuntimeOpenmp, QuietOnlyBesideLibgompAndWithoutAUserPolicy) {
  // Nothing here loads libgomp: libomp's default blocktime stays.
  ASSERT_EQ(dlopen(NDR_GCC_LIBGOMP, RTLD_NOW | RTLD_NOLOAD), nullptr);
  EXPECT_FALSE(ndr_rt::shouldQuietOpenmp());

  ASSERT_NE(dlopen(NDR_GCC_LIBGOMP, RTLD_NOW | RTLD_GLOBAL), nullptr) << dlerror();
  EXPECT_TRUE(ndr_rt::shouldQuietOpenmp());
  for (const char *variable : {"KMP_BLOCKTIME", "OMP_WAIT_POLICY"}) {
    setenv(variable, "passive", 1);
    EXPECT_FALSE(ndr_rt::shouldQuietOpenmp()) << variable;
    unsetenv(variable);
  }

  // libomp's setting for the teams this thread starts.
  EXPECT_GT(kmp_get_blocktime(), 0);
  ndr_rt::quietOpenmp();
  EXPECT_EQ(kmp_get_blocktime(), 0);
}

TEST(RuntimeOpenmp, QuietBesideAThreadedBlasWithoutAUserPolicy) {
  EXPECT_FALSE(ndr_rt::shouldQuietBesideBlas(1));
  EXPECT_TRUE(ndr_rt::shouldQuietBesideBlas(2));
  for (const char *variable : {"KMP_BLOCKTIME", "OMP_WAIT_POLICY"}) {
    setenv(variable, "passive", 1);
    EXPECT_FALSE(ndr_rt::shouldQuietBesideBlas(2)) << variable;
    unsetenv(variable);
  }

  // A linear quiets the teams its thread starts next (a fresh thread: the
  // setting is per thread, and the test above set this one's).
  std::thread([] {
    int before = kmp_get_blocktime();
    EXPECT_GT(before, 0);
    float x = 2, w = 3, y = 0;
    ndr_linear_f32(&x, &w, &y, 1, 1, 1);
    EXPECT_EQ(y, 6);
    EXPECT_EQ(kmp_get_blocktime(), openblas_get_num_threads() > 1 ? 0 : before);
  }).join();
}

} // namespace
