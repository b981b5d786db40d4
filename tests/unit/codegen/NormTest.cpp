//===- NormTest.cpp - layer_norm and rms_norm end to end ------------------===//

#include "Harness.h"

#include <gtest/gtest.h>

using namespace ndr::test;
using mlir::ndr::Mode;

namespace {

struct NormCase {
  bool rms;
  std::vector<int64_t> shape;
  int64_t rowRank = 1;
  bool gamma = true, beta = true;
  Elt elt = Elt::F32;
  /// How the input is filled: uniform(-2, 2), constant rows, or 1e4 +- 1.
  enum { Uniform, Constant, Large } fill = Uniform;
  bool openmp = true;
};

void checkNorm(const NormCase &c) {
  std::vector<int64_t> rowShape(c.shape.end() - c.rowRank, c.shape.end());
  int64_t size = 1;
  for (int64_t d : rowShape)
    size *= d;
  Tensor x(c.shape, c.elt), y(c.shape, c.elt), g(rowShape, c.elt),
      b(rowShape, c.elt);
  switch (c.fill) {
  case NormCase::Uniform:
    fillUniform(x, -2, 2, 10);
    break;
  case NormCase::Constant:
    for (int64_t i = 0; i < x.size(); ++i)
      x.set(i, 0.75 + i / size);
    break;
  case NormCase::Large:
    fillUniform(x, 1e4 - 1, 1e4 + 1, 11);
    break;
  }
  fillUniform(g, 0.5, 1.5, 12);
  fillUniform(b, -0.5, 0.5, 13);
  bool beta = c.beta && !c.rms;
  std::vector<std::pair<std::string, std::string>> args = {{"x", x.type()}};
  std::string op = c.rms ? "rms_norm" : "layer_norm";
  std::string text = "  %y = ndr." + op + " %x";
  if (c.gamma) {
    args.push_back({"g", g.type()});
    text += " gamma(%g : " + g.type() + ")";
  }
  if (beta) {
    args.push_back({"b", b.type()});
    text += " beta(%b : " + b.type() + ")";
  }
  if (c.rowRank != 1)
    text += " normalized_rank = " + std::to_string(c.rowRank);
  text += " : " + x.type() + "\n  return %y : " + y.type();
  auto model =
      Model::compile(modelIR(args, {y.type()}, text), Mode::Infer, c.openmp);
  ASSERT_TRUE(model);
  std::vector<Tensor *> run = {&x};
  if (c.gamma)
    run.push_back(&g);
  if (beta)
    run.push_back(&b);
  run.push_back(&y);
  model->run(run);
  float eps = c.rms ? 1e-6f : 1e-5f;
  expectClose(y, normReference(c.rms, values(x), size, c.gamma ? &g : nullptr,
                               beta ? &b : nullptr, eps));
}

class NormSizeTest
    : public ::testing::TestWithParam<std::tuple<bool, int64_t>> {};

// Sizes around the 8 lanes: a lone tail (1, 3), exact chunks (8, 4096), and
// chunks plus a tail (769).
TEST_P(NormSizeTest, MatchesReference) {
  auto [rms, size] = GetParam();
  checkNorm({rms, {3, size}});
}

INSTANTIATE_TEST_SUITE_P(All, NormSizeTest,
                         ::testing::Combine(::testing::Bool(),
                                            ::testing::Values(1, 3, 8, 769,
                                                              4096)));

class NormVariantTest : public ::testing::TestWithParam<bool> {};

TEST_P(NormVariantTest, SingleRow) { checkNorm({GetParam(), {1, 100}}); }
TEST_P(NormVariantTest, RankOneInput) { checkNorm({GetParam(), {37}}); }
TEST_P(NormVariantTest, ConstantRows) {
  NormCase c{GetParam(), {4, 19}};
  c.fill = NormCase::Constant;
  checkNorm(c);
}
TEST_P(NormVariantTest, ValuesNear1e4) {
  NormCase c{GetParam(), {4, 777}};
  c.fill = NormCase::Large;
  checkNorm(c);
}
TEST_P(NormVariantTest, NoParams) {
  NormCase c{GetParam(), {2, 3, 21}};
  c.gamma = c.beta = false;
  checkNorm(c);
}
TEST_P(NormVariantTest, GammaOnly) {
  NormCase c{GetParam(), {5, 12}};
  c.beta = false;
  checkNorm(c);
}
TEST_P(NormVariantTest, NormalizedRank2) {
  NormCase c{GetParam(), {2, 3, 5}};
  c.rowRank = 2;
  checkNorm(c);
}
TEST_P(NormVariantTest, WholeTensorIsTheRow) {
  NormCase c{GetParam(), {3, 5}};
  c.rowRank = 2;
  checkNorm(c);
}
TEST_P(NormVariantTest, F16) {
  NormCase c{GetParam(), {3, 771}};
  c.elt = Elt::F16;
  checkNorm(c);
}
TEST_P(NormVariantTest, BF16) {
  NormCase c{GetParam(), {3, 4096}};
  c.elt = Elt::BF16;
  checkNorm(c);
}
TEST_P(NormVariantTest, ManyRows) { checkNorm({GetParam(), {2, 64, 24}}); }
TEST_P(NormVariantTest, SerialRows) {
  NormCase c{GetParam(), {16, 100}};
  c.openmp = false;
  checkNorm(c);
}

INSTANTIATE_TEST_SUITE_P(LayerAndRms, NormVariantTest, ::testing::Bool());

} // namespace
