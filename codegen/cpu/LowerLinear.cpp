//===- LowerLinear.cpp - ndr.linear to linalg -----------------------------===//

#include "codegen/CodegenUtils.h"
#include "codegen/cpu/Passes.h"
#include "dialect/NdrOps.h"

#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::ndr;

namespace {

/// `y = x W^T + b` on the input collapsed to `[rows, in]`: an f32
/// accumulation over `(row, out, in)` that reads W `[out, in]` as stored (no
/// transpose is materialized), then an epilogue adding the bias and rounding
/// to the storage type. ndrc lowers f32 linear to OpenBLAS instead
/// (ndr-linear-to-blas); these loops serve f16/bf16 and --no-blas.
struct LowerLinear : OpRewritePattern<LinearOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LinearOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *context = op.getContext();
    auto resultType = cast<RankedTensorType>(op.getType());
    Value input = reshapeToRows(rewriter, loc, op.getInput(), 1);
    int64_t rows = cast<RankedTensorType>(input.getType()).getDimSize(0);
    int64_t outFeatures = op.getOutFeatures();
    auto accType = RankedTensorType::get({rows, outFeatures}, rewriter.getF32Type());

    Value zero = f32Constant(rewriter, loc, rewriter.getF32Type(), 0.0);
    Value acc = linalg::FillOp::create(rewriter, loc, zero,
                                       emptyTensor(rewriter, loc, accType))
                    .getResult(0);
    AffineExpr m, n, k;
    bindDims(context, m, n, k);
    SmallVector<AffineMap> maps = {AffineMap::get(3, 0, {m, k}, context),
                                   AffineMap::get(3, 0, {n, k}, context),
                                   AffineMap::get(3, 0, {m, n}, context)};
    utils::IteratorType iterators[] = {utils::IteratorType::parallel,
                                       utils::IteratorType::parallel,
                                       utils::IteratorType::reduction};
    acc = linalg::GenericOp::create(
              rewriter, loc, TypeRange{accType},
              ValueRange{input, op.getWeight()}, ValueRange{acc}, maps,
              iterators,
              [](OpBuilder &b, Location bodyLoc, ValueRange args) {
                Value product = arith::MulFOp::create(
                    b, bodyLoc, extendToF32(b, bodyLoc, args[0]),
                    extendToF32(b, bodyLoc, args[1]));
                linalg::YieldOp::create(
                    b, bodyLoc,
                    ValueRange{arith::AddFOp::create(b, bodyLoc, args[2], product)});
              })
              .getResult(0);

    auto rowsType = RankedTensorType::get({rows, outFeatures},
                                          resultType.getElementType());
    SmallVector<Value> inputs = {acc};
    SmallVector<AffineMap> inputMaps = {rewriter.getMultiDimIdentityMap(2)};
    if (Value bias = op.getBias()) {
      inputs.push_back(bias);
      inputMaps.push_back(broadcastMap(context, {outFeatures}, {rows, outFeatures}));
    }
    Value result = buildElementwise(
        rewriter, loc, rowsType, inputs, inputMaps,
        [](OpBuilder &b, Location bodyLoc, ValueRange args) -> Value {
          return args.size() == 1
                     ? args[0]
                     : arith::AddFOp::create(b, bodyLoc, args[0], args[1]);
        });
    rewriter.replaceOp(op, reshapeTo(rewriter, loc, result, resultType));
    return success();
  }
};

} // namespace

void ndr::populateLowerLinearPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerLinear>(patterns.getContext());
}
