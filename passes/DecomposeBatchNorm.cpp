//===- DecomposeBatchNorm.cpp - ndr-decompose-batch-norm --------*- C++ -*-===//
//
// At inference batch_norm is a per-channel scale and shift. Written as
// ndr.add/ndr.mul over constants computed once from the parameters, it costs
// one subtraction and one multiply-add per element (no square root, no
// division) and fuses with the ops around it like any elementwise op.
//
//===----------------------------------------------------------------------===//

#include "passes/ParamMath.h"
#include "passes/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::ndr {
#define GEN_PASS_DEF_DECOMPOSEBATCHNORM
#include "passes/Passes.h.inc"
} // namespace mlir::ndr

using namespace mlir;
using namespace mlir::ndr;

namespace {

struct DecomposeInferBatchNorm : OpRewritePattern<BatchNormOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(BatchNormOp norm,
                                PatternRewriter &rewriter) const override {
    // The constants are stored in the model's element type: below f32 they
    // would round the scale before the multiply, which the f32 formula of the
    // generic lowering does not.
    if (!norm.getType().getElementType().isF32())
      return rewriter.notifyMatchFailure(norm, "f16/bf16 keep the f32 formula");
    Location loc = norm.getLoc();
    auto channels = cast<RankedTensorType>(norm.getRunningMean().getType());
    float eps = norm.getEps().convertToFloat();
    Value gamma = norm.getGamma();

    Value negMean = buildParamMap(
        rewriter, loc, channels, {norm.getRunningMean()},
        [](OpBuilder &b, Location l, ArrayRef<Value> args) {
          return arith::NegFOp::create(b, l, args[0]).getResult();
        });
    SmallVector<Value> scaleOperands = {norm.getRunningVar()};
    if (gamma)
      scaleOperands.push_back(gamma);
    Value scale = buildParamMap(
        rewriter, loc, channels, scaleOperands,
        [&](OpBuilder &b, Location l, ArrayRef<Value> args) {
          FloatType f32 = b.getF32Type();
          Value sd = math::SqrtOp::create(
              b, l,
              arith::AddFOp::create(
                  b, l, args[0], arith::ConstantFloatOp::create(b, l, f32, APFloat(eps))));
          Value numerator =
              gamma ? args[1]
                    : arith::ConstantFloatOp::create(b, l, f32, APFloat(1.0f))
                          .getResult();
          return arith::DivFOp::create(b, l, numerator, sd).getResult();
        });

    // [C] -> [C, 1, ..., 1]: broadcasts over the dimensions after the channel.
    int64_t trailing = norm.getType().getRank() - 1 - norm.getChannelDim();
    auto perChannel = [&](Value value) {
      return expandPerChannel(rewriter, loc, value, trailing);
    };
    Value y = AddOp::create(rewriter, loc, norm.getInput(), perChannel(negMean));
    y = MulOp::create(rewriter, loc, y, perChannel(scale));
    if (Value beta = norm.getBeta())
      y = AddOp::create(rewriter, loc, y, perChannel(beta));
    rewriter.replaceOp(norm, y);
    return success();
  }
};

struct DecomposeBatchNormPass
    : ndr::impl::DecomposeBatchNormBase<DecomposeBatchNormPass> {
  using DecomposeBatchNormBase::DecomposeBatchNormBase;
  void runOnOperation() override {
    if (mode != Mode::Infer)
      return;
    RewritePatternSet patterns(&getContext());
    patterns.add<DecomposeInferBatchNorm>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
