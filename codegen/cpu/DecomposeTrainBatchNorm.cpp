//===- DecomposeTrainBatchNorm.cpp - ndr-decompose-train-batch-norm -------===//
//
// Train-mode batch_norm needs its batch's statistics before it can normalize:
// one vectorized sweep of partial sums over x (shifted by each channel's first
// element, so one sweep suffices), their in-order combination per channel,
// and then a per-channel scale and shift that ndr-fuse-elementwise groups like
// any elementwise op. The rules are in the pass description (Passes.td).
//
//===----------------------------------------------------------------------===//

#include "codegen/CodegenUtils.h"
#include "codegen/cpu/Passes.h"
#include "dialect/NdrOps.h"
#include "passes/ParamMath.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <algorithm>

namespace mlir::ndr {
#define GEN_PASS_DEF_DECOMPOSETRAINBATCHNORM
#include "codegen/cpu/Passes.h.inc"
} // namespace mlir::ndr

using namespace mlir;
using namespace mlir::ndr;

namespace {

constexpr int64_t kLanes = 8;
/// Chunks per step of a plane's sweep, each with its own partial sums.
constexpr int64_t kAccumulators = 4;
/// Row ranges of a channels-last tensor: enough for any thread count here,
/// and few enough that combining their [2, C] partials costs little.
constexpr int64_t kRowRanges = 64;
/// ... and at most this many bytes of partials (a workspace intermediate):
/// fewer ranges for very many channels.
constexpr int64_t kMaxPartialBytes = 16 << 20;

/// Vector reads and writes of 2-D tensors along their last dimension.
class Chunks {
public:
  Chunks(OpBuilder &b, Location loc) : b(b), loc(loc) {
    f32Vector = VectorType::get({kLanes}, b.getF32Type());
  }

  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value zero() { return f32Constant(b, loc, f32Vector, 0.0); }

  /// The mask of the last `rest` lanes' chunk (null when `rest` is 0).
  Value tailMask(int64_t rest) {
    if (!rest)
      return Value();
    return vector::ConstantMaskOp::create(
        b, loc, VectorType::get({kLanes}, b.getI1Type()), ArrayRef<int64_t>{rest});
  }

  /// `tensor[row, col...]` (2-D) or `tensor[col...]` (1-D); masked-off lanes 0.
  Value read(Value tensor, ValueRange indices, Value mask) {
    int64_t rank = cast<RankedTensorType>(tensor.getType()).getRank();
    Value padding = f32Constant(b, loc, b.getF32Type(), 0.0);
    return vector::TransferReadOp::create(
        b, loc, f32Vector, tensor, indices,
        AffineMap::getMinorIdentityMap(rank, 1, b.getContext()), padding, mask,
        b.getBoolArrayAttr({true}));
  }

  Value write(Value v, Value tensor, ValueRange indices, Value mask) {
    int64_t rank = cast<RankedTensorType>(tensor.getType()).getRank();
    return vector::TransferWriteOp::create(
               b, loc, v, tensor, indices,
               AffineMapAttr::get(AffineMap::getMinorIdentityMap(rank, 1, b.getContext())),
               mask, b.getBoolArrayAttr({true}))
        .getResult();
  }

  /// Runs `fn(col, mask, lane, state)` on every chunk of [0, size): a loop
  /// over `unroll` chunks at a time, the remaining whole chunks, then the
  /// masked tail; `lane` is the chunk's place in its step.
  using ChunkFn =
      function_ref<void(Value col, Value mask, int64_t lane, SmallVectorImpl<Value> &)>;
  void sweep(int64_t size, int64_t unroll, SmallVectorImpl<Value> &state, ChunkFn fn) {
    int64_t step = unroll * kLanes, looped = size - size % step;
    if (looped > 0) {
      auto forOp = scf::ForOp::create(
          b, loc, index(0), index(looped), index(step), state,
          [&](OpBuilder &nested, Location, Value col, ValueRange args) {
            OpBuilder::InsertionGuard guard(b);
            b.setInsertionPointToEnd(nested.getInsertionBlock());
            SmallVector<Value> st(args);
            for (int64_t lane = 0; lane < unroll; ++lane)
              fn(offset(col, lane), Value(), lane, st);
            scf::YieldOp::create(b, loc, st);
          });
      state.assign(forOp.getResults().begin(), forOp.getResults().end());
    }
    int64_t whole = (size - looped) / kLanes;
    for (int64_t lane = 0; lane < whole; ++lane)
      fn(index(looped + lane * kLanes), Value(), lane, state);
    if (Value mask = tailMask(size % kLanes))
      fn(index(size - size % kLanes), mask, whole, state);
  }

