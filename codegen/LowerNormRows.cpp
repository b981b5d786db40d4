//===- LowerNormRows.cpp - norms to vectorized row kernels ----------------===//
//
// layer_norm, rms_norm and fused_add_norm become one scf.forall over rows.
// Each row is swept twice in vector<8xf32> chunks (a masked chunk at the end
// when the row size is not a multiple of 8): once for the statistics, once
// for the output. Loads are extended to f32 and stores rounded once.
//
//===----------------------------------------------------------------------===//

#include "codegen/CodegenUtils.h"
#include "codegen/Passes.h"
#include "codegen/Philox.h"
#include "dialect/NdrOps.h"

#include "mlir/IR/PatternMatch.h"

#include <numeric>

using namespace mlir;
using namespace mlir::ndr;

namespace {

constexpr int64_t kLanes = 8;

/// A norm over the rows of a `[rows, size]` tensor, with the optional parts
/// of fused_add_norm: `s = residual + dropout(input + bias)`, `y = Norm(s)`.
struct RowNorm {
  NormKind kind;
  Value input;            // [rows, size]
  Value bias;             // [size] or null
  Value residual;         // [rows, size] or null
  Value gamma, beta;      // [size] or null
  std::optional<float> p; // train-mode dropout
  uint32_t stream = 0;
  Value seed;
  float eps;
  bool withSum = false;
};

/// Builds the body of one row: reads, the two sweeps and the row results.
class RowBuilder {
public:
  RowBuilder(OpBuilder &b, Location loc, const RowNorm &norm, Value row)
      : b(b), loc(loc), norm(norm), row(row) {
    auto type = cast<RankedTensorType>(norm.input.getType());
    size = type.getDimSize(1);
    elementType = type.getElementType();
    storageVector = VectorType::get({kLanes}, elementType);
    f32Vector = VectorType::get({kLanes}, b.getF32Type());
    padding = arith::ConstantOp::create(b, loc, b.getZeroAttr(elementType));
    if (int64_t rest = size % kLanes)
      tailMask = vector::ConstantMaskOp::create(
          b, loc, VectorType::get({kLanes}, b.getI1Type()),
          ArrayRef<int64_t>{rest});
  }

  /// The normalized row, and `s` when asked for, written into `outRows`.
  SmallVector<Value> build(ValueRange outRows) {
    Value zero = f32Constant(b, loc, f32Vector, 0.0);
    bool layer = norm.kind == NormKind::Layer;
    // Layer norm sums `s - s[0]`: far from zero (say 1e4 +- 1) the f32 sums
    // of `s` itself would lose the variance to rounding.
    if (layer) {
      Value first = chunk(index(0), size >= kLanes ? Value() : tailMask);
      shift = vector::BroadcastOp::create(
          b, loc, f32Vector, vector::ExtractOp::create(b, loc, first, 0));
    }

    // Sweep 1: per lane, the sum of squares (and for layer norm the sum);
    // `s` is stored here when it is a result.
    SmallVector<Value> state = {zero};
    if (layer)
      state.push_back(zero);
    if (norm.withSum)
      state.push_back(outRows[1]);
    state = sweep(state, [&](Value col, Value mask, ValueRange in) {
      Value s = chunk(col, mask);
      Value d = layer ? arith::SubFOp::create(b, loc, s, shift) : s;
      if (mask)
        d = arith::SelectOp::create(b, loc, mask, d, zero);
      SmallVector<Value> out = {vector::FMAOp::create(b, loc, d, d, in[0])};
      if (layer)
        out.push_back(arith::AddFOp::create(b, loc, in[1], d));
      if (norm.withSum)
        out.push_back(store(s, in.back(), col, mask));
      return out;
    });

    Type f32 = b.getF32Type();
    auto reduce = [&](Value v) -> Value {
      return vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD, v);
    };
    Value count = f32Constant(b, loc, f32, double(size));
    Value meanSq = arith::DivFOp::create(b, loc, reduce(state[0]), count);
    Value var = meanSq;
    if (layer) {
      mean = arith::DivFOp::create(b, loc, reduce(state[1]), count);
      var = arith::SubFOp::create(b, loc, meanSq,
                                  arith::MulFOp::create(b, loc, mean, mean));
      var = arith::MaximumFOp::create(b, loc, var, f32Constant(b, loc, f32, 0.0));
      mean = vector::BroadcastOp::create(b, loc, f32Vector, mean);
    }
    Value rstd = arith::DivFOp::create(
        b, loc, f32Constant(b, loc, f32, 1.0),
        math::SqrtOp::create(
            b, loc,
            arith::AddFOp::create(b, loc, var, f32Constant(b, loc, f32, norm.eps))));
    rstd = vector::BroadcastOp::create(b, loc, f32Vector, rstd);

