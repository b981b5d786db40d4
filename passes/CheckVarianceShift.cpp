//===- CheckVarianceShift.cpp - ndr-check-variance-shift --------*- C++ -*-===//
//
// Dropout in front of batch_norm makes the variance batch_norm sees at
// inference differ from the one its running statistics learned in training
// (Li et al., CVPR 2019). This analysis finds such chains and warns.
//
//===----------------------------------------------------------------------===//

#include "dialect/NdrOps.h"
#include "passes/Passes.h"

#include "mlir/Interfaces/FunctionInterfaces.h"

#include "llvm/ADT/SetVector.h"
#include "llvm/Support/Format.h"

namespace mlir::ndr {
#define GEN_PASS_DEF_CHECKVARIANCESHIFT
#include "passes/Passes.h.inc"
} // namespace mlir::ndr

using namespace mlir;
using namespace mlir::ndr;

namespace {

/// Ops that carry a shifted variance from an operand to their result.
bool carriesVariance(Operation *op) {
  return isa<AddOp, MulOp, LinearOp, ReluOp, GeluOp, TanhOp, SigmoidOp,
             SiluOp, DropoutOp, DropConnectOp>(op);
}

/// The batch_norms that the output of `source` reaches, in program order.
SmallVector<BatchNormOp> findShiftedBatchNorms(Operation *source) {
  SmallVector<BatchNormOp> found;
  SmallVector<Value> worklist{source->getResult(0)};
  llvm::SmallPtrSet<Operation *, 16> visited;
  while (!worklist.empty()) {
    Value value = worklist.pop_back_val();
    for (OpOperand &use : value.getUses()) {
      Operation *user = use.getOwner();
      if (!visited.insert(user).second)
        continue;
      if (auto norm = dyn_cast<BatchNormOp>(user)) {
        if (use.get() == norm.getInput())
          found.push_back(norm);
        continue; // the first batch_norm is where the shift matters
      }
      if (carriesVariance(user))
        worklist.push_back(user->getResult(0));
      // Everything else, the re-standardizing norms included, ends the chain.
    }
  }
  // Program order, across nested regions too (block order only holds within
  // one block): the position of each op in a pre-order walk.
  DenseMap<Operation *, int64_t> position;
  Operation *scope = source->getParentOfType<FunctionOpInterface>();
  (scope ? scope : source->getParentOp())->walk<WalkOrder::PreOrder>([&](Operation *op) {
    int64_t next = position.size();
    position[op] = next;
  });
  llvm::sort(found, [&](BatchNormOp a, BatchNormOp b) {
    return position.lookup(a) < position.lookup(b);
  });
  return found;
}

template <typename DropOp>
void checkDropout(DropOp op) {
  float p = op.getP().convertToFloat();
  if (p == 0.0f)
    return;
  SmallVector<BatchNormOp> norms = findShiftedBatchNorms(op);
  if (norms.empty())
    return;
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "variance shift: " << op->getName() << " with p = "
     << llvm::format("%g", p) << " feeds a batch_norm; at inference the "
     << "variance that batch_norm sees shrinks by a factor of "
     << llvm::format("%g", 1.0 - double(p))
     << " (1 - p) for zero-mean inputs, so its running statistics no longer "
        "match (Li et al., CVPR 2019); move dropout after the last batch_norm";
  InFlightDiagnostic diag = op.emitWarning(text);
  for (BatchNormOp norm : norms)
    diag.attachNote(norm.getLoc())
        << "this batch_norm learned its running statistics with the dropout "
           "active";
}

struct CheckVarianceShiftPass
    : ndr::impl::CheckVarianceShiftBase<CheckVarianceShiftPass> {
  void runOnOperation() override {
    getOperation()->walk([](Operation *op) {
      if (auto dropout = dyn_cast<DropoutOp>(op))
        checkDropout(dropout);
      else if (auto dropConnect = dyn_cast<DropConnectOp>(op))
        checkDropout(dropConnect);
    });
    markAllAnalysesPreserved();
  }
};

} // namespace
