//===- LowerDropout.cpp - dropout and drop_connect to linalg --------------===//

#include "codegen/CodegenUtils.h"
#include "codegen/Passes.h"
#include "codegen/Philox.h"
#include "dialect/NdrOps.h"

#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::ndr;

namespace {

/// Infer mode: the identity.
template <typename OpTy>
struct ForwardInput : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, op.getInput());
    return success();
  }
};

/// Train mode, when the element count is a multiple of 8: the flat tensor as
/// `[blocks, 8]`, an scf.forall over Philox blocks, each evaluated once for
/// its 8 elements (a vector<8xf32>).
template <typename OpTy>
struct LowerTrainDropoutBlocks : OpRewritePattern<OpTy> {
  LowerTrainDropoutBlocks(MLIRContext *context)
      : OpRewritePattern<OpTy>(context, /*benefit=*/2) {}

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    Value seed = lookupSeed(op);
    auto type = cast<RankedTensorType>(op.getType());
    if (!seed || type.getNumElements() % 8 != 0)
      return failure();
    Location loc = op.getLoc();
    float p = op.getP().convertToFloat();
    Type elementType = type.getElementType();
    int64_t blocks = type.getNumElements() / 8;
    auto blocksType = RankedTensorType::get({blocks, 8}, elementType);
    Value input = reshapeTo(rewriter, loc, op.getInput(), blocksType);
    auto forall = scf::ForallOp::create(
        rewriter, loc, ArrayRef<OpFoldResult>{rewriter.getIndexAttr(blocks)},
        ValueRange{emptyTensor(rewriter, loc, blocksType)}, std::nullopt);
    {
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPointToStart(forall.getBody());
      Value blockIndex = forall.getInductionVars()[0];
      Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
      Value padding = arith::ConstantOp::create(rewriter, loc,
                                                rewriter.getZeroAttr(elementType));
      auto vectorType = VectorType::get({8}, elementType);
      Value x = vector::TransferReadOp::create(
          rewriter, loc, vectorType, input, ValueRange{blockIndex, zero}, padding,
          ArrayRef<bool>{true});
      Value block = arith::IndexCastOp::create(rewriter, loc,
                                               rewriter.getI64Type(), blockIndex);
      Value draws =
          buildPhiloxBlockDraws(rewriter, loc, block, seed, op.getStream());
      Value y = buildDropoutApply(rewriter, loc, extendToF32(rewriter, loc, x),
                                  buildDropoutKeep(rewriter, loc, draws, p), p);
      SmallVector<OpFoldResult> offsets = {blockIndex, rewriter.getIndexAttr(0)};
      SmallVector<OpFoldResult> sizes = {rewriter.getIndexAttr(1),
                                         rewriter.getIndexAttr(8)};
      SmallVector<OpFoldResult> strides(2, rewriter.getIndexAttr(1));
      Value out = forall.getRegionIterArgs()[0];
      Value slice = tensor::ExtractSliceOp::create(
          rewriter, loc, RankedTensorType::get({8}, elementType), out, offsets,
          sizes, strides);
      Value written = vector::TransferWriteOp::create(
                          rewriter, loc,
                          truncateFromF32(rewriter, loc, y, elementType), slice,
                          ValueRange{zero}, ArrayRef<bool>{true})
                          .getResult();
      rewriter.setInsertionPointToStart(forall.getTerminator().getBody());
      tensor::ParallelInsertSliceOp::create(rewriter, loc, written, out, offsets,
                                            sizes, strides);
    }
    rewriter.replaceOp(op, reshapeTo(rewriter, loc, forall.getResult(0), type));
    return success();
  }
};

/// Train mode, any element count: a generic that draws each element's keep
/// bit from Philox at its row-major flat index, in the body (one Philox
/// evaluation per element).
template <typename OpTy>
struct LowerTrainDropout : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    Value seed = lookupSeed(op);
    if (!seed)
      return rewriter.notifyMatchFailure(op, "no seed argument");
    auto type = cast<RankedTensorType>(op.getType());
    float p = op.getP().convertToFloat();
    uint32_t stream = op.getStream();
    Value result = buildElementwise(
        rewriter, op.getLoc(), type, {op.getInput()},
        {rewriter.getMultiDimIdentityMap(type.getRank())},
        [&](OpBuilder &b, Location loc, ValueRange args) {
          Value flat = arith::ConstantIndexOp::create(b, loc, 0);
          for (int64_t dim = 0; dim < type.getRank(); ++dim) {
            Value size = arith::ConstantIndexOp::create(b, loc, type.getDimSize(dim));
            flat = arith::AddIOp::create(
                b, loc, arith::MulIOp::create(b, loc, flat, size),
                linalg::IndexOp::create(b, loc, dim));
          }
          Value index =
              arith::IndexCastOp::create(b, loc, b.getI64Type(), flat);
          Value keep = buildDropoutKeep(
              b, loc, buildPhiloxDraw(b, loc, index, seed, stream), p);
          return buildDropoutApply(b, loc, args[0], keep, p);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void ndr::populateLowerDropoutPatterns(RewritePatternSet &patterns, Mode mode) {
  MLIRContext *context = patterns.getContext();
  if (mode == Mode::Infer)
    patterns.add<ForwardInput<DropoutOp>, ForwardInput<DropConnectOp>>(context);
  else
    patterns.add<LowerTrainDropoutBlocks<DropoutOp>,
                 LowerTrainDropoutBlocks<DropConnectOp>,
                 LowerTrainDropout<DropoutOp>, LowerTrainDropout<DropConnectOp>>(
        context);
}
