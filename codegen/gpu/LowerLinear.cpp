//===- LowerLinear.cpp - ndr.linear through cuBLAS ------------------------===//
//
// y = x W^T is the runtime's ndr_cuda_linear_<dtype> (cublasGemmEx, f32
// accumulation) on the buffers of x and W and a fresh one for y, enqueued on
// the function's stream; a bias is an `ndr.fusion` of one add, which the
// group lowering makes a kernel.
//
//===----------------------------------------------------------------------===//

#include "codegen/CodegenUtils.h"
#include "codegen/gpu/Kernels.h"
#include "codegen/gpu/Passes.h"
#include "dialect/NdrOps.h"

#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::ndr;

namespace {

StringRef dtypeSuffix(Type element) {
  return element.isF16() ? "f16" : element.isBF16() ? "bf16" : "f32";
}

/// The declaration of ndr_cuda_linear_<dtype>: x, w, y, then rows, in, out,
/// then the stream.
func::FuncOp getOrDeclare(ModuleOp module, Type element) {
  std::string name = ("ndr_cuda_linear_" + dtypeSuffix(element)).str();
  if (auto callee = module.lookupSymbol<func::FuncOp>(name))
    return callee;
  OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
  Type buffer = MemRefType::get({}, element), i64 = b.getI64Type();
  auto callee = func::FuncOp::create(
      b, module.getLoc(), name,
      b.getFunctionType({buffer, buffer, buffer, i64, i64, i64,
                         b.getType<gpu::AsyncTokenType>()},
                        {}));
  callee.setPrivate();
  return callee;
}

/// `y + bias` as a group of one add.
Value addBias(OpBuilder &b, Location loc, Value y, Value bias) {
  auto fusion = FusionOp::create(b, loc, TypeRange{y.getType()}, ValueRange{y, bias});
  Block *body = b.createBlock(&fusion.getBody());
  Value yArg = body->addArgument(y.getType(), loc);
  Value biasArg = body->addArgument(bias.getType(), loc);
  Value sum = AddOp::create(b, loc, yArg, biasArg);
  YieldOp::create(b, loc, ValueRange{sum});
  b.setInsertionPointAfter(fusion);
  return fusion.getResult(0);
}

struct LowerLinearToCublas : OpRewritePattern<LinearOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LinearOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value stream = gpu_kernels::lookupStream(op);
    if (!stream)
      return op.emitOpError("is lowered for CUDA in a function without a stream "
                            "argument (ndr-stream-argument)");
    auto type = cast<RankedTensorType>(op.getType());
    Type element = type.getElementType();
    int64_t in = op.getInFeatures(), out = op.getOutFeatures();
    int64_t rows = type.getNumElements() / out;
    func::FuncOp callee =
        getOrDeclare(op->getParentOfType<ModuleOp>(), element);
    Value result = memref::AllocOp::create(
        rewriter, loc, MemRefType::get(type.getShape(), element),
        rewriter.getI64IntegerAttr(64));
    SmallVector<Value> operands{
        firstElement(rewriter, loc, readOnlyBuffer(rewriter, loc, op.getInput())),
        firstElement(rewriter, loc, readOnlyBuffer(rewriter, loc, op.getWeight())),
        firstElement(rewriter, loc, result)};
    for (int64_t v : {rows, in, out})
      operands.push_back(arith::ConstantIntOp::create(rewriter, loc, v, 64));
    operands.push_back(stream);
    func::CallOp::create(rewriter, loc, callee, operands);
    Value y = bufferization::ToTensorOp::create(rewriter, loc, type, result,
                                                /*restrict=*/true, /*writable=*/true);
    if (Value bias = op.getBias())
      y = addBias(rewriter, loc, y, bias);
    rewriter.replaceOp(op, y);
    return success();
  }
};

} // namespace

void ndr::populateLowerLinearToCublasPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerLinearToCublas>(patterns.getContext());
}
