//===- NontemporalStores.cpp - ndr-nontemporal-stores ---------------------===//
//
// An output larger than the last-level cache is not read again soon; an
// ordinary store first reads its line for ownership, which costs a quarter
// of a kernel's memory traffic (2 reads + 1 write become 2 + 1 + 1). A
// non-temporal store skips that read. x86 needs it aligned to the vector:
// a loop whose stores stay aligned from one iteration to the next when the
// first is (a sweep over a row) is versioned on the alignment of its first
// stores, checked once before it; any other store checks its own address.
// Only outputs: an outlined kernel's out-parameter qualifies where its
// model passes its own output, not an intermediate it reads again.
// A fence at the end of the function orders the stores before the caller
// reads.
//
//===----------------------------------------------------------------------===//

#include "codegen/cpu/Passes.h"
#include "dialect/ModelAttrs.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::ndr {
#define GEN_PASS_DEF_NONTEMPORALSTORES
#include "codegen/cpu/Passes.h.inc"
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

int64_t vectorBytes(vector::TransferWriteOp write) {
  VectorType type = write.getVectorType();
  return type.getNumElements() * type.getElementTypeBitWidth() / 8;
}

/// The alignment a non-temporal store of `write`'s vector needs: its size, up
/// to 64 bytes; a wider vector (a wide step of a kernel) is split into
/// registers of at most 64 bytes (AVX-512), each then aligned.
int64_t alignmentBytes(vector::TransferWriteOp write) {
  return std::min<int64_t>(vectorBytes(write), 64);
}

/// Whether the address of `write` at column `col` is aligned for a
/// non-temporal store.
Value isAligned(OpBuilder &b, vector::TransferWriteOp write, Value col) {
  Location loc = write.getLoc();
  Value dest = write.getBase();
  auto metadata = memref::ExtractStridedMetadataOp::create(b, loc, dest);
  Value element = arith::AddIOp::create(
      b, loc, metadata.getOffset(),
      arith::MulIOp::create(b, loc, col, metadata.getStrides()[0]));
  int64_t elementBytes = cast<MemRefType>(dest.getType()).getElementTypeBitWidth() / 8;
  Value address = arith::AddIOp::create(
      b, loc, memref::ExtractAlignedPointerAsIndexOp::create(b, loc, dest),
      arith::MulIOp::create(b, loc, element,
                            arith::ConstantIndexOp::create(b, loc, elementBytes)));
  return arith::CmpIOp::create(
      b, loc, arith::CmpIPredicate::eq,
      arith::AndIOp::create(
          b, loc, address,
          arith::ConstantIndexOp::create(b, loc, alignmentBytes(write) - 1)),
      arith::ConstantIndexOp::create(b, loc, 0));
}

void replaceWithStore(OpBuilder &b, vector::TransferWriteOp write, bool nontemporal) {
  b.setInsertionPoint(write);
  if (nontemporal)
    vector::StoreOp::create(b, write.getLoc(), write.getVector(), write.getBase(),
                            write.getIndices(), /*nontemporal=*/true,
                            llvm::MaybeAlign(alignmentBytes(write)));
  else
    vector::StoreOp::create(b, write.getLoc(), write.getVector(), write.getBase(),
                            write.getIndices());
  write.erase();
}

/// A non-temporal store where the address is aligned, else an ordinary one.
void storeIfAligned(vector::TransferWriteOp write) {
  OpBuilder b(write);
  Location loc = write.getLoc();
  Value aligned = isAligned(b, write, write.getIndices()[0]);
  auto ifOp = scf::IfOp::create(b, loc, aligned, /*withElseRegion=*/true);
  write->moveBefore(ifOp.thenBlock()->getTerminator());
  Operation *copy = write->clone();
  ifOp.elseBlock()->getOperations().insert(ifOp.elseBlock()->getTerminator()->getIterator(),
                                           copy);
  replaceWithStore(b, write, /*nontemporal=*/true);
  replaceWithStore(b, cast<vector::TransferWriteOp>(copy), /*nontemporal=*/false);
}

/// The loop directly around `write` if the write's column is the loop's
/// induction variable plus a constant (`offset`), its destination is a
/// unit-stride view defined outside the loop, and each step moves it by whole
/// vectors; null otherwise.
scf::ForOp alignedLoop(vector::TransferWriteOp write, int64_t &offset) {
  auto loop = dyn_cast<scf::ForOp>(write->getParentOp());
  if (!loop || !loop.isDefinedOutsideOfLoop(write.getBase()))
    return {};
  Value col = write.getIndices()[0], iv = loop.getInductionVar();
  offset = 0;
  if (auto add = col.getDefiningOp<arith::AddIOp>()) {
    for (auto [base, constant] : {std::pair(add.getLhs(), add.getRhs()),
                                  std::pair(add.getRhs(), add.getLhs())})
      if (std::optional<int64_t> c = getConstantIntValue(constant); c && base == iv) {
        col = base;
        offset = *c;
      }
  }
  std::optional<int64_t> step = getConstantIntValue(loop.getStep());
  auto dest = cast<MemRefType>(write.getBase().getType());
  SmallVector<int64_t> strides;
  int64_t destOffset;
  if (col != iv || !step || failed(dest.getStridesAndOffset(strides, destOffset)) ||
      strides[0] != 1 || *step * dest.getElementTypeBitWidth() / 8 % alignmentBytes(write))
    return {};
  return loop;
}

