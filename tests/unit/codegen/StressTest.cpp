//===- StressTest.cpp - concurrent runs and non-finite inputs -------------===//
//
// What a user's process does that the per-op tests do not: one compiled model
// run from many threads at once, and rows holding NaN, Inf or one constant
// value (PyTorch's results, DESIGN.md section 9).
//
//===----------------------------------------------------------------------===//

#include "Harness.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <dlfcn.h>
#include <thread>

using namespace ndr::test;
using mlir::ndr::Mode;

namespace {

/// y = LayerNorm(x + dropout(r)) in train mode: the fused kernel with Philox.
std::string addDropoutNorm(const std::string &t, const std::string &row) {
  return modelIR({{"x", t}, {"r", t}, {"g", row}, {"b", row}}, {t},
                 "  %d = ndr.dropout %r, p = 0.1, stream = 2 : " + t +
                     "\n  %s = ndr.add %x, %d : " + t + ", " + t +
                     "\n  %y = ndr.layer_norm %s gamma(%g : " + row + ") beta(%b : " +
                     row + ") : " + t + "\n  return %y : " + t);
}

// Runs of one model from 8 threads at once, each on its own buffers and
// seed, give the bytes that the same runs give one after another.
TEST(StressTest, ConcurrentRunsGiveTheBytesOfSequentialRuns) {
  constexpr int kThreads = 8, kRounds = 5;
  Tensor x({64, 768}), r({64, 768}), g({768}), b({768});
  fillUniform(x, -2, 2, 1);
  fillUniform(r, -2, 2, 2);
  fillUniform(g, 0.5, 1.5, 3);
  fillUniform(b, -1, 1, 4);
  auto model = Model::compile(addDropoutNorm(x.type(), g.type()), Mode::Train);
  ASSERT_TRUE(model);
  std::vector<Tensor> expected(kThreads, Tensor({64, 768}));
  for (int t = 0; t < kThreads; ++t)
    model->run({&x, &r, &g, &b, &expected[t]}, 1000 + t);

  std::vector<Tensor> got(kThreads * kRounds, Tensor({64, 768}));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int round = 0; round < kRounds; ++round)
        model->run({&x, &r, &g, &b, &got[t * kRounds + round]}, 1000 + t);
    });
  for (std::thread &thread : threads)
    thread.join();
  for (int i = 0; i < kThreads * kRounds; ++i)
    EXPECT_EQ(got[i].bytes, expected[i / kRounds].bytes)
        << "thread " << i / kRounds << ", round " << i % kRounds;
}

#ifdef NDR_LIBOMP
// The same seed gives the same bytes at 1, 2 and 8 OpenMP threads: rows are
// split across threads, but no sum runs across them (a linear's reduction
// included). The thread count is libomp's, set on this thread.
TEST(StressTest, SameBytesAtAnyThreadCount) {
  Tensor h({96, 64}), w({256, 64}), x({96, 256}), g({256}), b({256});
  fillUniform(h, -1, 1, 11);
  fillUniform(w, -0.2, 0.2, 12);
  fillUniform(x, -2, 2, 13);
  fillUniform(g, 0.5, 1.5, 14);
  fillUniform(b, -1, 1, 15);
  std::string t = x.type(), row = g.type();
  auto model = Model::compile(
      modelIR({{"h", h.type()}, {"w", w.type()}, {"x", t}, {"g", row}, {"b", row}}, {t},
              "  %l = ndr.linear %h, %w : " + h.type() + ", " + w.type() +
                  "\n  %d = ndr.dropout %l, p = 0.2, stream = 4 : " + t +
                  "\n  %s = ndr.add %x, %d : " + t + ", " + t +
                  "\n  %y = ndr.layer_norm %s gamma(%g : " + row + ") beta(%b : " + row +
                  ") : " + t + "\n  return %y : " + t),
      Mode::Train);
  ASSERT_TRUE(model);
  // The JIT loaded libomp by this path; this finds that same library.
  void *libomp = dlopen(NDR_LIBOMP, RTLD_NOW | RTLD_NOLOAD);
  ASSERT_NE(libomp, nullptr);
  auto setThreads = reinterpret_cast<void (*)(int)>(dlsym(libomp, "omp_set_num_threads"));
  ASSERT_NE(setThreads, nullptr);
  std::vector<Tensor> y(3, Tensor({96, 256}));
  int counts[] = {1, 2, 8};
  for (int i = 0; i < 3; ++i) {
    setThreads(counts[i]);
    model->run({&h, &w, &x, &g, &b, &y[i]}, 77);
  }
  setThreads(static_cast<int>(std::thread::hardware_concurrency()));
  dlclose(libomp);
  EXPECT_EQ(y[1].bytes, y[0].bytes) << "2 threads";
  EXPECT_EQ(y[2].bytes, y[0].bytes) << "8 threads";
}
#endif

