//===- FoldOutputCopies.cpp - ndr-fold-output-copies ----------------------===//
//
// A kernel writes its [rows, size] view of a result; when the result has
// another shape, the function returns a reshape of that buffer and
// buffer-results-to-out-params copies it into the output argument, with a
// fresh allocation (page faults) and a copy on every call. The buffer can be
// the output argument itself, reshaped: then both go away.
//
//===----------------------------------------------------------------------===//

#include "codegen/Passes.h"

#include <numeric>

namespace mlir::ndr {
#define GEN_PASS_DEF_FOLDOUTPUTCOPIES
#include "codegen/Passes.h.inc"
} // namespace mlir::ndr

using namespace mlir;
using namespace mlir::ndr;

namespace {

/// The allocation `value` is a chain of reshapes of, or null.
memref::AllocOp reshapedAlloc(Value value) {
  while (Operation *op = value.getDefiningOp()) {
    if (auto alloc = dyn_cast<memref::AllocOp>(op))
      return alloc;
    if (auto expand = dyn_cast<memref::ExpandShapeOp>(op))
      value = expand.getSrc();
    else if (auto collapse = dyn_cast<memref::CollapseShapeOp>(op))
      value = collapse.getSrc();
    else
      return {};
  }
  return {};
}

/// `value` (identity layout, static shape) reshaped to `type`.
Value reshape(OpBuilder &b, Location loc, Value value, MemRefType type) {
  auto from = cast<MemRefType>(value.getType());
  if (from.getRank() == 0) // a scalar: [1], with no dimension to split
    value = memref::ExpandShapeOp::create(
        b, loc, MemRefType::get({1}, from.getElementType()), value,
        ArrayRef<ReassociationIndices>{});
  if (from.getRank() > 1) {
    ReassociationIndices all(from.getRank());
    std::iota(all.begin(), all.end(), 0);
    value = memref::CollapseShapeOp::create(b, loc, value,
                                            ArrayRef<ReassociationIndices>{all});
  }
  if (type.getRank() == 1)
    return value;
  if (type.getRank() == 0)
    return memref::CollapseShapeOp::create(b, loc, type, value,
                                           ArrayRef<ReassociationIndices>{});
  ReassociationIndices all(type.getRank());
  std::iota(all.begin(), all.end(), 0);
  return memref::ExpandShapeOp::create(b, loc, type, value,
                                       ArrayRef<ReassociationIndices>{all});
}

struct FoldOutputCopiesPass
    : ndr::impl::FoldOutputCopiesBase<FoldOutputCopiesPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    Block &entry = func.getBody().front();
    SmallVector<memref::CopyOp> copies(entry.getOps<memref::CopyOp>());
    for (memref::CopyOp copy : copies) {
      auto target = dyn_cast<BlockArgument>(copy.getTarget());
      memref::AllocOp alloc = reshapedAlloc(copy.getSource());
      // Only an output: an argument nothing else reads (not, say, running
      // statistics updated from their old value).
      if (!target || target.getOwner() != &entry || !target.hasOneUse() || !alloc ||
          alloc->getBlock() != &entry || !alloc.getType().getLayout().isIdentity() ||
          !cast<MemRefType>(target.getType()).getLayout().isIdentity() ||
          !alloc.getType().hasStaticShape())
        continue;
      OpBuilder b(alloc);
      Value replacement = reshape(b, alloc.getLoc(), target, alloc.getType());
      alloc.getResult().replaceAllUsesWith(replacement);
      alloc.erase();
      copy.erase();
    }
  }
};

} // namespace
