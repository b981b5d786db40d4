//===- SeedArgument.cpp - ndr-seed-argument -------------------------------===//
//
// The seed of a run is the last argument of a lowered model, after its
// inputs, parameters and (once results became out-parameters) outputs, and
// is marked `ndr.seed`: later passes look for the mark, not for "the i64".
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

  /// Moves the argument marked `ndr.seed` to the end, or adds one there.
  static LogicalResult makeSeedLast(func::FuncOp func) {
    std::optional<unsigned> seedIndex;
    for (BlockArgument arg : func.getArguments()) {
      unsigned index = arg.getArgNumber();
      if (func.getArgAttr(index, kSeedArgAttr))
        seedIndex = index;
      else if (isa<IntegerType>(arg.getType()))
        return func.emitError("a model's one integer argument is its seed, "
                              "marked 'ndr.seed'; argument ")
               << index << " is another";
    }
    unsigned end = func.getNumArguments();
    if (seedIndex && *seedIndex == end - 1)
      return success();
    OpBuilder b(func.getContext());
    auto marked = b.getDictionaryAttr(b.getNamedAttr(kSeedArgAttr, b.getUnitAttr()));
    if (failed(func.insertArgument(end, b.getI64Type(), marked, func.getLoc())))
      return failure();
    if (!seedIndex)
      return success();
    func.getArgument(*seedIndex).replaceAllUsesWith(func.getArgument(end));
    return func.eraseArgument(*seedIndex);
  }
};

} // namespace
