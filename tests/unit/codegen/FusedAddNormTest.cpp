//===- FusedAddNormTest.cpp - fused_add_norm end to end -------------------===//

#include "Harness.h"

#include <gtest/gtest.h>

using namespace ndr::test;
using mlir::ndr::Mode;

namespace {

struct FusedCase {
  bool rms;
  bool bias, residual, dropout, sum;
  std::vector<int64_t> shape = {3, 37};
  int64_t rowRank = 1;
  /// The bias's shape, a suffix of the row; empty: the whole row.
  std::vector<int64_t> biasShape;
  Elt elt = Elt::F32;
  Mode mode = Mode::Train;
};

void checkFused(const FusedCase &c) {
  const float p = 0.2f, eps = 1e-5f;
  const uint32_t stream = 5;
  const uint64_t seed = 0xfeedbeef12345ull;
  std::vector<int64_t> rowShape(c.shape.end() - c.rowRank, c.shape.end());
  std::vector<int64_t> biasShape = c.biasShape.empty() ? rowShape : c.biasShape;
  int64_t size = 1, biasSize = 1;
  for (int64_t d : rowShape)
    size *= d;
  for (int64_t d : biasShape)
    biasSize *= d;
  Tensor x(c.shape, c.elt), r(c.shape, c.elt), bias(biasShape, c.elt),
      g(rowShape, c.elt), b(rowShape, c.elt), y(c.shape, c.elt),
      s(c.shape, c.elt);
  fillNonZero(x, 20);
  fillUniform(r, -2, 2, 21);
  fillUniform(bias, -0.5, 0.5, 22);
  fillUniform(g, 0.5, 1.5, 23);
  fillUniform(b, -0.5, 0.5, 24);

  std::vector<std::pair<std::string, std::string>> args = {{"x", x.type()}};
  std::vector<Tensor *> run = {&x};
  std::string op = std::string("  %y") + (c.sum ? ", %s" : "") +
                   " = ndr.fused_add_norm " + (c.rms ? "rms" : "layer") + " %x";
  if (c.bias) {
    args.push_back({"bias", bias.type()});
    run.push_back(&bias);
    op += " bias(%bias : " + bias.type() + ")";
  }
  if (c.residual) {
    args.push_back({"r", r.type()});
    run.push_back(&r);
    op += " residual(%r : " + r.type() + ")";
  }
  if (c.dropout)
    op += " dropout(p = 0.2, stream = " + std::to_string(stream) + ")";
  args.push_back({"g", g.type()});
  run.push_back(&g);
  op += " gamma(%g : " + g.type() + ")";
  if (!c.rms) {
    args.push_back({"b", b.type()});
    run.push_back(&b);
    op += " beta(%b : " + b.type() + ")";
  }
  op += " eps = 1.0e-5";
  if (c.rowRank != 1)
    op += " normalized_rank = " + std::to_string(c.rowRank);
  op += " : " + x.type() + (c.sum ? ", " + s.type() : "");
  std::vector<std::string> results = {y.type()};
  std::string ret = "\n  return %y";
  if (c.sum) {
    results.push_back(s.type());
    ret += ", %s";
  }
  ret += " : " + y.type() + (c.sum ? ", " + s.type() : "");
  auto model = Model::compile(modelIR(args, results, op + ret), c.mode);
  ASSERT_TRUE(model);
  run.push_back(&y);
  if (c.sum)
    run.push_back(&s);
  model->run(run, seed);

  std::vector<double> sum(x.size());
  for (int64_t i = 0; i < x.size(); ++i) {
    double v = x.get(i) + (c.bias ? bias.get(i % biasSize) : 0.0);
    if (c.dropout && c.mode == Mode::Train)
      v = dropoutKeep(i, seed, stream, p) ? v * dropoutScale(p) : 0.0;
    sum[i] = v + (c.residual ? r.get(i) : 0.0);
  }
  expectClose(y, normReference(c.rms, sum, size, &g, c.rms ? nullptr : &b, eps));
  if (c.sum)
    expectClose(s, sum);
}

/// Every combination of bias, residual, dropout and the second result, for
/// layer and rms norms (bit i of the parameter turns option i on).
class FusedFormTest : public ::testing::TestWithParam<std::tuple<bool, int>> {};

TEST_P(FusedFormTest, MatchesReference) {
  auto [rms, bits] = GetParam();
  checkFused({rms, bool(bits & 1), bool(bits & 2), bool(bits & 4),
              bool(bits & 8)});
}

INSTANTIATE_TEST_SUITE_P(All, FusedFormTest,
                         ::testing::Combine(::testing::Bool(),
                                            ::testing::Range(0, 16)));

class FusedVariantTest : public ::testing::TestWithParam<bool> {};

TEST_P(FusedVariantTest, InferModeIgnoresDropout) {
  FusedCase c{GetParam(), true, true, true, true};
  c.mode = Mode::Infer;
  checkFused(c);
}
TEST_P(FusedVariantTest, Hidden4096) {
  FusedCase c{GetParam(), true, true, true, true};
  c.shape = {2, 4096};
  checkFused(c);
}
// 296 (8 lanes) = two 128-element Philox spans and a rest of 5 chunks drawn
// from half a span; rows after the first start inside a span.
TEST_P(FusedVariantTest, Hidden296) {
  FusedCase c{GetParam(), true, true, true, true};
  c.shape = {3, 296};
  checkFused(c);
}
// With 16 lanes a span is 32 blocks (256 elements): 384 is one span and a
// rest of 128 drawn as half a span (16 blocks), 400 one span and a rest of
// 144 drawn whole. With 8 lanes (128-element spans) 384 is three spans and
// 400 three and a rest of 16 from half a span.
TEST_P(FusedVariantTest, Hidden384) {
  FusedCase c{GetParam(), true, true, true, true};
  c.shape = {3, 384};
  checkFused(c);
}
TEST_P(FusedVariantTest, Hidden400) {
  FusedCase c{GetParam(), true, true, true, true};
  c.shape = {3, 400};
  checkFused(c);
}
TEST_P(FusedVariantTest, Hidden769) {
  FusedCase c{GetParam(), true, true, true, false};
  c.shape = {4, 769};
  checkFused(c);
}
TEST_P(FusedVariantTest, Hidden1) {
  FusedCase c{GetParam(), true, true, true, true};
  c.shape = {5, 1};
  checkFused(c);
}
TEST_P(FusedVariantTest, BiasSuffixOfRow) {
  FusedCase c{GetParam(), true, true, true, true};
  c.shape = {2, 3, 11};
  c.rowRank = 2;
  c.biasShape = {11};
  checkFused(c);
}
TEST_P(FusedVariantTest, F16) {
  FusedCase c{GetParam(), true, true, true, true};
  c.shape = {3, 100};
  c.elt = Elt::F16;
  checkFused(c);
}
TEST_P(FusedVariantTest, BF16) {
  FusedCase c{GetParam(), true, true, true, true};
  c.shape = {3, 100};
  c.elt = Elt::BF16;
  checkFused(c);
}

INSTANTIATE_TEST_SUITE_P(LayerAndRms, FusedVariantTest, ::testing::Bool());

} // namespace
