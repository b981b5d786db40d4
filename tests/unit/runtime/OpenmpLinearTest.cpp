// OpenmpLinearTest.cpp - a linear lets libomp's workers sleep at once
// (runtime/linear.cpp): its sgemm runs on libgomp's threads, which the
// runtime's oneDNN loads. Its own executable, linked with libomp.
#include "runtime/ndr_runtime.h"

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <thread>

// libomp's.
extern "C" int kmp_get_blocktime(void);

namespace {

TEST(RuntimeOpenmpLinear, LinearQuietsTheTeamsItsThreadStarts) {
  ASSERT_NE(dlopen(NDR_GCC_LIBGOMP, RTLD_NOW | RTLD_NOLOAD), nullptr)
      << "the runtime's oneDNN should have loaded GCC's libgomp";
  // A fresh thread: the setting is per thread.
  std::thread([] {
    EXPECT_GT(kmp_get_blocktime(), 0);
    float x[2] = {2, 1}, w[4] = {3, 4, 5, 6}, b[2] = {1, -1}, y[2] = {0, 0};
    ndr_linear_bias_f32(x, w, b, y, 1, 2, 2);
    EXPECT_EQ(y[0], 2 * 3 + 1 * 4 + 1);
    EXPECT_EQ(y[1], 2 * 5 + 1 * 6 - 1);
    EXPECT_EQ(kmp_get_blocktime(), 0);
  }).join();
}

} // namespace
