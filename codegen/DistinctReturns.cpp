//===- DistinctReturns.cpp - ndr-distinct-returns -------------------------===//
//
// buffer-results-to-out-params (hoist-static-allocs) turns each returned
// memref.alloc into its out-parameter and erases it, once per return
// operand: an allocation returned twice is erased twice. Each repeat returns
// a copy instead, which then becomes the second out-parameter.
//
//===----------------------------------------------------------------------===//

#include "codegen/Passes.h"

namespace mlir::ndr {
#define GEN_PASS_DEF_DISTINCTRETURNS
#include "codegen/Passes.h.inc"
} // namespace mlir::ndr

using namespace mlir;
using namespace mlir::ndr;

namespace {

struct DistinctReturnsPass
    : ndr::impl::DistinctReturnsBase<DistinctReturnsPass> {
  void runOnOperation() override {
    getOperation().walk([](func::ReturnOp ret) {
      OpBuilder b(ret);
      llvm::SmallPtrSet<Value, 4> seen;
      for (OpOperand &operand : ret->getOpOperands()) {
        Value value = operand.get();
        auto type = dyn_cast<MemRefType>(value.getType());
        if (!type || !type.hasStaticShape() ||
            !value.getDefiningOp<memref::AllocOp>() || seen.insert(value).second)
          continue;
        auto copy = memref::AllocOp::create(b, ret.getLoc(), type);
        memref::CopyOp::create(b, ret.getLoc(), value, copy);
        operand.set(copy);
      }
    });
  }
};

} // namespace