    // Sweep 2: the output.
    SmallVector<Value> results = sweep(
        {outRows[0]}, [&](Value col, Value mask, ValueRange in) {
          Value y = chunk(col, mask);
          if (layer)
            y = arith::SubFOp::create(
                b, loc, arith::SubFOp::create(b, loc, y, shift), mean);
          y = arith::MulFOp::create(b, loc, y, rstd);
          if (norm.gamma)
            y = arith::MulFOp::create(b, loc, y, read(norm.gamma, {col}, mask));
          if (norm.beta)
            y = arith::AddFOp::create(b, loc, y, read(norm.beta, {col}, mask));
          return SmallVector<Value>{store(y, in[0], col, mask)};
        });
    if (norm.withSum)
      results.push_back(state.back());
    return results;
  }

private:
  using ChunkFn =
      function_ref<SmallVector<Value>(Value col, Value mask, ValueRange state)>;

  /// Runs `fn` over the full chunks in an scf.for, then over the masked tail.
  SmallVector<Value> sweep(ValueRange init, ChunkFn fn) {
    SmallVector<Value> state(init);
    int64_t full = size - size % kLanes;
    if (full > 0) {
      auto loop = scf::ForOp::create(
          b, loc, index(0), index(full), index(kLanes), state,
          [&](OpBuilder &nested, Location, Value col, ValueRange args) {
            OpBuilder::InsertionGuard guard(b);
            b.setInsertionPointToEnd(nested.getInsertionBlock());
            scf::YieldOp::create(b, loc, fn(col, Value(), args));
          });
      state.assign(loop.getResults().begin(), loop.getResults().end());
    }
    if (tailMask)
      state = fn(index(full), tailMask, state);
    return state;
  }

  /// `s` for the chunk at column `col` in f32 (masked-off lanes are 0).
  Value chunk(Value col, Value mask) {
    Value s = read(norm.input, {row, col}, mask);
    if (norm.bias)
      s = arith::AddFOp::create(b, loc, s, read(norm.bias, {col}, mask));
    if (norm.p) {
      // Lane l draws for flat element row * size + col + l.
      Value base = arith::AddIOp::create(
          b, loc, arith::MulIOp::create(b, loc, row, index(size)), col);
      base = arith::IndexCastOp::create(b, loc, b.getI64Type(), base);
      Value draws;
      if (size % kLanes == 0) {
        // Chunks are whole Philox blocks: one evaluation serves 8 lanes.
        Value block = arith::ShRUIOp::create(
            b, loc, base,
            arith::ConstantIntOp::create(b, loc, b.getI64Type(), 3));
        draws = buildPhiloxBlockDraws(b, loc, block, norm.seed, norm.stream);
      } else {
        auto i64Vector = VectorType::get({kLanes}, b.getI64Type());
        SmallVector<int64_t> lanes(kLanes);
        std::iota(lanes.begin(), lanes.end(), 0);
        Value flat = arith::AddIOp::create(
            b, loc, vector::BroadcastOp::create(b, loc, i64Vector, base),
            arith::ConstantOp::create(
                b, loc, DenseElementsAttr::get(i64Vector, ArrayRef(lanes))));
        draws = buildPhiloxDraw(b, loc, flat, norm.seed, norm.stream);
      }
      s = buildDropoutApply(b, loc, s, buildDropoutKeep(b, loc, draws, *norm.p),
                            *norm.p);
    }
    if (norm.residual)
      s = arith::AddFOp::create(b, loc, s, read(norm.residual, {row, col}, mask));
    return s;
  }

