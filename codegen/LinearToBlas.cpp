//===- LinearToBlas.cpp - ndr-linear-to-blas ------------------------------===//

#include "codegen/Passes.h"
#include "dialect/NdrOps.h"

namespace mlir::ndr {
#define GEN_PASS_DEF_LINEARTOBLAS
#include "codegen/Passes.h.inc"
} // namespace mlir::ndr

using namespace mlir;
using namespace mlir::ndr;

namespace {

constexpr StringLiteral kLinearFunction = "ndr_linear_f32";

/// The address of the first element of `buffer`, as an index.
Value addressOf(OpBuilder &b, Location loc, Value buffer) {
  auto metadata = memref::ExtractStridedMetadataOp::create(b, loc, buffer);
  Value base = memref::ExtractAlignedPointerAsIndexOp::create(
      b, loc, metadata.getBaseBuffer());
  Value bytes = arith::MulIOp::create(
      b, loc, metadata.getOffset(), arith::ConstantIndexOp::create(b, loc, 4));
  return arith::AddIOp::create(b, loc, base, bytes);
}

/// The buffer of a tensor operand, which the call only reads.
Value bufferOf(OpBuilder &b, Location loc, Value tensor) {
  auto type = cast<RankedTensorType>(tensor.getType());
  return bufferization::ToBufferOp::create(
      b, loc, MemRefType::get(type.getShape(), type.getElementType()), tensor,
      /*read_only=*/true);
}

/// y = linear(x, w, b) -> ndr_linear_f32(&x, &w, &b or 0, &y, rows, in, out)
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
  Value bias = op.getBias() ? addressOf(b, loc, bufferOf(b, loc, op.getBias()))
                            : arith::ConstantIndexOp::create(b, loc, 0);
  auto i64 = [&](int64_t v) {
    return arith::ConstantIntOp::create(b, loc, v, 64).getResult();
  };
  func::CallOp::create(
      b, loc, callee,
      ValueRange{addressOf(b, loc, bufferOf(b, loc, op.getInput())),
                 addressOf(b, loc, bufferOf(b, loc, op.getWeight())), bias,
                 addressOf(b, loc, result), i64(rows), i64(in), i64(out)});
  op.replaceAllUsesWith(bufferization::ToTensorOp::create(
      b, loc, resultType, result, /*restrict=*/true, /*writable=*/true)
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
    if (linears.empty())
      return;

    auto callee = module.lookupSymbol<func::FuncOp>(kLinearFunction);
    if (!callee) {
      OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
      Type index = b.getIndexType(), i64 = b.getI64Type();
      callee = func::FuncOp::create(
          b, module.getLoc(), kLinearFunction,
          b.getFunctionType({index, index, index, index, i64, i64, i64}, {}));
      callee.setPrivate();
    }
    for (LinearOp op : linears)
      lowerToCall(op, callee);
  }
};

} // namespace