  OpBuilder &b;
  Location loc;
  VectorType f32Vector;

private:
  Value offset(Value col, int64_t lane) {
    return lane ? arith::AddIOp::create(b, loc, col, index(lane * kLanes)).getResult()
                : col;
  }
};

/// Channels last, x as [rows, C]: each of up to kRowRanges row ranges sums
/// its rows' d = x - K and d * d into its own [2, C] partials, a vector per
/// chunk of channels, kept in the partials tensor (L1) between rows.
Value buildRowRangePartials(OpBuilder &b, Location loc, Value x2, Value shift) {
  auto type = cast<RankedTensorType>(x2.getType());
  int64_t rows = type.getDimSize(0), channels = type.getDimSize(1);
  int64_t ranges = std::clamp<int64_t>(kMaxPartialBytes / (2 * channels * 4), 1,
                                       std::min(rows, kRowRanges));
  auto partType = RankedTensorType::get({2, channels}, b.getF32Type());
  Value init = emptyTensor(
      b, loc, RankedTensorType::get({ranges, 2, channels}, b.getF32Type()));
  auto forall = scf::ForallOp::create(
      b, loc, ArrayRef<OpFoldResult>{b.getIndexAttr(ranges)}, ValueRange{init},
      std::nullopt);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(forall.getBody());
  Chunks c(b, loc);
  Value range = forall.getInductionVars()[0];
  SmallVector<OpFoldResult> offsets = {range, b.getIndexAttr(0), b.getIndexAttr(0)};
  SmallVector<OpFoldResult> sizes = {b.getIndexAttr(1), b.getIndexAttr(2),
                                     b.getIndexAttr(channels)};
  SmallVector<OpFoldResult> strides(3, b.getIndexAttr(1));
  SmallVector<Value> part = {tensor::ExtractSliceOp::create(
      b, loc, partType, forall.getRegionIterArgs()[0], offsets, sizes, strides)};
  c.sweep(channels, 1, part, [&](Value col, Value mask, int64_t, SmallVectorImpl<Value> &st) {
    for (int64_t k = 0; k < 2; ++k)
      st[0] = c.write(c.zero(), st[0], ValueRange{c.index(k), col}, mask);
  });
  // Rows [range * rows / ranges, (range + 1) * rows / ranges).
  auto bound = [&](Value r) {
    Value scaled = arith::MulIOp::create(b, loc, r, c.index(rows));
    return arith::DivUIOp::create(b, loc, scaled, c.index(ranges));
  };
  Value first = bound(range);
  Value last = bound(arith::AddIOp::create(b, loc, range, c.index(1)));
  auto rowLoop = scf::ForOp::create(
      b, loc, first, last, c.index(1), part,
      [&](OpBuilder &nested, Location, Value row, ValueRange args) {
        OpBuilder::InsertionGuard inner(b);
        b.setInsertionPointToEnd(nested.getInsertionBlock());
        SmallVector<Value> st(args);
        c.sweep(channels, 1, st,
                [&](Value col, Value mask, int64_t, SmallVectorImpl<Value> &s) {
                  // Reads in turn: arguments' order of evaluation is the
                  // compiler's, and the IR's order would follow it.
                  Value x = c.read(x2, ValueRange{row, col}, mask);
                  Value k = c.read(shift, ValueRange{col}, mask);
                  Value d = arith::SubFOp::create(b, loc, x, k);
                  Value sum = arith::AddFOp::create(
                      b, loc, c.read(s[0], ValueRange{c.index(0), col}, mask), d);
                  Value squares = vector::FMAOp::create(
                      b, loc, d, d, c.read(s[0], ValueRange{c.index(1), col}, mask));
                  s[0] = c.write(sum, s[0], ValueRange{c.index(0), col}, mask);
                  s[0] = c.write(squares, s[0], ValueRange{c.index(1), col}, mask);
                });
        scf::YieldOp::create(b, loc, st);
      });
  b.setInsertionPointToStart(forall.getTerminator().getBody());
  tensor::ParallelInsertSliceOp::create(b, loc, rowLoop.getResult(0),
                                        forall.getRegionIterArgs()[0], offsets, sizes,
                                        strides);
  return forall.getResult(0);
}

/// Channels not last, x as [outer * C, inner]: each (outer, channel) plane
/// is one contiguous row, swept with kAccumulators partial sums of d and
/// d * d; its two totals go to [outer, C, 2] at (o, c).
Value buildPlanePartials(OpBuilder &b, Location loc, Value x2, const BatchNormLayout &layout) {
  Type f32 = b.getF32Type();
  Value init = emptyTensor(
      b, loc, RankedTensorType::get({layout.outer, layout.channels, 2}, f32));
  auto forall = scf::ForallOp::create(
      b, loc, ArrayRef<OpFoldResult>{b.getIndexAttr(layout.outer * layout.channels)},
      ValueRange{init}, std::nullopt);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(forall.getBody());
  Chunks c(b, loc);
  Value plane = forall.getInductionVars()[0];
  Value channel = arith::RemUIOp::create(b, loc, plane, c.index(layout.channels));
  Value outer = arith::DivUIOp::create(b, loc, plane, c.index(layout.channels));
  // K: the channel's first element, plane (0, channel).
  Value shift = vector::BroadcastOp::create(
      b, loc, c.f32Vector,
      tensor::ExtractOp::create(b, loc, x2, ValueRange{channel, c.index(0)}));
  SmallVector<Value> acc(2 * kAccumulators, c.zero());
  c.sweep(layout.inner, kAccumulators, acc,
          [&](Value col, Value mask, int64_t lane, SmallVectorImpl<Value> &st) {
            Value x = c.read(x2, ValueRange{plane, col}, mask);
            Value d = arith::SubFOp::create(b, loc, x, shift);
            if (mask) // masked-off lanes read 0, which is not K
              d = arith::SelectOp::create(b, loc, mask, d, c.zero());
            int64_t slot = lane % kAccumulators;
            st[slot] = arith::AddFOp::create(b, loc, st[slot], d);
            Value &squares = st[kAccumulators + slot];
            squares = vector::FMAOp::create(b, loc, d, d, squares);
          });
  auto total = [&](ArrayRef<Value> partial) {
    Value low = arith::AddFOp::create(b, loc, partial[0], partial[1]);
    Value high = arith::AddFOp::create(b, loc, partial[2], partial[3]);
    Value sum = arith::AddFOp::create(b, loc, low, high);
    return vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD, sum,
                                       arith::FastMathFlags::reassoc)
        .getResult();
  };
  static_assert(kAccumulators == 4, "total adds four partial sums");
  // Written as one vector into the plane's slice of the partials, in place.
  auto pairType = VectorType::get({2}, f32);
  Value pair = vector::BroadcastOp::create(b, loc, pairType, total(ArrayRef(acc).take_front(4)));
  pair = vector::InsertOp::create(b, loc, total(ArrayRef(acc).drop_front(4)), pair,
                                  ArrayRef<int64_t>{1});
  SmallVector<OpFoldResult> offsets = {outer, channel, b.getIndexAttr(0)};
  SmallVector<OpFoldResult> sizes = {b.getIndexAttr(1), b.getIndexAttr(1), b.getIndexAttr(2)};
  SmallVector<OpFoldResult> strides(3, b.getIndexAttr(1));
  Value slot = tensor::ExtractSliceOp::create(
      b, loc, RankedTensorType::get({2}, f32), forall.getRegionIterArgs()[0], offsets,
      sizes, strides);
  slot = vector::TransferWriteOp::create(
             b, loc, pair, slot, ValueRange{c.index(0)},
             AffineMapAttr::get(b.getMultiDimIdentityMap(1)), Value(),
             b.getBoolArrayAttr({true}))
             .getResult();
  b.setInsertionPointToStart(forall.getTerminator().getBody());
  tensor::ParallelInsertSliceOp::create(b, loc, slot, forall.getRegionIterArgs()[0],
                                        offsets, sizes, strides);
  return forall.getResult(0);
}

