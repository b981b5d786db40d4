// OpenmpTest.cpp - runs let libomp's workers sleep at once when libgomp
// shares the process (runtime/openmp.cpp). Its own executable, linked with
// libomp and openmp.cpp alone (the runtime's oneDNN would load libgomp):
// loading libgomp cannot be undone, so the steps run in order.
#include "runtime/internal.h"

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <thread>

// libomp's.
extern "C" int kmp_get_blocktime(void);

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

} // namespace
