//===- NontemporalStores.cpp - ndr-nontemporal-stores ---------------------===//
//
// An output larger than the last-level cache is not read again soon; an
// ordinary store first reads its line for ownership, which costs a quarter
// of a kernel's memory traffic (2 reads + 1 write become 2 + 1 + 1). A
// non-temporal store skips that read. x86 needs it aligned to the vector, so
// each full-chunk store to such an output checks its address and falls back
// to an ordinary store when it is not aligned; a fence at the end of the
// function orders the stores before the caller reads.
//
//===----------------------------------------------------------------------===//

#include "codegen/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::ndr {
#define GEN_PASS_DEF_NONTEMPORALSTORES
#include "codegen/Passes.h.inc"
} // namespace mlir::ndr

using namespace mlir;
using namespace mlir::ndr;

namespace {

/// The function argument `value` is a view of, or null.
BlockArgument viewedArgument(Value value) {
  while (auto view = value.getDefiningOp<ViewLikeOpInterface>())
    value = view.getViewSource();
  return dyn_cast<BlockArgument>(value);
}

struct NontemporalStoresPass
    : ndr::impl::NontemporalStoresBase<NontemporalStoresPass> {
  using NontemporalStoresBase::NontemporalStoresBase;
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    SmallVector<vector::TransferWriteOp> writes;
    func->walk([&](vector::TransferWriteOp write) {
      auto dest = dyn_cast<MemRefType>(write.getBase().getType());
      VectorType vectorType = write.getVectorType();
      BlockArgument arg = viewedArgument(write.getBase());
      if (!dest || dest.getRank() != 1 || write.getMask() || !arg ||
          arg.getOwner() != &func.getBody().front() ||
          vectorType.getRank() != 1 || !write.getInBounds()[0] ||
          !write.getPermutationMap().isMinorIdentity())
        return;
      auto argType = cast<MemRefType>(arg.getType());
      int64_t bytes = argType.getNumElements() *
                      argType.getElementTypeBitWidth() / 8;
      int64_t vectorBytes = vectorType.getNumElements() *
                            vectorType.getElementTypeBitWidth() / 8;
      if (bytes >= threshold && llvm::isPowerOf2_64(vectorBytes) &&
          vectorBytes >= 16)
        writes.push_back(write);
    });
    if (writes.empty())
      return;
    OpBuilder b(&getContext());
    for (vector::TransferWriteOp write : writes) {
      Location loc = write.getLoc();
      b.setInsertionPoint(write);
      Value dest = write.getBase(), col = write.getIndices()[0];
      auto metadata = memref::ExtractStridedMetadataOp::create(b, loc, dest);
      Value element = arith::AddIOp::create(
          b, loc, metadata.getOffset(),
          arith::MulIOp::create(b, loc, col, metadata.getStrides()[0]));
      int64_t elementBytes =
          cast<MemRefType>(dest.getType()).getElementTypeBitWidth() / 8;
      int64_t vectorBytes =
          write.getVectorType().getNumElements() * elementBytes;
      Value address = arith::AddIOp::create(
          b, loc, memref::ExtractAlignedPointerAsIndexOp::create(b, loc, dest),
          arith::MulIOp::create(
              b, loc, element, arith::ConstantIndexOp::create(b, loc, elementBytes)));
      Value aligned = arith::CmpIOp::create(
          b, loc, arith::CmpIPredicate::eq,
          arith::AndIOp::create(
              b, loc, address,
              arith::ConstantIndexOp::create(b, loc, vectorBytes - 1)),
          arith::ConstantIndexOp::create(b, loc, 0));
      Value value = write.getVector();
      scf::IfOp::create(
          b, loc, aligned,
          [&](OpBuilder &nb, Location l) {
            vector::StoreOp::create(nb, l, value, dest, ValueRange{col},
                                    /*nontemporal=*/true,
                                    llvm::MaybeAlign(vectorBytes));
            scf::YieldOp::create(nb, l);
          },
          [&](OpBuilder &nb, Location l) {
            vector::StoreOp::create(nb, l, value, dest, ValueRange{col});
            scf::YieldOp::create(nb, l);
          });
      write.erase();
    }
    func->walk([&](func::ReturnOp ret) {
      b.setInsertionPoint(ret);
      LLVM::FenceOp::create(b, ret.getLoc(), LLVM::AtomicOrdering::seq_cst);
    });
  }
};

} // namespace
