//===- GroupOps.cpp - the ops of an ndr.fusion group as f32 code ----------===//

#include "codegen/GroupOps.h"
#include "codegen/Activations.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace mlir::ndr;

Value ndr::buildGroupOp(OpBuilder &b, Location loc, Operation *op,
                        ValueRange operands, DropoutFn dropout) {
  if (isa<AddOp>(op))
    return arith::AddFOp::create(b, loc, operands[0], operands[1]);
  if (isa<MulOp>(op))
    return arith::MulFOp::create(b, loc, operands[0], operands[1]);
  if (auto op2 = dyn_cast<DropoutOp>(op))
    return dropout(operands[0], op2.getP(), op2.getStream());
  if (auto op2 = dyn_cast<DropConnectOp>(op))
    return dropout(operands[0], op2.getP(), op2.getStream());
  return buildActivation(b, loc, op, operands[0]);
}

Value ndr::buildNormInput(OpBuilder &b, Location loc, Operation *root,
                          function_ref<Value(Value)> eval, DropoutFn dropout) {
  auto fused = dyn_cast<FusedAddNormOp>(root);
  if (!fused)
    return eval(root->getOperand(0));
  Value s = eval(fused.getInput());
  if (fused.getBias())
    s = arith::AddFOp::create(b, loc, s, eval(fused.getBias()));
  if (fused.hasDropout())
    s = dropout(s, *fused.getP(), *fused.getStream());
  if (fused.getResidual())
    s = arith::AddFOp::create(b, loc, s, eval(fused.getResidual()));
  return s;
}

bool ndr::isLayerNorm(Operation *root) {
  if (auto fused = dyn_cast<FusedAddNormOp>(root))
    return fused.getKind() == NormKind::Layer;
  return isa<LayerNormOp>(root);
}

float ndr::normEps(Operation *root) {
  if (auto norm = dyn_cast<LayerNormOp>(root))
    return norm.getEps().convertToFloat();
  if (auto norm = dyn_cast<RmsNormOp>(root))
    return norm.getEps().convertToFloat();
  return cast<FusedAddNormOp>(root).getEps().convertToFloat();
}

std::pair<Value, Value> ndr::normParams(Operation *root) {
  if (auto norm = dyn_cast<LayerNormOp>(root))
    return {norm.getGamma(), norm.getBeta()};
  if (auto norm = dyn_cast<RmsNormOp>(root))
    return {norm.getGamma(), Value()};
  auto fused = cast<FusedAddNormOp>(root);
  return {fused.getGamma(), fused.getBeta()};
}

llvm::DenseSet<Value> ndr::valuesAfterRoot(FusionOp fusion, Operation *root) {
  llvm::DenseSet<Value> after;
  for (Value result : root->getResults())
    after.insert(result);
  for (Operation &op : fusion.getBody().front())
    if (llvm::any_of(op.getOperands(), [&](Value v) { return after.contains(v); }))
      for (Value result : op.getResults())
        after.insert(result);
  // fused_add_norm's sum is known before the statistics.
  if (root->getNumResults() > 1)
    after.erase(root->getResult(1));
  return after;
}
