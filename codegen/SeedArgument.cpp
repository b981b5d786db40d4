//===- SeedArgument.cpp - ndr-seed-argument -------------------------------===//
//
// The seed of a run is the last argument of a lowered model, after its
// inputs, parameters and (once results became out-parameters) outputs.
//
//===----------------------------------------------------------------------===//

#include "codegen/Passes.h"
#include "dialect/ModelAttrs.h"

namespace mlir::ndr {
#define GEN_PASS_DEF_SEEDARGUMENT
#include "codegen/Passes.h.inc"
} // namespace mlir::ndr

using namespace mlir;
using namespace mlir::ndr;

namespace {

struct SeedArgumentPass : ndr::impl::SeedArgumentBase<SeedArgumentPass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (func.isExternal() || !func->hasAttr(kModelAttr))
        continue;
      if (failed(makeSeedLast(func)))
        return signalPassFailure();
    }
  }

  static LogicalResult makeSeedLast(func::FuncOp func) {
    Type i64 = IntegerType::get(func.getContext(), 64);
    std::optional<unsigned> seedIndex;
    for (BlockArgument arg : func.getArguments()) {
      if (!isa<IntegerType>(arg.getType()))
        continue;
      if (seedIndex || arg.getType() != i64)
        return func.emitError("a model takes one integer argument, the i64 "
                              "seed; found another at argument ")
               << arg.getArgNumber();
      seedIndex = arg.getArgNumber();
    }
    unsigned end = func.getNumArguments();
    if (seedIndex && *seedIndex == end - 1)
      return success();
    if (failed(func.insertArgument(end, i64, {}, func.getLoc())))
      return failure();
    if (!seedIndex)
      return success();
    func.getArgument(*seedIndex).replaceAllUsesWith(func.getArgument(end));
    return func.eraseArgument(*seedIndex);
  }
};

} // namespace
