//===- PlanWorkspace.cpp - ndr-plan-workspace -----------------------------===//
//
// A model's intermediates (a linear's result, a group's result that the next
// group reads) were memref.allocs: a malloc and a free on every call, and, for
// the large ones, fresh pages that fault on every call. Their sizes are
// static, so the compiler plans them instead: each becomes a view at a fixed
// offset of one workspace argument, buffers whose lifetimes do not overlap
// share bytes, and the runtime allocates the workspace once per model and
// concurrent run (runtime/model.cpp).
//
//===----------------------------------------------------------------------===//

#include "codegen/Passes.h"
#include "dialect/ModelAttrs.h"

#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::ndr {
#define GEN_PASS_DEF_PLANWORKSPACE
#include "codegen/Passes.h.inc"
} // namespace mlir::ndr

using namespace mlir;
using namespace mlir::ndr;

namespace {

/// Offsets are multiples of a cache line, as the allocations were.
constexpr int64_t kAlignment = 64;

/// One planned allocation: live from op `first` to op `last` of the body.
struct Buffer {
  memref::AllocOp alloc;
  int64_t bytes;
  unsigned first, last;
  int64_t offset = 0;
};

/// The position in `body` of the last op that uses `value` or a view of it,
/// or nothing when a view leaves the function (returned: the buffer must
/// outlive the call) or is freed by the IR itself.
std::optional<unsigned> lastUse(Value value, Block &body,
                                const DenseMap<Operation *, unsigned> &index) {
  unsigned last = 0;
  SmallVector<Value> work{value};
  while (!work.empty()) {
    Value v = work.pop_back_val();
    for (Operation *user : v.getUsers()) {
      if (isa<func::ReturnOp, memref::DeallocOp>(user))
        return std::nullopt;
      Operation *top = body.findAncestorOpInBlock(*user);
      last = std::max(last, index.lookup(top));
      if (auto view = dyn_cast<ViewLikeOpInterface>(user))
        if (view.getViewSource() == v)
          llvm::append_range(work, user->getResults());
    }
  }
  return last;
}

/// Whether `alloc` can live in the workspace: a static, identity-layout
/// buffer of whole bytes in the default memory space.
bool isPlannable(memref::AllocOp alloc) {
  MemRefType type = alloc.getType();
  return type.hasStaticShape() && type.getLayout().isIdentity() &&
         !type.getMemorySpace() && type.getElementTypeBitWidth() % 8 == 0 &&
         alloc.getDynamicSizes().empty() && alloc.getSymbolOperands().empty();
}

/// Greedy placement, largest first: each buffer goes at the lowest aligned
/// offset free of the buffers already placed whose lifetimes overlap its
/// own. Returns the workspace's size.
int64_t place(MutableArrayRef<Buffer> buffers) {
  SmallVector<Buffer *> order;
  for (Buffer &b : buffers)
    order.push_back(&b);
  llvm::stable_sort(order, [](Buffer *a, Buffer *b) { return a->bytes > b->bytes; });
  SmallVector<Buffer *> placed;
  int64_t size = 0;
  for (Buffer *b : order) {
    SmallVector<Buffer *> live;
    for (Buffer *p : placed)
      if (p->first <= b->last && b->first <= p->last)
        live.push_back(p);
    llvm::sort(live, [](Buffer *x, Buffer *y) { return x->offset < y->offset; });
    int64_t offset = 0;
    for (Buffer *p : live) {
      if (offset + b->bytes <= p->offset)
        break;
      offset = std::max<int64_t>(offset, llvm::alignTo(p->offset + p->bytes, kAlignment));
    }
    b->offset = offset;
    size = std::max(size, offset + b->bytes);
    placed.push_back(b);
  }
  return static_cast<int64_t>(llvm::alignTo(size, kAlignment));
}

struct PlanWorkspacePass : ndr::impl::PlanWorkspaceBase<PlanWorkspacePass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (!func.isExternal() && func->hasAttr(kModelAttr) &&
          func.getBody().hasOneBlock())
        plan(func);
  }

  static void plan(func::FuncOp func) {
    Block &body = func.getBody().front();
    DenseMap<Operation *, unsigned> index;
    for (auto [i, op] : llvm::enumerate(body))
      index[&op] = i;
    SmallVector<Buffer> buffers;
    for (auto alloc : body.getOps<memref::AllocOp>()) {
      if (!isPlannable(alloc))
        continue;
      std::optional<unsigned> last = lastUse(alloc, body, index);
      if (!last)
        continue;
      MemRefType type = alloc.getType();
      buffers.push_back({alloc,
                         type.getNumElements() * type.getElementTypeBitWidth() / 8,
                         index[alloc], std::max(*last, index[alloc])});
    }
    if (buffers.empty())
      return;
    int64_t size = place(buffers);

    // The workspace goes before the seed, which stays last.
    unsigned position = func.getNumArguments();
    if (position && func.getArgAttr(position - 1, kSeedArgAttr))
      --position;
    OpBuilder b(func.getContext());
    auto type = MemRefType::get({size}, b.getI8Type());
    (void)func.insertArgument(position, type, {}, func.getLoc());
    func->setAttr(kWorkspaceAttr, b.getI64IntegerAttr(size));
    Value workspace = func.getArgument(position);
    for (Buffer &buffer : buffers) {
      b.setInsertionPoint(buffer.alloc);
      Location loc = buffer.alloc.getLoc();
      Value view = memref::ViewOp::create(
          b, loc, buffer.alloc.getType(), workspace,
          arith::ConstantIndexOp::create(b, loc, buffer.offset), ValueRange{});
      buffer.alloc.replaceAllUsesWith(view);
      buffer.alloc.erase();
    }
  }
};

} // namespace
