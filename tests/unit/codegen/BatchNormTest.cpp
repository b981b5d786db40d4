//===- BatchNormTest.cpp - ndr.batch_norm end to end ----------------------===//

#include "Harness.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace ndr::test;
using mlir::ndr::Mode;

namespace {

struct BatchNormCase {
  std::vector<int64_t> shape;
  int64_t axis = 1;
  bool affine = true;
  Elt elt = Elt::F32;
  Mode mode = Mode::Infer;
  /// x is U(-1, 1) + offset when offset is set (1e4: a channel far from 0).
  double offset = 0;
  /// Every element of a channel the same (variance 0).
  bool constantChannels = false;
};

void checkBatchNorm(const BatchNormCase &c) {
  const float eps = 1e-5f, momentum = 0.1f;
  int64_t rank = c.shape.size();
  int64_t channelDim = c.axis < 0 ? c.axis + rank : c.axis;
  int64_t channels = c.shape[channelDim], inner = 1;
  for (int64_t d = channelDim + 1; d < rank; ++d)
    inner *= c.shape[d];
  Tensor x(c.shape, c.elt), y(c.shape, c.elt), mean({channels}, c.elt),
      var({channels}, c.elt), g({channels}, c.elt), b({channels}, c.elt);
  fillUniform(x, -3, 3, 30);
  auto channelOf = [&](int64_t i) { return (i / inner) % channels; };
  for (int64_t i = 0; i < x.size(); ++i) {
    if (c.constantChannels)
      x.set(i, 0.37 * double(channelOf(i) + 1) + c.offset);
    else if (c.offset != 0)
      x.set(i, x.get(i) / 3 + c.offset);
  }
  fillUniform(mean, -1, 1, 31);
  fillUniform(var, 0.5, 2, 32);
  fillUniform(g, 0.5, 1.5, 33);
  fillUniform(b, -0.5, 0.5, 34);
  Tensor mean0 = mean, var0 = var;

  std::string t = x.type(), ct = mean.type();
  std::vector<std::pair<std::string, std::string>> args = {
      {"x", t}, {"mean", ct}, {"var", ct}};
  std::vector<Tensor *> run = {&x, &mean, &var};
  std::string op = "  %y = ndr.batch_norm %x stats(%mean, %var : " + ct + ")";
  if (c.affine) {
    args.push_back({"g", ct});
    args.push_back({"b", ct});
    run.push_back(&g);
    run.push_back(&b);
    op += " gamma(%g : " + ct + ") beta(%b : " + ct + ")";
  }
  op += " axis = " + std::to_string(c.axis) + " : " + t;
  auto model =
      Model::compile(modelIR(args, {t}, op + "\n  return %y : " + t), c.mode);
  ASSERT_TRUE(model);
  run.push_back(&y);
  model->run(run);

  // Statistics per channel: running ones, or the batch's (biased variance).
  int64_t count = x.size() / channels;
  std::vector<double> m(channels), v(channels);
  for (int64_t ch = 0; ch < channels; ++ch) {
    if (c.mode == Mode::Infer) {
      m[ch] = mean0.get(ch);
      v[ch] = var0.get(ch);
    }
  }
  if (c.mode == Mode::Train) {
    for (int64_t i = 0; i < x.size(); ++i)
      m[channelOf(i)] += x.get(i) / count;
    for (int64_t i = 0; i < x.size(); ++i)
      v[channelOf(i)] += std::pow(x.get(i) - m[channelOf(i)], 2) / count;
  }
  std::vector<double> want;
  for (int64_t i = 0; i < x.size(); ++i) {
    int64_t ch = channelOf(i);
    double r = (x.get(i) - m[ch]) / std::sqrt(v[ch] + double(eps));
    if (c.affine)
      r = r * g.get(ch) + b.get(ch);
    want.push_back(r);
  }
  expectClose(y, want);

  std::vector<double> wantMean, wantVar;
  for (int64_t ch = 0; ch < channels; ++ch) {
    if (c.mode == Mode::Infer) {
      wantMean.push_back(mean0.get(ch));
      wantVar.push_back(var0.get(ch));
      continue;
    }
    wantMean.push_back((1 - momentum) * mean0.get(ch) + momentum * m[ch]);
    wantVar.push_back((1 - momentum) * var0.get(ch) +
                      momentum * v[ch] * count / (count - 1));
  }
  // Infer mode leaves the running statistics alone; train mode updates them
  // in place with the unbiased batch variance.
  expectClose(mean, wantMean);
  expectClose(var, wantVar);
}

TEST(BatchNormTest, InferChannelsFirst) { checkBatchNorm({{2, 3, 5, 5}}); }
TEST(BatchNormTest, InferChannelsLast) { checkBatchNorm({{6, 4}, -1}); }
TEST(BatchNormTest, InferNoAffine) { checkBatchNorm({{4, 10, 3}, 1, false}); }
TEST(BatchNormTest, InferF16) { checkBatchNorm({{2, 3, 7}, 1, true, Elt::F16}); }
TEST(BatchNormTest, TrainChannelsFirst) {
  checkBatchNorm({{4, 3, 5, 5}, 1, true, Elt::F32, Mode::Train});
}
TEST(BatchNormTest, TrainChannelsLast) {
  checkBatchNorm({{16, 8}, -1, false, Elt::F32, Mode::Train});
}
// Train mode, f32: the vectorized partial sums (ndr-decompose-train-batch-norm)
// over awkward shapes: channels last with 769 channels (a masked tail), one
// channel, more rows than row ranges (uneven ranges); channels first with one
// outer index and planes of 49 or 3 elements (masked tails); channels far from
// zero and constant ones (variance 0).
TEST(BatchNormTest, TrainChannelsLast769) {
  checkBatchNorm({{5, 769}, -1, true, Elt::F32, Mode::Train});
}
TEST(BatchNormTest, TrainOneChannel) {
  checkBatchNorm({{300, 1}, -1, false, Elt::F32, Mode::Train});
}
TEST(BatchNormTest, TrainManyRows) {
  checkBatchNorm({{130, 3, 24}, -1, true, Elt::F32, Mode::Train});
}
TEST(BatchNormTest, TrainSingleImage) {
  checkBatchNorm({{1, 3, 7, 7}, 1, true, Elt::F32, Mode::Train});
}
TEST(BatchNormTest, TrainShortPlanes) {
  checkBatchNorm({{2, 5, 3}, 1, false, Elt::F32, Mode::Train});
}
TEST(BatchNormTest, TrainLargeMagnitude) {
  checkBatchNorm({{64, 17}, -1, true, Elt::F32, Mode::Train, 1e4});
  checkBatchNorm({{4, 3, 9, 9}, 1, true, Elt::F32, Mode::Train, 1e4});
}
TEST(BatchNormTest, TrainConstantChannels) {
  checkBatchNorm({{8, 12}, -1, true, Elt::F32, Mode::Train, 0, true});
  checkBatchNorm({{3, 4, 5, 5}, 1, true, Elt::F32, Mode::Train, 1e3, true});
}
TEST(BatchNormTest, TrainBF16) {
  checkBatchNorm({{8, 4, 3}, 1, true, Elt::BF16, Mode::Train});
}

} // namespace
