//===- ElementwiseTest.cpp - add, mul and activations end to end ----------===//

#include "Harness.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>

using namespace ndr::test;
using mlir::ndr::Mode;

namespace {

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

struct Activation {
  const char *name;
  const char *attrs;
  std::function<double(double)> ref;
};

const Activation kActivations[] = {
    {"relu", "", [](double x) { return x > 0 ? x : 0.0; }},
    {"tanh", "", [](double x) { return std::tanh(x); }},
    {"sigmoid", "", sigmoid},
    {"silu", "", [](double x) { return x * sigmoid(x); }},
    {"gelu", "", [](double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); }},
    {"gelu", " approximate = tanh",
     [](double x) {
       return 0.5 * x *
              (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
     }},
};

class ActivationTest
    : public ::testing::TestWithParam<std::tuple<int, Elt>> {};

TEST_P(ActivationTest, MatchesPyTorchFormula) {
  const Activation &act = kActivations[std::get<0>(GetParam())];
  Tensor x({3, 37}, std::get<1>(GetParam())), y = x;
  fillUniform(x, -6, 6, 1);
  std::string ir = modelIR({{"x", x.type()}}, {y.type()},
                           "  %y = ndr." + std::string(act.name) + " %x" +
                               act.attrs + " : " + x.type() +
                               "\n  return %y : " + y.type());
  auto model = Model::compile(ir, Mode::Infer);
  ASSERT_TRUE(model);
  model->run({&x, &y});
  std::vector<double> want;
  for (int64_t i = 0; i < x.size(); ++i)
    want.push_back(act.ref(x.get(i)));
  // f32 math to about 1e-6, then at most one rounding to f16/bf16.
  if (x.elt == Elt::F32)
    expectClose(y, want);
  else
    expectClose(y, want, 1e-6, 0);
}

INSTANTIATE_TEST_SUITE_P(
    All, ActivationTest,
    ::testing::Combine(::testing::Range(0, int(std::size(kActivations))),
                       ::testing::Values(Elt::F32, Elt::F16, Elt::BF16)));

/// `op(a, b)` with NumPy broadcasting of shapes `a` and `b` into `out`.
void checkBinary(const std::string &op, std::vector<int64_t> aShape,
                 std::vector<int64_t> bShape, std::vector<int64_t> outShape,
                 Elt elt) {
  Tensor a(aShape, elt), b(bShape, elt), y(outShape, elt);
  fillUniform(a, -3, 3, 2);
  fillUniform(b, -3, 3, 3);
  std::string ir = modelIR({{"a", a.type()}, {"b", b.type()}}, {y.type()},
                           "  %y = ndr." + op + " %a, %b : " + a.type() + ", " +
                               b.type() + "\n  return %y : " + y.type());
  auto model = Model::compile(ir, Mode::Infer);
  ASSERT_TRUE(model);
  model->run({&a, &b, &y});
  // Index of the operand element that output element `i` reads.
  auto source = [&](const std::vector<int64_t> &shape, int64_t i) {
    int64_t index = 0, stride = 1;
    for (int64_t d = int64_t(outShape.size()) - 1, s = int64_t(shape.size()) - 1;
         s >= 0; --d, --s) {
      int64_t coordinate = i % outShape[d];
      i /= outShape[d];
      if (shape[s] != 1)
        index += coordinate * stride;
      stride *= shape[s];
    }
    return index;
  };
  std::vector<double> want;
  for (int64_t i = 0; i < y.size(); ++i) {
    double l = a.get(source(aShape, i)), r = b.get(source(bShape, i));
    want.push_back(op == "add" ? l + r : l * r);
  }
  expectClose(y, want, 1.2e-7, 0); // one rounding
}

// f32 add and mul of f32 inputs round once.
TEST(BinaryTest, AddBroadcastsBothOperands) {
  checkBinary("add", {4, 1, 3}, {5, 1}, {4, 5, 3}, Elt::F32);
}
TEST(BinaryTest, AddBias) { checkBinary("add", {6, 10}, {10}, {6, 10}, Elt::F32); }
TEST(BinaryTest, MulSameShape) { checkBinary("mul", {2, 3}, {2, 3}, {2, 3}, Elt::F32); }
TEST(BinaryTest, MulBroadcast) { checkBinary("mul", {3, 1}, {1, 7}, {3, 7}, Elt::F32); }
TEST(BinaryTest, AddF16) { checkBinary("add", {5, 9}, {9}, {5, 9}, Elt::F16); }
TEST(BinaryTest, MulBF16) { checkBinary("mul", {5, 9}, {5, 9}, {5, 9}, Elt::BF16); }

// An activation after a per-row scale, y = silu(x * s), s [C, 1] over rows of
// [N, C, L] too long to grow over C: the kernel's steps of four chunks are one
// wide vector, the per-row value broadcast to it, then the remaining chunks
// and a masked tail (L = 8195: 256 wide steps, no whole chunk left, 3 lanes
// masked; L = 8205: 1 chunk, 5 lanes), checked against the double formula.
// Short rows grow over C instead (L = 77: one row of 462, s repeated in it).
void checkScaledSilu(int64_t length) {
  Tensor x({2, 3, length}), s({3, 1}), y({2, 3, length});
  fillUniform(x, -8, 8, 4);
  fillUniform(s, 0.5, 2, 5);
  std::string ir = modelIR({{"x", x.type()}, {"s", s.type()}}, {y.type()},
                           "  %p = ndr.mul %x, %s : " + x.type() + ", " + s.type() +
                               "\n  %y = ndr.silu %p : " + x.type() +
                               "\n  return %y : " + y.type());
  auto model = Model::compile(ir, Mode::Infer);
  ASSERT_TRUE(model);
  model->run({&x, &s, &y});
  std::vector<double> want;
  for (int64_t i = 0; i < x.size(); ++i) {
    double v = x.get(i) * s.get((i / length) % 3);
    want.push_back(v * sigmoid(v));
  }
  expectClose(y, want);
}

TEST(ActivationWideTest, PerRowScale) {
  checkScaledSilu(8195);
  checkScaledSilu(8205);
}
TEST(ActivationWideTest, RepeatedScale) { checkScaledSilu(77); }

} // namespace
