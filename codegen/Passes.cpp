//===- Passes.cpp - ndr-lower-to-linalg and ndr-lower-norms ---------------===//

#include "codegen/CodegenUtils.h"
#include "codegen/Passes.h"
#include "dialect/NdrOps.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::ndr {
#define GEN_PASS_DEF_LOWERTOLINALG
#define GEN_PASS_DEF_LOWERNORMROWS
#include "codegen/Passes.h.inc"
} // namespace mlir::ndr

using namespace mlir;
using namespace mlir::ndr;

/// Reports why the patterns left `op` alone: what the model lacks, where the
/// lowering needs something of it.
static void reportNotLowered(Operation *op, Mode mode) {
  bool random = isa<DropoutOp, DropConnectOp>(op);
  if (auto fused = dyn_cast<FusedAddNormOp>(op))
    random = fused.hasDropout();
  if (mode == Mode::Train && random && !lookupSeed(op)) {
    op->emitOpError(
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
    populateLowerElementwisePatterns(patterns);
    populateLowerLinearPatterns(patterns);
    populateLowerDropoutPatterns(patterns, mode);
    populateLowerBatchNormPatterns(patterns, mode);
    if (failed(lowerAll<AddOp, MulOp, LinearOp, ReluOp, GeluOp, TanhOp,
                        SigmoidOp, SiluOp, DropoutOp, DropConnectOp,
                        BatchNormOp>(getOperation(), std::move(patterns), mode)))
      signalPassFailure();
  }
};

struct LowerNormRowsPass : ndr::impl::LowerNormRowsBase<LowerNormRowsPass> {
  using LowerNormRowsBase::LowerNormRowsBase;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateLowerNormRowPatterns(patterns, mode);
    if (failed(lowerAll<LayerNormOp, RmsNormOp, FusedAddNormOp>(
            getOperation(), std::move(patterns), mode)))
      signalPassFailure();
  }
};

} // namespace
