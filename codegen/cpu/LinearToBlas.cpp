//===- LinearToBlas.cpp - ndr-linear-to-blas ------------------------------===//

#include "codegen/CodegenUtils.h"
#include "codegen/cpu/Passes.h"
#include "dialect/NdrOps.h"

namespace mlir::ndr {
#define GEN_PASS_DEF_LINEARTOBLAS
#include "codegen/cpu/Passes.h.inc"
} // namespace mlir::ndr

using namespace mlir;
using namespace mlir::ndr;

namespace {

// Without and with a bias: the bare-pointer calling convention has no null
// memref to stand for "no bias".
constexpr StringLiteral kLinear = "ndr_linear_f32";
constexpr StringLiteral kLinearBias = "ndr_linear_bias_f32";

/// The declaration of `name`: pointers to x, w, [b,] y, then rows, in, out.
func::FuncOp getOrDeclare(ModuleOp module, StringRef name, bool bias) {
  if (auto callee = module.lookupSymbol<func::FuncOp>(name))
    return callee;
  OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
  Type element = MemRefType::get({}, b.getF32Type()), i64 = b.getI64Type();
  SmallVector<Type> inputs(bias ? 4 : 3, element);
  inputs.append({i64, i64, i64});
  auto callee = func::FuncOp::create(b, module.getLoc(), name,
                                     b.getFunctionType(inputs, {}));
  callee.setPrivate();
  return callee;
}

/// y = linear(x, w[, b]) -> ndr_linear[_bias]_f32(x, w, [b,] y, rows, in, out)
/// on a fresh buffer for y.
void lowerToCall(LinearOp op, func::FuncOp callee) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  auto resultType = cast<RankedTensorType>(op.getType());
  int64_t in = op.getInFeatures(), out = op.getOutFeatures();
  int64_t rows = resultType.getNumElements() / out;

  Value result = memref::AllocOp::create(
      b, loc, MemRefType::get(resultType.getShape(), b.getF32Type()),
      b.getI64IntegerAttr(64));
  SmallVector<Value> operands{
      firstElement(b, loc, readOnlyBuffer(b, loc, op.getInput())),
      firstElement(b, loc, readOnlyBuffer(b, loc, op.getWeight()))};
  if (op.getBias())
    operands.push_back(firstElement(b, loc, readOnlyBuffer(b, loc, op.getBias())));
  operands.push_back(firstElement(b, loc, result));
  for (int64_t v : {rows, in, out})
    operands.push_back(arith::ConstantIntOp::create(b, loc, v, 64));
  func::CallOp::create(b, loc, callee, operands);
  op.replaceAllUsesWith(bufferization::ToTensorOp::create(
                            b, loc, resultType, result, /*restrict=*/true,
                            /*writable=*/true)
                            .getResult());
  op.erase();
}

struct LinearToBlasPass : ndr::impl::LinearToBlasBase<LinearToBlasPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<LinearOp> linears;
    module.walk([&](LinearOp op) {
      if (op.getType().getElementType().isF32())
        linears.push_back(op);
    });
    for (LinearOp op : linears) {
      bool bias = static_cast<bool>(op.getBias());
      lowerToCall(op, getOrDeclare(module, bias ? kLinearBias : kLinear, bias));
    }
  }
};

} // namespace
