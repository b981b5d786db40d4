//===- ActivationAccuracyTest.cpp - vector math against double ------------===//
//
// The activations run on polynomial approximations of erfc, exp and tanh
// (ndr-lower-fusions). Over a dense sweep of [-30, 30] (and 0 and the ends)
// this measures the largest error against the double-precision formula, in
// units of the tolerance of DESIGN.md section 9 (1e-5 relative + 1e-6
// absolute), prints it, and requires it below 1; results between 1e-20 and
// 1e-3 (the tails, where 1 + erf would cancel) within 1e-4 relative. Past
// the approximations' clamps, at the infinities and at NaN, the results are
// the double formula's (PyTorch's).
//
//===----------------------------------------------------------------------===//

#include "Harness.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <functional>

using namespace ndr::test;
using mlir::ndr::Mode;

namespace {

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

struct Case {
  const char *name, *attrs;
  std::function<double(double)> ref;
};

const Case kCases[] = {
    {"tanh", "", [](double x) { return std::tanh(x); }},
    {"sigmoid", "", sigmoid},
    {"silu", "", [](double x) { return x * sigmoid(x); }},
    {"gelu", "", [](double x) { return 0.5 * x * std::erfc(-x / std::sqrt(2.0)); }},
    {"gelu", " approximate = tanh",
     [](double x) {
       // 0.5 x (1 + tanh(u)) as x * sigmoid(2u): the same in exact
       // arithmetic, without the cancellation for x << 0 (even in double).
       return x * sigmoid(2 * std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x));
     }},
};

class ActivationAccuracyTest : public ::testing::TestWithParam<int> {};

/// y = the case's activation of x, compiled and run as a model.
void evaluate(const Case &c, Tensor &x, Tensor &y) {
  std::string ir = modelIR({{"x", x.type()}}, {y.type()},
                           "  %y = ndr." + std::string(c.name) + " %x" + c.attrs +
                               " : " + x.type() + "\n  return %y : " + y.type());
  auto model = Model::compile(ir, Mode::Infer);
  ASSERT_TRUE(model);
  model->run({&x, &y});
}

TEST_P(ActivationAccuracyTest, WithinToleranceOfDouble) {
  const Case &c = kCases[GetParam()];
  constexpr int64_t kPoints = 120001; // steps of 5e-4 over [-30, 30]
  Tensor x({kPoints}, Elt::F32), y = x;
  for (int64_t i = 0; i < kPoints; ++i)
    x.set(i, -30.0 + 60.0 * double(i) / double(kPoints - 1));
  evaluate(c, x, y);
  if (HasFatalFailure())
    return;
  double worst = 0, worstAbs = 0, worstRel = 0, worstTail = 0, at = 0;
  for (int64_t i = 0; i < kPoints; ++i) {
    double want = c.ref(x.get(i)), err = std::fabs(y.get(i) - want);
    double units = err / (1e-5 * std::fabs(want) + 1e-6);
    worstAbs = std::max(worstAbs, err);
    if (std::fabs(want) > 1e-3)
      worstRel = std::max(worstRel, err / std::fabs(want));
    else if (std::fabs(want) > 1e-20)
      worstTail = std::max(worstTail, err / std::fabs(want));
    if (units > worst) {
      worst = units;
      at = x.get(i);
    }
  }
  std::printf("%s%s: max error %.3g of the tolerance (at x = %.4g); max abs "
              "%.3g, max rel (|y| > 1e-3) %.3g, (1e-20 < |y| < 1e-3) %.3g\n",
              c.name, c.attrs, worst, at, worstAbs, worstRel, worstTail);
  EXPECT_LT(worst, 1.0);
  // Tiny results keep their digits too (no cancellation, as 1 + erf would).
  EXPECT_LT(worstTail, 1e-4);
}

// Past the clamps of the approximations, at the infinities and at NaN: what
// the double formulas give, which is PyTorch's (silu(-inf) and gelu(-inf)
// are NaN, as inf * 0 is).
TEST_P(ActivationAccuracyTest, SpecialValuesAsPyTorch) {
  const Case &c = kCases[GetParam()];
  const double kValues[] = {-INFINITY, -1e30, -1000, -100,     -88.8, -88.7, -87.5, -30,
                            0,         30,    87.5,  88,       88.5,  89,    100,   1000,
                            1e30,      INFINITY,     NAN};
  constexpr int64_t n = std::size(kValues);
  Tensor x({n}, Elt::F32), y = x;
  for (int64_t i = 0; i < n; ++i)
    x.set(i, kValues[i]);
  evaluate(c, x, y);
  if (HasFatalFailure())
    return;
  for (int64_t i = 0; i < n; ++i) {
    double want = c.ref(x.get(i)), got = y.get(i);
    if (std::isnan(want))
      EXPECT_TRUE(std::isnan(got)) << c.name << c.attrs << " at " << kValues[i] << ": " << got;
    else if (std::isinf(want))
      EXPECT_EQ(got, want) << c.name << c.attrs << " at " << kValues[i];
    else
      EXPECT_LE(std::fabs(got - want), 1e-5 * std::fabs(want) + 1e-6)
          << c.name << c.attrs << " at " << kValues[i] << ": " << got << " against " << want;
  }
}

INSTANTIATE_TEST_SUITE_P(All, ActivationAccuracyTest,
                         ::testing::Range(0, int(std::size(kCases))));

} // namespace