/// [parts, 2, C] (or [parts, C, 2]: `channelsFirst`) -> [2, C], adding the
/// parts in order: the reduction is the innermost loop, so the channels are
/// the parallel ones.
Value combinePartials(OpBuilder &b, Location loc, Value partials, bool channelsFirst) {
  auto type = cast<RankedTensorType>(partials.getType());
  int64_t channels = type.getDimSize(channelsFirst ? 1 : 2);
  auto sumType = RankedTensorType::get({2, channels}, b.getF32Type());
  Value zero = f32Constant(b, loc, b.getF32Type(), 0.0);
  Value init =
      linalg::FillOp::create(b, loc, zero, emptyTensor(b, loc, sumType)).getResult(0);
  MLIRContext *ctx = b.getContext();
  AffineExpr d0 = b.getAffineDimExpr(0), d1 = b.getAffineDimExpr(1),
             d2 = b.getAffineDimExpr(2);
  SmallVector<AffineMap> maps = {channelsFirst ? AffineMap::get(3, 0, {d2, d1, d0}, ctx)
                                               : AffineMap::get(3, 0, {d2, d0, d1}, ctx),
                                 AffineMap::get(3, 0, {d0, d1}, ctx)};
  SmallVector<utils::IteratorType> iterators = {utils::IteratorType::parallel,
                                                utils::IteratorType::parallel,
                                                utils::IteratorType::reduction};
  return linalg::GenericOp::create(
             b, loc, TypeRange{sumType}, ValueRange{partials}, ValueRange{init}, maps,
             iterators,
             [](OpBuilder &nb, Location nloc, ValueRange args) {
               linalg::YieldOp::create(
                   nb, nloc, ValueRange{arith::AddFOp::create(nb, nloc, args[1], args[0])});
             })
      .getResult(0);
}

