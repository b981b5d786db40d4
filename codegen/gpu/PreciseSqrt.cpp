//===- PreciseSqrt.cpp - ndr-gpu-precise-sqrt -----------------------------===//

#include "codegen/gpu/Passes.h"

#include "mlir/IR/PatternMatch.h"

namespace mlir::ndr {
#define GEN_PASS_DEF_GPUPRECISESQRT
#include "codegen/gpu/Passes.h.inc"
} // namespace mlir::ndr

using namespace mlir;
using namespace mlir::ndr;

namespace {

struct GpuPreciseSqrtPass : ndr::impl::GpuPreciseSqrtBase<GpuPreciseSqrtPass> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    getOperation().walk([&](math::SqrtOp op) {
      if (!op.getType().isF32())
        return;
      rewriter.setInsertionPoint(op);
      auto call = LLVM::CallIntrinsicOp::create(
          rewriter, op.getLoc(), op.getType(),
          rewriter.getStringAttr("llvm.nvvm.sqrt.rn.f"), ValueRange{op.getOperand()});
      rewriter.replaceOp(op, call.getResults());
    });
  }
};

} // namespace
