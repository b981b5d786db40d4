//===- HoistLoopAllocas.cpp - ndr-hoist-loop-allocas ----------------------===//
//
// A row kernel keeps its scratch row in a memref.alloca inside the loop over
// rows. Threaded code gets a memref.alloca_scope around each iteration from
// scf-to-openmp; serial code runs one iteration at a time, so the alloca can
// move to the function's entry: one stack slot, not one per iteration.
//
//===----------------------------------------------------------------------===//

#include "codegen/cpu/Passes.h"

namespace mlir::ndr {
#define GEN_PASS_DEF_HOISTLOOPALLOCAS
#include "codegen/cpu/Passes.h.inc"
} // namespace mlir::ndr

using namespace mlir;
using namespace mlir::ndr;

namespace {

struct HoistLoopAllocasPass
    : ndr::impl::HoistLoopAllocasBase<HoistLoopAllocasPass> {
  void runOnOperation() override {
    Block &entry = getOperation().getBody().front();
    getOperation()->walk([&](memref::AllocaOp alloca) {
      if (alloca->getParentOfType<scf::ParallelOp>() &&
          alloca.getType().hasStaticShape() && alloca.getOperands().empty())
        alloca->moveBefore(&entry, entry.begin());
    });
  }
};

} // namespace
