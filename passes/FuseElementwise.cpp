//===- FuseElementwise.cpp - ndr-fuse-elementwise ---------------*- C++ -*-===//
//
// Forms the ndr.fusion groups that the backends compile to one kernel each:
// a norm with its elementwise prologue and epilogue, and the elementwise ops
// left over, connected through values of one shape. The rules are in
// dialect/Fusion.h and in the pass description (Passes.td).
//
//===----------------------------------------------------------------------===//

#include "dialect/Format.h"
#include "dialect/Fusion.h"
#include "dialect/NdrOps.h"
#include "dialect/Shapes.h"
#include "passes/Passes.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::ndr {
#define GEN_PASS_DEF_FUSEELEMENTWISE
#include "passes/Passes.h.inc"
} // namespace mlir::ndr

using namespace mlir;
using namespace mlir::ndr;

namespace {

ArrayRef<int64_t> shapeOf(Value value) {
  return cast<RankedTensorType>(value.getType()).getShape();
}

/// A group being formed in one block.
struct Group {
  Operation *root = nullptr;
  SmallVector<int64_t> shape;
  int64_t firstRowDim;
  llvm::SmallSetVector<Operation *, 8> ops;
  Operation *last = nullptr;
};

class GroupBuilder {
public:
  GroupBuilder(Block &block, bool remarks) : block(block), remarks(remarks) {}

  /// Groups every norm with its prologue and epilogue, then the rest.
  SmallVector<Group> build() {
    SmallVector<Group> groups;
    for (Operation &op : block)
      if (isRowReduction(&op))
        groups.push_back(growRooted(&op));
    for (Operation &op : block)
      if (isElementwise(&op) && !assigned.contains(&op))
        groups.push_back(growUnrooted(&op));
    return groups;
  }

private:
  Group start(Operation *op, SmallVector<int64_t> shape, int64_t firstRowDim) {
    Group group;
    group.root = isRowReduction(op) ? op : nullptr;
    group.shape = std::move(shape);
    group.firstRowDim = firstRowDim;
    group.ops.insert(op);
    group.last = op;
    assigned.insert(op);
    return group;
  }

  Group growRooted(Operation *root) {
    SmallVector<int64_t> shape(shapeOf(root->getResult(0)));
    Group group = start(root, shape, shape.size() - getNormalizedRank(root));
    // Prologue: the norm's row operands and, transitively, theirs.
    SmallVector<Value> worklist;
    if (auto fused = dyn_cast<FusedAddNormOp>(root)) {
      worklist.push_back(fused.getInput());
      if (fused.getResidual())
        worklist.push_back(fused.getResidual());
    } else {
      worklist.push_back(root->getOperand(0));
    }
    while (!worklist.empty()) {
      Operation *producer = worklist.pop_back_val().getDefiningOp();
      if (!producer || group.ops.contains(producer) ||
          !tryJoin(group, producer, root))
        continue;
      for (Value operand : producer->getOperands())
        worklist.push_back(operand);
    }
    growConsumers(group, root);
    return group;
  }

  Group growUnrooted(Operation *seed) {
    SmallVector<int64_t> shape(shapeOf(seed->getResult(0)));
    Group group = start(seed, shape, shape.size() - 1);
    bool changed = true;
    while (changed) {
      changed = growConsumers(group, nullptr);
      for (size_t i = 0; i < group.ops.size(); ++i)
        for (Value operand : group.ops[i]->getOperands())
          if (Operation *producer = operand.getDefiningOp();
              producer && !group.ops.contains(producer))
            changed |= tryJoin(group, producer, nullptr);
    }
    return group;
  }

  /// Adds the elementwise users of the group's values that may join.
  bool growConsumers(Group &group, Operation *root) {
    bool grew = false;
    for (size_t i = 0; i < group.ops.size(); ++i)
      for (Operation *user : group.ops[i]->getUsers())
        if (!group.ops.contains(user) && !assigned.contains(user) &&
            isElementwise(user))
          grew |= tryJoin(group, user, root);
    return grew;
  }

  /// Adds `op` to the group if the rules allow it; with remarks, says why
  /// not where it is a neighbour of a norm.
  bool tryJoin(Group &group, Operation *op, Operation *root) {
    std::string why = whyNot(group, op);
    if (why.empty()) {
      group.ops.insert(op);
      assigned.insert(op);
      if (group.last->isBeforeInBlock(op))
        group.last = op;
      return true;
    }
    if (remarks && root && why != "-")
      op->emitRemark() << "not fused with the " << root->getName() << " at "
                       << root->getLoc() << ": " << why;
    return false;
  }

