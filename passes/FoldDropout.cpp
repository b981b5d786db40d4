//===- FoldDropout.cpp - ndr-fold-dropout -----------------------*- C++ -*-===//
//
// At inference dropout and DropConnect are the identity.
//
//===----------------------------------------------------------------------===//

#include "dialect/NdrOps.h"
#include "passes/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::ndr {
#define GEN_PASS_DEF_FOLDDROPOUT
#include "passes/Passes.h.inc"
} // namespace mlir::ndr

using namespace mlir;
using namespace mlir::ndr;

namespace {

/// dropout(x) -> x and drop_connect(w) -> w.
template <typename DropOp>
struct ForwardInput : OpRewritePattern<DropOp> {
  using OpRewritePattern<DropOp>::OpRewritePattern;
  LogicalResult matchAndRewrite(DropOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, op.getInput());
    return success();
  }
};

struct FoldDropoutPass : ndr::impl::FoldDropoutBase<FoldDropoutPass> {
  using FoldDropoutBase::FoldDropoutBase;
  void runOnOperation() override {
    if (mode != Mode::Infer)
      return;
    RewritePatternSet patterns(&getContext());
    patterns.add<ForwardInput<DropoutOp>, ForwardInput<DropConnectOp>>(
        &getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
