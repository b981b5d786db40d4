//===- LinearTest.cpp - ndr_linear_f32, ndr_linear_bias_f32 ---------------===//

#include "runtime/ndr_runtime.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace {

// Shapes that are not multiples of any blocking: 1 row, odd sizes.
void checkLinear(int64_t rows, int64_t in, int64_t out, bool withBias) {
  std::vector<float> x(rows * in), w(out * in), b(out), y(rows * out);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = std::sin(0.37f * i);
  for (size_t i = 0; i < w.size(); ++i)
    w[i] = std::cos(0.11f * i);
  for (int64_t o = 0; o < out; ++o)
    b[o] = 0.5f * o - 1.0f;
  if (withBias)
    ndr_linear_bias_f32(x.data(), w.data(), b.data(), y.data(), rows, in, out);
  else
    ndr_linear_f32(x.data(), w.data(), y.data(), rows, in, out);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t o = 0; o < out; ++o) {
      double expected = withBias ? b[o] : 0.0;
      for (int64_t k = 0; k < in; ++k)
        expected += double(x[r * in + k]) * w[o * in + k];
      EXPECT_NEAR(y[r * out + o], expected, 1e-5 * (1.0 + std::fabs(expected)))
          << "rows " << rows << " in " << in << " out " << out << " at " << r
          << ", " << o;
    }
}

TEST(RuntimeLinear, MatchesReference) {
  checkLinear(1, 1, 1, true);
  checkLinear(1, 769, 3, true);
  checkLinear(5, 3, 7, false);
  checkLinear(33, 64, 17, true);
}

} // namespace