/// `loop` twice: with non-temporal `writes` when each is aligned in the
/// first iteration (so in every one), else with ordinary stores. `offsets`:
/// each write's column less the induction variable.
void versionLoop(scf::ForOp loop, ArrayRef<vector::TransferWriteOp> writes,
                 ArrayRef<int64_t> offsets) {
  OpBuilder b(loop);
  Location loc = loop.getLoc();
  Value aligned;
  for (auto [write, offset] : llvm::zip(writes, offsets)) {
    Value col = arith::AddIOp::create(b, loc, loop.getLowerBound(),
                                      arith::ConstantIndexOp::create(b, loc, offset));
    Value check = isAligned(b, write, col);
    aligned = aligned ? arith::AndIOp::create(b, loc, aligned, check).getResult() : check;
  }
  auto ifOp = scf::IfOp::create(b, loc, loop.getResultTypes(), aligned,
                                /*withElseRegion=*/true);
  for (Block *block : {ifOp.thenBlock(), ifOp.elseBlock()})
    if (!block->empty())
      block->getTerminator()->erase();
  loop->replaceAllUsesWith(ifOp.getResults());
  b.setInsertionPointToEnd(ifOp.thenBlock());
  IRMapping map;
  auto fast = cast<scf::ForOp>(b.clone(*loop, map));
  scf::YieldOp::create(b, loc, fast.getResults());
  loop->moveBefore(ifOp.elseBlock(), ifOp.elseBlock()->end());
  b.setInsertionPointToEnd(ifOp.elseBlock());
  scf::YieldOp::create(b, loc, loop.getResults());
  for (vector::TransferWriteOp write : writes) {
    replaceWithStore(b, cast<vector::TransferWriteOp>(map.lookup(write.getOperation())),
                     /*nontemporal=*/true);
    replaceWithStore(b, write, /*nontemporal=*/false);
  }
}

/// Whether `arg` is its model's workspace (ndr-plan-workspace): the i8
/// buffer of the size the function's attribute names, which holds
/// intermediates the model reads again.
bool isWorkspace(BlockArgument arg, func::FuncOp func) {
  auto bytes = func->getAttrOfType<IntegerAttr>(kWorkspaceAttr);
  auto type = dyn_cast<MemRefType>(arg.getType());
  return bytes && type && type.getRank() == 1 &&
         type.getElementType().isInteger(8) &&
         type.getDimSize(0) == bytes.getInt();
}

/// The calls of each function of `module`.
using CallMap = DenseMap<StringAttr, SmallVector<func::CallOp>>;

/// Whether writes to `arg` reach memory that the module's caller reads back:
/// an argument of a function nothing in the module calls, or one that every
/// call passes (a view of) such an argument for. Not, say, a kernel's
/// out-parameter that its model fills with an intermediate (a view of its
/// workspace: the next kernel or linear reads it, from the cache if the
/// stores were ordinary).
bool isOutput(BlockArgument arg, const CallMap &calls, int depth = 0) {
  auto func = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp());
  if (!func || arg.getOwner() != &func.getBody().front())
    return false;
  auto it = calls.find(func.getSymNameAttr());
  if (it == calls.end())
    return !isWorkspace(arg, func);
  if (depth > 4)
    return false;
  return llvm::all_of(it->second, [&](func::CallOp call) {
    BlockArgument outer = viewedArgument(call.getOperand(arg.getArgNumber()));
    return outer && isOutput(outer, calls, depth + 1);
  });
}

struct NontemporalStoresPass
    : ndr::impl::NontemporalStoresBase<NontemporalStoresPass> {
  using NontemporalStoresBase::NontemporalStoresBase;
  void runOnOperation() override {
    CallMap calls;
    getOperation()->walk([&](func::CallOp call) {
      calls[call.getCalleeAttr().getAttr()].push_back(call);
    });
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (!func.isExternal())
        runOnFunction(func, calls);
  }

  void runOnFunction(func::FuncOp func, const CallMap &calls) {
    SmallVector<vector::TransferWriteOp> writes;
    func->walk([&](vector::TransferWriteOp write) {
      auto dest = dyn_cast<MemRefType>(write.getBase().getType());
      VectorType vectorType = write.getVectorType();
      BlockArgument arg = viewedArgument(write.getBase());
      if (!dest || dest.getRank() != 1 || write.getMask() || !arg ||
          arg.getOwner() != &func.getBody().front() ||
          vectorType.getRank() != 1 || !write.isDimInBounds(0) ||
          !write.getPermutationMap().isMinorIdentity())
        return;
      auto argType = cast<MemRefType>(arg.getType());
      int64_t bytes = argType.getNumElements() *
                      argType.getElementTypeBitWidth() / 8;
      if (bytes >= threshold && llvm::isPowerOf2_64(vectorBytes(write)) &&
          vectorBytes(write) >= 16 && isOutput(arg, calls))
        writes.push_back(write);
    });
    if (writes.empty())
      return;
    // Writes in a loop that keeps them aligned: versioned per loop.
    struct LoopWrites {
      SmallVector<vector::TransferWriteOp> writes;
      SmallVector<int64_t> offsets;
    };
    llvm::MapVector<Operation *, LoopWrites> loops;
    for (vector::TransferWriteOp write : writes) {
      int64_t offset;
      if (scf::ForOp loop = alignedLoop(write, offset)) {
        loops[loop].writes.push_back(write);
        loops[loop].offsets.push_back(offset);
      } else {
        storeIfAligned(write);
      }
    }
    for (auto &[loop, loopWrites] : loops)
      versionLoop(cast<scf::ForOp>(loop), loopWrites.writes, loopWrites.offsets);
    OpBuilder b(func.getContext());
    func->walk([&](func::ReturnOp ret) {
      b.setInsertionPoint(ret);
      LLVM::FenceOp::create(b, ret.getLoc(), LLVM::AtomicOrdering::seq_cst);
    });
  }
};

} // namespace