  /// Why `op` cannot join `group`: empty if it can, "-" when there is
  /// nothing to explain (not an elementwise op of this block).
  std::string whyNot(const Group &group, Operation *op) {
    if (op->getBlock() != &block || !isElementwise(op))
      return "-";
    if (assigned.contains(op))
      return "it belongs to another group (two norms never share one)";
    if (shapeOf(op->getResult(0)) != ArrayRef(group.shape))
      return fmt::format("its result {} is broadcast into the group's {}, so it "
                         "runs once, outside, instead of once per element",
                         formatShape(shapeOf(op->getResult(0))),
                         formatShape(group.shape));
    for (auto [i, operand] : llvm::enumerate(op->getOperands())) {
      if (classifyRowAccess(shapeOf(operand), group.shape, group.firstRowDim) ==
          RowAccess::Mixed)
        return fmt::format("operand #{} of shape {} varies along part of each row "
                           "and across rows",
                           i, formatShape(shapeOf(operand)));
    }
    // Every use outside the group must come after the group's last op, where
    // the group will stand; this also rules out cycles through outside ops.
    Operation *last = group.last->isBeforeInBlock(op) ? op : group.last;
    auto usedTooEarly = [&](Operation *member) {
      for (Operation *user : member->getUsers()) {
        if (user == op || group.ops.contains(user))
          continue;
        Operation *inBlock = block.findAncestorOpInBlock(*user);
        if (!inBlock || !last->isBeforeInBlock(inBlock))
          return true;
      }
      return false;
    };
    if (usedTooEarly(op) || llvm::any_of(group.ops, usedTooEarly))
      return "a value of the group would be used before the group ends";
    return "";
  }

  Block &block;
  bool remarks;
  DenseSet<Operation *> assigned;
};

/// Moves the ops of `group` into one ndr.fusion at the place of its last op.
void outline(Group &group, RewriterBase &rewriter) {
  SmallVector<Operation *> ops(group.ops.begin(), group.ops.end());
  llvm::sort(ops, [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });
  llvm::SetVector<Value> inputs, results;
  for (Operation *op : ops) {
    for (Value operand : op->getOperands())
      if (!group.ops.contains(operand.getDefiningOp()))
        inputs.insert(operand);
    for (Value result : op->getResults())
      if (llvm::any_of(result.getUsers(), [&](Operation *user) {
            return !group.ops.contains(user);
          }))
        results.insert(result);
  }
  // Nothing outside uses the group: its ops compute nothing.
  if (results.empty()) {
    for (Operation *op : llvm::reverse(ops))
      rewriter.eraseOp(op);
    return;
  }
  Location loc = group.root ? group.root->getLoc() : ops.back()->getLoc();
  rewriter.setInsertionPoint(ops.back());
  auto fusion = FusionOp::create(rewriter, loc,
                                 ValueRange(results.getArrayRef()).getTypes(),
                                 inputs.getArrayRef());
  Block *body = rewriter.createBlock(&fusion.getBody());
  IRMapping mapping;
  for (Value input : inputs)
    mapping.map(input, body->addArgument(input.getType(), input.getLoc()));
  for (Operation *op : ops)
    rewriter.clone(*op, mapping);
  SmallVector<Value> yielded;
  for (Value result : results)
    yielded.push_back(mapping.lookup(result));
  YieldOp::create(rewriter, loc, yielded);
  for (auto [result, replacement] : llvm::zip(results, fusion.getResults()))
    rewriter.replaceAllUsesWith(result, replacement);
  for (Operation *op : llvm::reverse(ops))
    rewriter.eraseOp(op);
}

struct FuseElementwisePass
    : ndr::impl::FuseElementwiseBase<FuseElementwisePass> {
  using FuseElementwiseBase::FuseElementwiseBase;
  void runOnOperation() override {
    SmallVector<Block *> blocks;
    getOperation()->walk([&](Block *block) {
      if (!isa<FusionOp>(block->getParentOp()))
        blocks.push_back(block);
    });
    IRRewriter rewriter(&getContext());
    for (Block *block : blocks)
      for (Group &group : GroupBuilder(*block, remarks).build())
        outline(group, rewriter);
  }
};

} // namespace