struct DecomposeTrainBatchNorm : OpRewritePattern<BatchNormOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(BatchNormOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.getType().getElementType().isF32())
      return rewriter.notifyMatchFailure(op, "f16/bf16 keep the linalg lowering");
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    BatchNormLayout layout = batchNormLayout(op);
    MLIRContext *ctx = rewriter.getContext();
    auto channelType = RankedTensorType::get({layout.channels}, rewriter.getF32Type());

    // Phase 1: partials of x - K, K each channel's first element.
    Value shift, partials;
    if (layout.inner == 1) {
      Value x2 = reshapeToRows(rewriter, loc, op.getInput(), 1);
      SmallVector<OpFoldResult> offsets(2, rewriter.getIndexAttr(0));
      SmallVector<OpFoldResult> sizes = {rewriter.getIndexAttr(1),
                                         rewriter.getIndexAttr(layout.channels)};
      SmallVector<OpFoldResult> strides(2, rewriter.getIndexAttr(1));
      shift = tensor::ExtractSliceOp::create(rewriter, loc, channelType, x2, offsets,
                                             sizes, strides);
      partials = buildRowRangePartials(rewriter, loc, x2, shift);
    } else {
      Value x2 = reshapeToRows(rewriter, loc, op.getInput(),
                               type.getRank() - 1 - op.getChannelDim());
      SmallVector<OpFoldResult> offsets(2, rewriter.getIndexAttr(0));
      SmallVector<OpFoldResult> sizes = {rewriter.getIndexAttr(layout.channels),
                                         rewriter.getIndexAttr(1)};
      SmallVector<OpFoldResult> strides(2, rewriter.getIndexAttr(1));
      shift = tensor::ExtractSliceOp::create(rewriter, loc, channelType, x2, offsets,
                                             sizes, strides);
      partials = buildPlanePartials(rewriter, loc, x2, layout);
    }

    // Phase 2: per channel, S and Q in order; m = S / n is the mean of d.
    Value sums = combinePartials(rewriter, loc, partials, layout.inner != 1);
    AffineExpr c = rewriter.getAffineDimExpr(0);
    AffineMap sumRow = AffineMap::get(1, 0, {rewriter.getAffineConstantExpr(0), c}, ctx);
    AffineMap squareRow =
        AffineMap::get(1, 0, {rewriter.getAffineConstantExpr(1), c}, ctx);
    AffineMap id = rewriter.getMultiDimIdentityMap(1);
    double n = double(layout.positions());
    auto perChannel = [&](ValueRange inputs, ArrayRef<AffineMap> maps, auto body) {
      return buildElementwise(rewriter, loc, channelType, inputs, maps, body);
    };
    auto constant = [](OpBuilder &b, Location l, double v) {
      return f32Constant(b, l, b.getF32Type(), v);
    };
    Value negShiftMean = perChannel(
        {sums}, {sumRow}, [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          return arith::DivFOp::create(b, l, a[0], constant(b, l, -n));
        });
    Value var = perChannel(
        {sums, negShiftMean}, {squareRow, id},
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value square = arith::DivFOp::create(b, l, a[0], constant(b, l, n));
          Value v = arith::SubFOp::create(b, l, square,
                                          arith::MulFOp::create(b, l, a[1], a[1]));
          return arith::MaximumFOp::create(b, l, v, constant(b, l, 0.0));
        });
    Value mean = perChannel({shift, negShiftMean}, {id, id},
                            [](OpBuilder &b, Location l, ValueRange a) -> Value {
                              return arith::SubFOp::create(b, l, a[0], a[1]);
                            });
    Value negShift = perChannel({shift}, {id},
                                [](OpBuilder &b, Location l, ValueRange a) -> Value {
                                  return arith::NegFOp::create(b, l, a[0]);
                                });
    SmallVector<Value> scaleInputs = {var};
    if (Value gamma = op.getGamma())
      scaleInputs.push_back(gamma);
    float eps = op.getEps().convertToFloat();
    Value scale = perChannel(
        scaleInputs, SmallVector<AffineMap>(scaleInputs.size(), id),
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value numerator = a.size() > 1 ? a[1] : constant(b, l, 1.0);
          Value sd = math::SqrtOp::create(
              b, l, arith::AddFOp::create(b, l, a[0], constant(b, l, eps)));
          return arith::DivFOp::create(b, l, numerator, sd);
        });
    updateRunningStats(rewriter, loc, op, mean, var);

    // Phase 3: [C] -> [C, 1, ..., 1], broadcast over the dimensions after
    // the channel, for the elementwise ops.
    int64_t trailing = type.getRank() - 1 - op.getChannelDim();
    auto broadcast = [&](Value value) {
      return expandPerChannel(rewriter, loc, value, trailing);
    };
    // x - K first: exact where x is near K, so channels far from zero keep
    // their digits; then the mean of d, small.
    Value y = AddOp::create(rewriter, loc, op.getInput(), broadcast(negShift));
    y = AddOp::create(rewriter, loc, y, broadcast(negShiftMean));
    y = MulOp::create(rewriter, loc, y, broadcast(scale));
    if (Value beta = op.getBeta())
      y = AddOp::create(rewriter, loc, y, broadcast(beta));
    rewriter.replaceOp(op, y);
    return success();
  }
};

struct DecomposeTrainBatchNormPass
    : ndr::impl::DecomposeTrainBatchNormBase<DecomposeTrainBatchNormPass> {
  using DecomposeTrainBatchNormBase::DecomposeTrainBatchNormBase;
  void runOnOperation() override {
    if (mode != Mode::Train)
      return;
    ModuleOp module = getOperation();
    bool any = false, bad = false;
    module.walk([&](BatchNormOp op) {
      if (!op.getType().getElementType().isF32())
        return;
      any = true;
      bad |= failed(checkRunningStatsInPlace(op));
    });
    if (bad)
      return signalPassFailure();
    if (!any)
      return;
    declareRunningStatsLock(module);
    RewritePatternSet patterns(&getContext());
    patterns.add<DecomposeTrainBatchNorm>(&getContext());
    if (failed(applyPatternsGreedily(module, std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
