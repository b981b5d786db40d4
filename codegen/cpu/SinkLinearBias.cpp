//===- SinkLinearBias.cpp - ndr-sink-linear-bias ----------------------------===//
//
// The runtime's GEMM adds a bias by writing it into the result first (one
// more pass over the output, on one thread) and accumulating onto it. A
// group that reads the result reads every element anyway: the bias costs
// nothing there.
//
//===----------------------------------------------------------------------===//

#include "codegen/cpu/Passes.h"
#include "dialect/NdrOps.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::ndr {
#define GEN_PASS_DEF_SINKLINEARBIAS
#include "codegen/cpu/Passes.h.inc"
} // namespace mlir::ndr

using namespace mlir;
using namespace mlir::ndr;

namespace {

/// linear(x, w, b) read only by a group -> linear(x, w), and the group adds b
/// to its operand before any other use.
struct SinkBiasIntoGroup : OpRewritePattern<LinearOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(LinearOp linear,
                                PatternRewriter &rewriter) const override {
    Value bias = linear.getBias();
    if (!bias || !linear.getType().getElementType().isF32())
      return rewriter.notifyMatchFailure(linear, "no f32 bias");
    if (!linear->hasOneUse())
      return rewriter.notifyMatchFailure(linear, "not a single use");
    OpOperand &use = *linear->use_begin();
    auto group = dyn_cast<FusionOp>(use.getOwner());
    if (!group)
      return rewriter.notifyMatchFailure(linear, "not read by a group");
    // A group's ops have its shape; a result it broadcasts would not.
    if (linear.getType().getShape() != group.getShape())
      return rewriter.notifyMatchFailure(linear, "broadcast into the group");

    unsigned number = use.getOperandNumber();
    Block &body = group.getBody().front();
    BlockArgument operand = body.getArgument(number);
    rewriter.setInsertionPoint(linear);
    Value unbiased = LinearOp::create(rewriter, linear.getLoc(),
                                      linear.getInput(), linear.getWeight(),
                                      Value());
    rewriter.modifyOpInPlace(group, [&] {
      // The group's own argument for b when it already reads b.
      auto inputs = group.getInputs();
      auto found = llvm::find(inputs, bias);
      BlockArgument biasArg;
      if (found != inputs.end()) {
        biasArg = body.getArgument(found - inputs.begin());
      } else {
        group.getInputsMutable().append(bias);
        biasArg = body.addArgument(bias.getType(), bias.getLoc());
      }
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPointToStart(&body);
      Value biased = AddOp::create(rewriter, linear.getLoc(), operand, biasArg);
      rewriter.replaceAllUsesExcept(operand, biased, biased.getDefiningOp());
      // After the append, which may move the operands.
      group->setOperand(number, unbiased);
    });
    rewriter.eraseOp(linear);
    return success();
  }
};

struct SinkLinearBiasPass
    : ndr::impl::SinkLinearBiasBase<SinkLinearBiasPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<SinkBiasIntoGroup>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