// 2^20 rows of 8 (32 MiB a tensor): the row split and the non-temporal
// output at a row count far past the others.
TEST(StressTest, MillionRows) {
  constexpr int64_t kRows = int64_t(1) << 20, kSize = 8;
  Tensor x({kRows, kSize}), y({kRows, kSize});
  fillUniform(x, -3, 3, 21);
  std::string t = x.type();
  auto model = Model::compile(
      modelIR({{"x", t}}, {t}, "  %y = ndr.layer_norm %x : " + t + "\n  return %y : " + t),
      Mode::Infer);
  ASSERT_TRUE(model);
  model->run({&x, &y});
  expectClose(y, normReference(false, values(x), kSize, nullptr, nullptr, 1e-5f));
}

/// `y` of a norm over rows of `size`: row 0 ordinary, row 1 with a NaN, row 2
/// with +Inf, row 3 one constant value.
Tensor normOfSpecialRows(bool rms, int64_t size, const Tensor &beta) {
  Tensor x({4, size}), y({4, size}), g({size});
  fillUniform(x, -2, 2, 5);
  fillUniform(g, 0.5, 1.5, 6);
  x.set(1 * size + size / 2, NAN);
  x.set(2 * size + size / 3, INFINITY);
  for (int64_t i = 0; i < size; ++i)
    x.set(3 * size + i, 5.0);
  std::string t = x.type(), row = g.type();
  std::string body =
      rms ? "  %y = ndr.rms_norm %x gamma(%g : " + row + ") : " + t
          : "  %y = ndr.layer_norm %x gamma(%g : " + row + ") beta(%b : " + row +
                ") : " + t;
  std::vector<std::pair<std::string, std::string>> args = {{"x", t}, {"g", row}};
  if (!rms)
    args.push_back({"b", row});
  auto model = Model::compile(modelIR(args, {t}, body + "\n  return %y : " + t),
                              Mode::Infer);
  EXPECT_TRUE(model);
  if (!model)
    return y;
  Tensor betaCopy = beta;
  if (rms)
    model->run({&x, &g, &y});
  else
    model->run({&x, &g, &betaCopy, &y});
  return y;
}

class NonFiniteRowsTest : public ::testing::TestWithParam<int64_t> {};

// Layer norm: a NaN or an Inf makes its whole row NaN (the mean is NaN or
// Inf, and Inf - Inf is NaN), other rows are untouched, and a constant row
// gives beta.
TEST_P(NonFiniteRowsTest, LayerNormAsPyTorch) {
  int64_t size = GetParam();
  Tensor beta({size});
  fillUniform(beta, -1, 1, 7);
  Tensor y = normOfSpecialRows(/*rms=*/false, size, beta);
  for (int64_t i = 0; i < size; ++i) {
    EXPECT_TRUE(std::isfinite(y.get(i))) << "row 0, element " << i;
    EXPECT_TRUE(std::isnan(y.get(size + i))) << "row 1, element " << i;
    EXPECT_TRUE(std::isnan(y.get(2 * size + i))) << "row 2, element " << i;
    EXPECT_EQ(y.get(3 * size + i), beta.get(i)) << "row 3, element " << i;
  }
}

// RMS norm: a NaN makes its row NaN; an Inf makes the mean square Inf, so
// every finite element becomes 0 and the Inf itself NaN (Inf * 0), as
// x * rsqrt(mean(x^2) + eps) does in PyTorch.
TEST_P(NonFiniteRowsTest, RmsNormAsPyTorch) {
  int64_t size = GetParam();
  Tensor unused({size});
  Tensor y = normOfSpecialRows(/*rms=*/true, size, unused);
  for (int64_t i = 0; i < size; ++i) {
    EXPECT_TRUE(std::isfinite(y.get(i))) << "row 0, element " << i;
    EXPECT_TRUE(std::isnan(y.get(size + i))) << "row 1, element " << i;
    if (i == size / 3)
      EXPECT_TRUE(std::isnan(y.get(2 * size + i))) << "row 2, the Inf";
    else
      EXPECT_EQ(y.get(2 * size + i), 0.0) << "row 2, element " << i;
    EXPECT_TRUE(std::isfinite(y.get(3 * size + i))) << "row 3, element " << i;
  }
}

// Row sizes: under a vector, not a multiple of 8, a scratch row, and one
// recomputed (no scratch) at 65536.
INSTANTIATE_TEST_SUITE_P(Sizes, NonFiniteRowsTest,
                         ::testing::Values(3, 769, 4096, 65536));

} // namespace
