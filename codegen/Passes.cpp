//===- Passes.cpp - ndr-lower-to-linalg and ndr-lower-fusions ---------------===//

#include "codegen/CodegenUtils.h"
#include "codegen/Passes.h"
#include "dialect/NdrOps.h"

#include "mlir/Dialect/Math/Transforms/Approximation.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::ndr {
#define GEN_PASS_DEF_LOWERTOLINALG
#define GEN_PASS_DEF_LOWERFUSIONS
#include "codegen/Passes.h.inc"
} // namespace mlir::ndr

using namespace mlir;
using namespace mlir::ndr;

/// Reports why the patterns left `op` alone: what the model lacks, where the
/// lowering needs something of it.
static void reportNotLowered(Operation *op, Mode mode) {
  // A group's random op, or the op itself.
  Operation *random = nullptr;
  op->walk([&](Operation *nested) {
    auto fused = dyn_cast<FusedAddNormOp>(nested);
    if (isa<DropoutOp, DropConnectOp>(nested) || (fused && fused.hasDropout())) {
      random = nested;
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  if (mode == Mode::Train && random && !lookupSeed(op)) {
    random->emitOpError(
        "draws a dropout mask in train mode but its function has no i64 seed "
        "argument: only functions marked 'ndr.model' get one "
        "(ndr-seed-argument)");
  } else if (mode == Mode::Train && isa<BatchNormOp>(op)) {
    op->emitOpError(
        "in train mode updates its running statistics in place, so they must "
        "be two distinct arguments of the function");
  } else {
    op->emitOpError("could not be lowered");
  }
}

/// Applies `patterns` and reports every op of `OpTys` still left.
template <typename... OpTys>
static LogicalResult lowerAll(Operation *root, RewritePatternSet &&patterns,
                              Mode mode) {
  if (failed(applyPatternsGreedily(root, std::move(patterns))))
    return root->emitError("lowering of the ndr ops did not converge");
  bool failed = false;
  root->walk([&](Operation *op) {
    if (isa<OpTys...>(op)) {
      reportNotLowered(op, mode);
      failed = true;
    }
  });
  return failure(failed);
}

namespace {

struct LowerToLinalgPass : ndr::impl::LowerToLinalgBase<LowerToLinalgPass> {
  using LowerToLinalgBase::LowerToLinalgBase;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateLowerLinearPatterns(patterns);
    populateLowerBatchNormPatterns(patterns, mode);
    if (failed(lowerAll<LinearOp, BatchNormOp>(getOperation(),
                                               std::move(patterns), mode)))
      signalPassFailure();
  }
};

struct LowerFusionsPass : ndr::impl::LowerFusionsBase<LowerFusionsPass> {
  using LowerFusionsBase::LowerFusionsBase;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateLowerFusionPatterns(patterns, mode);
    if (failed(lowerAll<FusionOp>(getOperation(), std::move(patterns), mode)))
      return signalPassFailure();
    // erfc, exp and tanh as polynomials: vectorizable, and no libm call per
    // element. The accuracy is tested against double precision
    // (tests/unit/codegen/ActivationAccuracyTest.cpp).
    RewritePatternSet approximations(&getContext());
    populateMathPolynomialApproximationPatterns(
        approximations, [](StringRef name) {
          return name == math::ErfcOp::getOperationName() ||
                 name == math::ExpOp::getOperationName() ||
                 name == math::TanhOp::getOperationName();
        });
    if (failed(applyPatternsGreedily(getOperation(), std::move(approximations))))
      signalPassFailure();
  }
};

} // namespace
