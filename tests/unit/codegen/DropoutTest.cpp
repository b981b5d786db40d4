//===- DropoutTest.cpp - dropout masks end to end, bit-exact --------------===//

#include "Harness.h"

#include <gtest/gtest.h>

using namespace ndr::test;
using mlir::ndr::Mode;

namespace {

TEST(PhiloxReferenceTest, Random123KnownAnswers) {
  EXPECT_EQ(philox({0, 0, 0, 0}, {0, 0}),
            (std::array<uint32_t, 4>{0x6627e8d5, 0xe169c58d, 0xbc57ac4c,
                                     0x9b00dbd8}));
  EXPECT_EQ(philox({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
                   {0xffffffff, 0xffffffff}),
            (std::array<uint32_t, 4>{0x408f276d, 0x41c83b0e, 0xa20bc7c6,
                                     0x6d5451fd}));
  EXPECT_EQ(philox({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
                   {0xa4093822, 0x299f31d0}),
            (std::array<uint32_t, 4>{0xd16cfe09, 0x94fdcceb, 0x5001e420,
                                     0x24126ea1}));
}

/// Runs `op` (dropout or drop_connect) and checks every element: dropped
/// elements are 0, kept ones exactly `x * (1 / (1 - p))` rounded once.
void checkDropout(const std::string &op, std::vector<int64_t> shape, float p,
                  uint32_t stream, uint64_t seed, Elt elt = Elt::F32) {
  Tensor x(shape, elt), y(shape, elt);
  fillNonZero(x, 7);
  char pText[32];
  std::snprintf(pText, sizeof(pText), "%.9e", p);
  std::string ir = modelIR({{"x", x.type()}}, {y.type()},
                           "  %y = ndr." + op + " %x, p = " + pText +
                               ", stream = " + std::to_string(stream) + " : " +
                               x.type() + "\n  return %y : " + y.type());
  auto model = Model::compile(ir, Mode::Train);
  ASSERT_TRUE(model);
  model->run({&x, &y}, seed);
  Tensor want(shape, elt);
  int64_t kept = 0;
  for (int64_t i = 0; i < x.size(); ++i) {
    bool keep = dropoutKeep(i, seed, stream, p);
    kept += keep;
    want.set(i, keep ? double(float(x.get(i)) * dropoutScale(p)) : 0.0);
  }
  int mismatches = 0;
  for (int64_t i = 0; i < x.size(); ++i)
    if (y.get(i) != want.get(i) && mismatches++ < 5)
      ADD_FAILURE() << "element " << i << ": got " << y.get(i) << ", want "
                    << want.get(i);
  EXPECT_EQ(mismatches, 0);
  // The reference itself drops about p of the elements.
  if (x.size() >= 1000) {
    EXPECT_NEAR(double(kept) / x.size(), 1.0 - p, 0.05);
  }
}

TEST(DropoutTest, TrainMaskIsBitExact) {
  checkDropout("dropout", {3, 50}, 0.1f, 2, 0x123456789abcdefull);
}
TEST(DropoutTest, TrainRowsOfPartialSpans) {
  checkDropout("dropout", {3, 5, 40}, 0.2f, 6, 99);
}
TEST(DropoutTest, TrainHalf1D) { checkDropout("dropout", {1000}, 0.5f, 0, 42); }
TEST(DropoutTest, TrainLargeStreamAndSeed) {
  checkDropout("dropout", {2, 3, 37}, 0.25f, 0xfffffffeu, ~0ull);
}
TEST(DropoutTest, TrainAllDropped) { checkDropout("dropout", {4, 9}, 1.0f, 1, 5); }
TEST(DropoutTest, TrainTinyP) { checkDropout("dropout", {4000}, 1e-4f, 3, 9); }
TEST(DropoutTest, TrainBF16) {
  checkDropout("dropout", {7, 13}, 0.3f, 4, 77, Elt::BF16);
}
TEST(DropoutTest, TrainF16) {
  checkDropout("dropout", {7, 13}, 0.3f, 4, 77, Elt::F16);
}
TEST(DropConnectTest, TrainMaskIsBitExact) {
  checkDropout("drop_connect", {16, 24}, 0.4f, 7, 1234);
}

TEST(DropoutTest, InferIsIdentity) {
  Tensor x({5, 6}), y({5, 6});
  fillNonZero(x, 8);
  std::string ir = modelIR({{"x", x.type()}}, {y.type()},
                           "  %y = ndr.dropout %x, p = 0.5, stream = 0 : " +
                               x.type() + "\n  return %y : " + y.type());
  auto model = Model::compile(ir, Mode::Infer);
  ASSERT_TRUE(model);
  model->run({&x, &y}, 3);
  for (int64_t i = 0; i < x.size(); ++i)
    EXPECT_EQ(y.get(i), x.get(i));
}

TEST(DropoutTest, TwoOpsUseTheirOwnStreams) {
  Tensor x({64}), y({64});
  fillNonZero(x, 9);
  std::string t = x.type();
  std::string ir = modelIR(
      {{"x", t}}, {t},
      "  %a = ndr.dropout %x, p = 0.5, stream = 0 : " + t +
          "\n  %b = ndr.dropout %a, p = 0.5, stream = 1 : " + t +
          "\n  return %b : " + t);
  auto model = Model::compile(ir, Mode::Train);
  ASSERT_TRUE(model);
  model->run({&x, &y}, 11);
  for (int64_t i = 0; i < x.size(); ++i) {
    bool keep = dropoutKeep(i, 11, 0, 0.5f) && dropoutKeep(i, 11, 1, 0.5f);
    EXPECT_EQ(y.get(i) != 0, keep) << "element " << i;
  }
}

// Two groups equal but for their streams share one outlined kernel
// (ndr-outline-fusions), which takes each call's stream as an argument.
TEST(DropoutTest, SharedKernelDrawsEachCallsStream) {
  Tensor a({4, 264}), b({4, 264}), ya({4, 264}), yb({4, 264});
  fillNonZero(a, 12);
  fillNonZero(b, 13);
  std::string t = a.type();
  std::string ir = modelIR(
      {{"a", t}, {"b", t}}, {t, t},
      "  %ya = ndr.dropout %a, p = 0.5, stream = 3 : " + t +
          "\n  %yb = ndr.dropout %b, p = 0.5, stream = 8 : " + t +
          "\n  return %ya, %yb : " + t + ", " + t);
  auto model = Model::compile(ir, Mode::Train);
  ASSERT_TRUE(model);
  model->run({&a, &b, &ya, &yb}, 17);
  for (int64_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(ya.get(i) != 0, dropoutKeep(i, 17, 3, 0.5f)) << "a, element " << i;
    EXPECT_EQ(yb.get(i) != 0, dropoutKeep(i, 17, 8, 0.5f)) << "b, element " << i;
  }
}

// Dropout after a norm: drawn in the norm's last sweep (its epilogue), in
// rows of whole blocks (a span and a rest) and in rows that straddle them.
class DropoutAfterNormTest : public ::testing::TestWithParam<int64_t> {};

TEST_P(DropoutAfterNormTest, MaskFollowsSectionFive) {
  Tensor x({3, GetParam()}), y({3, GetParam()});
  fillNonZero(x, 10);
  std::string t = x.type();
  std::string ir = modelIR({{"x", t}}, {t},
                           "  %n = ndr.layer_norm %x : " + t +
                               "\n  %y = ndr.dropout %n, p = 0.3, stream = 9 : " + t +
                               "\n  return %y : " + t);
  auto model = Model::compile(ir, Mode::Train);
  ASSERT_TRUE(model);
  model->run({&x, &y}, 21);
  for (int64_t i = 0; i < x.size(); ++i)
    EXPECT_EQ(y.get(i) != 0, dropoutKeep(i, 21, 9, 0.3f)) << "element " << i;
}

INSTANTIATE_TEST_SUITE_P(Rows, DropoutAfterNormTest, ::testing::Values(264, 20));

} // namespace
