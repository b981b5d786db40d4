//===- FoldBatchNorm.cpp - ndr-fold-batch-norm ------------------*- C++ -*-===//
//
// At inference a batch_norm is an affine map per channel; after a linear over
// the same channels it folds into the linear's weight and bias.
//
//===----------------------------------------------------------------------===//

#include "dialect/NdrOps.h"
#include "passes/ParamMath.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::ndr {
#define GEN_PASS_DEF_FOLDBATCHNORM
#include "passes/Passes.h.inc"
} // namespace mlir::ndr

using namespace mlir;
using namespace mlir::ndr;

namespace {

/// batch_norm(linear(x, W, b)) -> linear(x, W * s, (b - mean) * s + beta)
/// with s = gamma / sqrt(var + eps).
struct FoldIntoLinear : OpRewritePattern<BatchNormOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(BatchNormOp norm,
                                PatternRewriter &rewriter) const override {
    std::string why;
    LinearOp linear = matchLinearIntoBatchNorm(norm, why);
    if (!linear)
      return rewriter.notifyMatchFailure(norm, why);

    Value gamma = norm.getGamma(), beta = norm.getBeta(), bias = linear.getBias();
    float eps = norm.getEps().convertToFloat();
    // Operands of the scalar bodies, in order: the ones present.
    auto present = [](std::initializer_list<Value> values) {
      SmallVector<Value> result;
      for (Value v : values)
        if (v)
          result.push_back(v);
      return result;
    };
    // s = gamma / sqrt(var + eps), from the scalars `var` and `gamma`.
    auto scale = [eps](OpBuilder &b, Location loc, Value var, Value gamma) {
      Value epsValue = arith::ConstantFloatOp::create(b, loc, b.getF32Type(),
                                                      APFloat(eps));
      Value sd = math::SqrtOp::create(b, loc,
                                      arith::AddFOp::create(b, loc, var, epsValue));
      Value one = arith::ConstantFloatOp::create(b, loc, b.getF32Type(),
                                                 APFloat(1.0f));
      return arith::DivFOp::create(b, loc, gamma ? gamma : one, sd).getResult();
    };

    Location loc = norm.getLoc();
    Value weight = buildParamMap(
        rewriter, loc, linear.getWeight().getType(),
        present({linear.getWeight(), norm.getRunningVar(), gamma}),
        [&](OpBuilder &b, Location l, ArrayRef<Value> args) {
          Value s = scale(b, l, args[1], gamma ? args[2] : Value());
          return arith::MulFOp::create(b, l, args[0], s).getResult();
        });
    auto channels = cast<RankedTensorType>(norm.getRunningMean().getType());
    Value newBias = buildParamMap(
        rewriter, loc, channels,
        present({norm.getRunningMean(), norm.getRunningVar(), gamma, beta, bias}),
        [&](OpBuilder &b, Location l, ArrayRef<Value> args) {
          unsigned next = 2;
          Value g = gamma ? args[next++] : Value();
          Value bt = beta ? args[next++] : Value();
          Value bs = bias ? args[next++] : Value();
          Value centered = bs ? arith::SubFOp::create(b, l, bs, args[0])
                              : arith::SubFOp::create(
                                    b, l,
                                    arith::ConstantFloatOp::create(
                                        b, l, b.getF32Type(), APFloat(0.0f)),
                                    args[0]);
          Value result = arith::MulFOp::create(b, l, centered,
                                               scale(b, l, args[1], g));
          return bt ? arith::AddFOp::create(b, l, result, bt).getResult()
                    : result;
        });
    rewriter.replaceOpWithNewOp<LinearOp>(norm, linear.getInput(), weight,
                                          newBias);
    rewriter.eraseOp(linear);
    return success();
  }
};

struct FoldBatchNormPass : ndr::impl::FoldBatchNormBase<FoldBatchNormPass> {
  using FoldBatchNormBase::FoldBatchNormBase;
  void runOnOperation() override {
    if (mode != Mode::Infer)
      return;
    RewritePatternSet patterns(&getContext());
    patterns.add<FoldIntoLinear>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    if (!remarks)
      return;
    getOperation()->walk([](BatchNormOp norm) {
      std::string why;
      if (!matchLinearIntoBatchNorm(norm, why) &&
          norm.getInput().getDefiningOp<LinearOp>())
        norm.emitRemark("batch_norm not folded into the linear: ") << why;
    });
  }
};

} // namespace
