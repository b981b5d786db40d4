//===- DropRedundantBias.cpp - ndr-drop-redundant-bias ----------*- C++ -*-===//
//
// batch_norm subtracts the mean of each channel, so a constant per-channel
// bias in front of it only moves that mean.
//
//===----------------------------------------------------------------------===//

#include "dialect/NdrOps.h"
#include "passes/ParamMath.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::ndr {
#define GEN_PASS_DEF_DROPREDUNDANTBIAS
#include "passes/Passes.h.inc"
} // namespace mlir::ndr

using namespace mlir;
using namespace mlir::ndr;

namespace {

/// batch_norm(linear(x, W, b), mean) -> batch_norm(linear(x, W), mean - b).
struct DropBiasIntoMean : OpRewritePattern<BatchNormOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(BatchNormOp norm,
                                PatternRewriter &rewriter) const override {
    std::string why;
    LinearOp linear = matchLinearIntoBatchNorm(norm, why);
    if (!linear || !linear.getBias())
      return rewriter.notifyMatchFailure(norm, "no redundant linear bias");

    Location loc = norm.getLoc();
    Value mean = buildParamMap(
        rewriter, loc, norm.getRunningMean().getType(),
        {norm.getRunningMean(), linear.getBias()},
        [](OpBuilder &b, Location l, ArrayRef<Value> args) {
          return arith::SubFOp::create(b, l, args[0], args[1]).getResult();
        });
    rewriter.setInsertionPoint(linear);
    Value unbiased = LinearOp::create(rewriter, linear.getLoc(),
                                      linear.getInput(), linear.getWeight(),
                                      Value());
    rewriter.modifyOpInPlace(norm, [&] {
      norm.getInputMutable().assign(unbiased);
      norm.getRunningMeanMutable().assign(mean);
    });
    rewriter.eraseOp(linear);
    return success();
  }
};

struct DropRedundantBiasPass
    : ndr::impl::DropRedundantBiasBase<DropRedundantBiasPass> {
  using DropRedundantBiasBase::DropRedundantBiasBase;
  void runOnOperation() override {
    if (mode == Mode::Train) {
      if (remarks)
        getOperation()->walk([](BatchNormOp norm) {
          std::string why;
          if (LinearOp linear = matchLinearIntoBatchNorm(norm, why);
              linear && linear.getBias())
            norm.emitRemark("linear bias kept: in train mode it shifts the "
                            "running_mean update");
        });
      return;
    }
    RewritePatternSet patterns(&getContext());
    patterns.add<DropBiasIntoMean>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    if (!remarks)
      return;
    getOperation()->walk([](BatchNormOp norm) {
      std::string why;
      auto linear = norm.getInput().getDefiningOp<LinearOp>();
      if (linear && linear.getBias() && !matchLinearIntoBatchNorm(norm, why))
        norm.emitRemark("linear bias not dropped: ") << why;
    });
  }
};

} // namespace