  /// A chunk of a 1-D or 2-D tensor at `indices`, in f32.
  Value read(Value tensor, ValueRange indices, Value mask) {
    auto type = cast<RankedTensorType>(tensor.getType());
    auto map = AffineMap::getMinorIdentityMap(type.getRank(), 1, b.getContext());
    Value v = vector::TransferReadOp::create(b, loc, storageVector, tensor,
                                             indices, map, padding, mask,
                                             b.getBoolArrayAttr({true}));
    return extendToF32(b, loc, v);
  }

  /// Rounds `value` to storage and writes it at `col` of the row `dest`.
  Value store(Value value, Value dest, Value col, Value mask) {
    Value v = truncateFromF32(b, loc, value, elementType);
    return vector::TransferWriteOp::create(
               b, loc, v, dest, ValueRange{col},
               AffineMapAttr::get(b.getMultiDimIdentityMap(1)), mask,
               b.getBoolArrayAttr({true}))
        .getResult();
  }

  Value index(int64_t value) {
    return arith::ConstantIndexOp::create(b, loc, value);
  }

  OpBuilder &b;
  Location loc;
  const RowNorm &norm;
  Value row;
  int64_t size;
  Type elementType;
  VectorType storageVector, f32Vector;
  Value padding, tailMask, shift, mean;
};

/// The row kernel: an scf.forall over rows whose shared outputs are the
/// results (`y`, and `s` when asked for), each row written through a slice.
SmallVector<Value> buildRowKernel(OpBuilder &b, Location loc,
                                  const RowNorm &norm) {
  auto type = cast<RankedTensorType>(norm.input.getType());
  int64_t rows = type.getDimSize(0), size = type.getDimSize(1);
  SmallVector<Value> outs = {emptyTensor(b, loc, type)};
  if (norm.withSum)
    outs.push_back(emptyTensor(b, loc, type));
  auto forall = scf::ForallOp::create(b, loc, ArrayRef<OpFoldResult>{b.getIndexAttr(rows)},
                                      outs, std::nullopt);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(forall.getBody());
  Value row = forall.getInductionVars()[0];
  auto rowType = RankedTensorType::get({size}, type.getElementType());
  SmallVector<OpFoldResult> offsets = {row, b.getIndexAttr(0)};
  SmallVector<OpFoldResult> sizes = {b.getIndexAttr(1), b.getIndexAttr(size)};
  SmallVector<OpFoldResult> strides = {b.getIndexAttr(1), b.getIndexAttr(1)};
  SmallVector<Value> outRows;
  for (Value out : forall.getRegionIterArgs())
    outRows.push_back(tensor::ExtractSliceOp::create(b, loc, rowType, out,
                                                     offsets, sizes, strides));
  SmallVector<Value> results = RowBuilder(b, loc, norm, row).build(outRows);
  b.setInsertionPointToStart(forall.getTerminator().getBody());
  for (auto [result, out] : llvm::zip(results, forall.getRegionIterArgs()))
    tensor::ParallelInsertSliceOp::create(b, loc, result, out, offsets, sizes,
                                          strides);
  return forall.getResults();
}

/// `[rows, size]` views of the operands, and the results in the op's shapes.
struct RowView {
  RowView(OpBuilder &b, Location loc, Value input, int64_t rowRank)
      : b(b), loc(loc), resultType(cast<RankedTensorType>(input.getType())) {
    norm.input = reshapeToRows(b, loc, input, rowRank);
  }
  Value row(Value param) { return param ? reshapeToFlat(b, loc, param) : param; }
  SmallVector<Value> results() {
    SmallVector<Value> values;
    for (Value v : buildRowKernel(b, loc, norm))
      values.push_back(reshapeTo(b, loc, v, resultType));
    return values;
  }
  OpBuilder &b;
  Location loc;
  RankedTensorType resultType;
  RowNorm norm;
};

