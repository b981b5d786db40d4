//===- LinearTest.cpp - ndr.linear end to end -----------------------------===//

#include "Harness.h"

#include <gtest/gtest.h>

using namespace ndr::test;
using mlir::ndr::Mode;

namespace {

/// y = x W^T + b with x `[..., in]`, W `[out, in]`.
void checkLinear(std::vector<int64_t> xShape, int64_t out, bool bias, Elt elt) {
  int64_t in = xShape.back();
  std::vector<int64_t> yShape = xShape;
  yShape.back() = out;
  Tensor x(xShape, elt), w({out, in}, elt), b({out}, elt), y(yShape, elt);
  fillUniform(x, -1, 1, 4);
  fillUniform(w, -1, 1, 5);
  fillUniform(b, -1, 1, 6);
  std::vector<std::pair<std::string, std::string>> args = {{"x", x.type()},
                                                           {"w", w.type()}};
  std::string operands = "%x, %w", types = x.type() + ", " + w.type();
  if (bias) {
    args.push_back({"b", b.type()});
    operands += ", %b";
    types += ", " + b.type();
  }
  std::string ir = modelIR(args, {y.type()},
                           "  %y = ndr.linear " + operands + " : " + types +
                               "\n  return %y : " + y.type());
  auto model = Model::compile(ir, Mode::Infer);
  ASSERT_TRUE(model);
  std::vector<Tensor *> run = {&x, &w};
  if (bias)
    run.push_back(&b);
  run.push_back(&y);
  model->run(run);
  std::vector<double> want;
  for (int64_t r = 0; r < x.size() / in; ++r)
    for (int64_t o = 0; o < out; ++o) {
      double sum = bias ? b.get(o) : 0.0;
      for (int64_t k = 0; k < in; ++k)
        sum += x.get(r * in + k) * w.get(o * in + k);
      want.push_back(sum);
    }
  // f32 accumulation over `in` terms of magnitude <= 1.
  expectClose(y, want, 1e-5, 1e-6 * in);
}

TEST(LinearTest, Rank3WithBias) { checkLinear({2, 3, 17}, 9, true, Elt::F32); }
TEST(LinearTest, NoBias) { checkLinear({5, 8}, 4, false, Elt::F32); }
TEST(LinearTest, SingleFeature) { checkLinear({3, 1}, 1, true, Elt::F32); }
TEST(LinearTest, Wide) { checkLinear({4, 300}, 65, true, Elt::F32); }
TEST(LinearTest, F16) { checkLinear({4, 33}, 7, true, Elt::F16); }
TEST(LinearTest, BF16) { checkLinear({2, 2, 20}, 6, true, Elt::BF16); }

} // namespace

namespace {

// Folding passes compute parameters with linalg.generic (W' = W * scale per
// output row); the pipeline lowers those with the ndr ops.
TEST(LinearTest, WeightFromLinalgGeneric) {
  Tensor x({3, 8}), w({4, 8}), scale({4}), y({3, 4});
  fillUniform(x, -1, 1, 40);
  fillUniform(w, -1, 1, 41);
  fillUniform(scale, 0.5, 2, 42);
  const char *ir = R"mlir(
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @m(%x: tensor<3x8xf32>, %w: tensor<4x8xf32>, %s: tensor<4xf32>) -> tensor<3x4xf32> attributes {ndr.model} {
  %e = tensor.empty() : tensor<4x8xf32>
  %ws = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%w, %s : tensor<4x8xf32>, tensor<4xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<4x8xf32>
  %y = ndr.linear %x, %ws : tensor<3x8xf32>, tensor<4x8xf32>
  return %y : tensor<3x4xf32>
}
)mlir";
  auto model = Model::compile(ir, Mode::Infer);
  ASSERT_TRUE(model);
  model->run({&x, &w, &scale, &y});
  std::vector<double> want;
  for (int64_t r = 0; r < 3; ++r)
    for (int64_t o = 0; o < 4; ++o) {
      double sum = 0;
      for (int64_t k = 0; k < 8; ++k)
        sum += x.get(r * 8 + k) * double(float(w.get(o * 8 + k) * scale.get(o)));
      want.push_back(sum);
    }
  expectClose(y, want, 1e-5, 1e-5);
}

} // namespace