struct LowerLayerNorm : OpRewritePattern<LayerNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LayerNormOp op,
                                PatternRewriter &rewriter) const override {
    RowView view(rewriter, op.getLoc(), op.getInput(), op.getNormalizedRank());
    view.norm.kind = NormKind::Layer;
    view.norm.gamma = view.row(op.getGamma());
    view.norm.beta = view.row(op.getBeta());
    view.norm.eps = op.getEps().convertToFloat();
    rewriter.replaceOp(op, view.results());
    return success();
  }
};

struct LowerRmsNorm : OpRewritePattern<RmsNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RmsNormOp op,
                                PatternRewriter &rewriter) const override {
    RowView view(rewriter, op.getLoc(), op.getInput(), op.getNormalizedRank());
    view.norm.kind = NormKind::Rms;
    view.norm.gamma = view.row(op.getGamma());
    view.norm.eps = op.getEps().convertToFloat();
    rewriter.replaceOp(op, view.results());
    return success();
  }
};

struct LowerFusedAddNorm : OpRewritePattern<FusedAddNormOp> {
  LowerFusedAddNorm(MLIRContext *context, Mode mode)
      : OpRewritePattern(context), mode(mode) {}

  LogicalResult matchAndRewrite(FusedAddNormOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    bool dropout = mode == Mode::Train && op.hasDropout();
    Value seed = dropout ? lookupSeed(op) : Value();
    if (dropout && !seed)
      return rewriter.notifyMatchFailure(op, "no seed argument");
    RowView view(rewriter, loc, op.getInput(), op.getNormalizedRank());
    RowNorm &norm = view.norm;
    norm.kind = op.getKind();
    norm.gamma = view.row(op.getGamma());
    norm.beta = view.row(op.getBeta());
    norm.eps = op.getEps().convertToFloat();
    norm.withSum = op.getSum() != nullptr;
    if (Value residual = op.getResidual())
      norm.residual = reshapeToRows(rewriter, loc, residual, op.getNormalizedRank());
    if (dropout) {
      norm.p = op.getP()->convertToFloat();
      norm.stream = *op.getStream();
      norm.seed = seed;
    }
    if (Value bias = op.getBias())
      norm.bias = broadcastToRow(rewriter, loc, bias, cast<RankedTensorType>(
                                                          norm.input.getType()));
    rewriter.replaceOp(op, view.results());
    return success();
  }

  /// The bias (a suffix of the row's dimensions) repeated over a whole row.
  static Value broadcastToRow(OpBuilder &b, Location loc, Value bias,
                              RankedTensorType rows) {
    auto biasType = cast<RankedTensorType>(bias.getType());
    int64_t size = rows.getDimSize(1), biasSize = biasType.getNumElements();
    Value flat = reshapeToFlat(b, loc, bias);
    if (biasSize == size)
      return flat;
    auto tiled = RankedTensorType::get({size / biasSize, biasSize},
                                       biasType.getElementType());
    Value repeated = buildElementwise(
        b, loc, tiled, {flat},
        {broadcastMap(b.getContext(), {biasSize}, tiled.getShape())},
        [](OpBuilder &, Location, ValueRange args) { return args[0]; });
    return reshapeToFlat(b, loc, repeated);
  }

  Mode mode;
};

} // namespace

void ndr::populateLowerNormRowPatterns(RewritePatternSet &patterns, Mode mode) {
  MLIRContext *context = patterns.getContext();
  patterns.add<LowerLayerNorm, LowerRmsNorm>(context);
  patterns.add<LowerFusedAddNorm>(context, mode);
}
