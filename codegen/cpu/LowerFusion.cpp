//===- LowerFusion.cpp - ndr.fusion groups to vectorized row kernels ------===//
//
// Each group becomes one scf.forall over the rows of its shape viewed as
// [rows, size]. A row is swept in vector<8xf32> chunks, 4 per loop step (a
// masked chunk at the end when the row size is not a multiple of 8), that
// evaluate the group's ops as f32 vector arithmetic; operands are read
// through their broadcasting: a vector of the row, one value per row, or one
// row for the whole group. Sums are kept in 4 partial sums. With a norm:
//   sweep 1 evaluates the prologue once per element, keeps the norm's input
//           in a stack scratch row (unless recomputing it is cheaper: long
//           rows, or a cheap prologue whose operands fill L1), sums it, and
//           writes the prologue values that are results;
//   sweep 2 (layer norm) sums the deviations from that mean and their
//           squares over the scratch row (corrected two-pass variance: exact
//           for constant rows, no cancellation far from zero);
//   sweep 3 normalizes and evaluates the epilogue.
// Each sweep prefetches its share of the next row (a third of it for a layer
// norm, a half for rms; five times as much for a sweep that draws dropout
// masks), so that memory is kept busy at an even rate.
// Without a norm, one sweep. Dropout draws Philox once per element: over
// rows of whole blocks, one vector<16xi64> (8 lanes) or vector<32xi64> (16)
// evaluation per span of 16 chunks, stored block by block for the span's
// chunks to load.
//
//===----------------------------------------------------------------------===//

#include "codegen/CodegenUtils.h"
#include "codegen/GroupOps.h"
#include "codegen/cpu/Passes.h"
#include "codegen/Philox.h"
#include "codegen/RowView.h"
#include "dialect/Fusion.h"
#include "dialect/NdrOps.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/IR/PatternMatch.h"

#include <numeric>

using namespace mlir;
using namespace mlir::ndr;

namespace {

/// The lanes of a chunk: 8 (AVX2's registers) by default; 16 on AVX-512
/// targets (`vector-bits=512`), except in a group that draws dropout masks
/// over rows that are not whole chunks of two Philox blocks. W1 at one
/// thread on Zen 5: the hand kernel compiled for AVX2 ran level with NDR's 8
/// lanes, and 1.24x faster with AVX-512.
constexpr int64_t kLanes = 8, kWideLanes = 16;
/// Philox blocks evaluated together per lane of a chunk, one block per i64
/// lane (codegen/Philox.cpp): 16 blocks (two AVX-512 or four AVX2 registers
/// a word) for 8 lanes, 32 (four AVX-512 registers a word) for 16. A round
/// is a chain of multiply, shift and xor, so an evaluation is bound by its
/// latency unless enough blocks run side by side: on Zen 5, alone, 32 blocks
/// take 0.091 ns an element, 16 blocks 0.116 (the hand kernel's three
/// chains of 16 in i32 lanes 0.102); in W2 with 16 lanes, 32 blocks ran
/// 1.05-1.18x faster than 16 at one thread and 0.97-1.08 at two (with their
/// prefetches first, spanRange), 48 blocks 1.2x slower (spills). With 8
/// lanes (AVX2), 32 blocks ran level with 16 on Zen 5 (and 1.04-1.06x
/// slower when measured before).
constexpr int64_t kPhiloxBlocksPerLane = 2;
/// Chunks per iteration of a sweep without dropout.
constexpr int64_t kUnroll = 4;
/// A sweep that draws dropout masks prefetches this many times the share of
/// the next row that another sweep does: its generator makes it about five
/// times as long as a sweep of adds (W2's rows in cache, Zen 3: 590 against
/// 250 ns a row for W1's three sweeps), and memory should be busy at an even
/// rate across the row. With 16 lanes (AVX-512) the generator is relatively
/// cheaper: 4 made W2 0.92-0.99 of the time of 5 at one thread, level at two
/// (Zen 5, bench/ab.py; 3 ran level with 4, 2 and 8 slower than 5).
constexpr int64_t kDrawingSweepShare = 5, kWideDrawingSweepShare = 4;
/// With 16 lanes (an AVX-512 target) the prefetch leads further where rows are
/// short: it fetches the row that lies at least this many bytes of prefetched
/// operands ahead, and then one line more per step than the sweep's share
/// spans. Zen 5 moves twice Zen 3's bytes per core, and a lead of one short
/// row at an even rate no longer hid memory's latency there: two rows ahead
/// (W1's 6 KiB) with the extra line made W1 1.16x and W3 1.17x faster at one
/// thread, W1 1.35x at two (bench/ab.py, each against the build without).
/// W4's 32 KiB rows stay one ahead: the extra line alone measured 0.97 and
/// 1.02. 8 lanes keep one row and the even rate, measured on Zen 3.
constexpr int64_t kWidePrefetchLeadBytes = 8192;
/// Independent partial sums per reduction: one chain of vector adds would
/// bound a sweep by the add latency (4 cycles a chunk), not by its loads.
constexpr int64_t kAccumulators = 4;
/// Rows up to this many elements keep the norm's input in a scratch row on
/// the stack (64 KiB); longer rows recompute it in each sweep.
constexpr int64_t kMaxScratchRow = 16384;
/// A prologue of loads, adds and multiplies is recomputed rather than kept
/// when its operands' rows and the scratch row would not fit together in this
/// much L1 (a 4096-wide RMSNorm(x + r), as the hand kernel found).
constexpr int64_t kL1Bytes = 32 * 1024;
/// How the kernel reads one operand: `view` is [leafRows, size] for a
/// vector per row or [leafRows] for a value per row; the operand's row for
/// the group's row r is r itself (`identity`), or the sum over `terms` of
/// (r / outerStride % dimSize) * leafStride.
struct Leaf {
  Value view;
  /// The view as a memref, for prefetching a vector operand's next row
  /// (its rows are the group's); null for the others.
  TypedValue<MemRefType> buffer;
  bool vector = true;
  bool identity = false;
  SmallVector<std::array<int64_t, 3>> terms;
};

Leaf buildLeaf(OpBuilder &b, Location loc, Value operand, const RowSpace &space) {
  Leaf leaf;
  auto type = cast<RankedTensorType>(operand.getType());
  Type elementType = type.getElementType();
  int64_t total = product(space.shape);
  if (space.flat) {
    leaf.vector = type.getNumElements() == total;
    leaf.identity = leaf.vector;
    leaf.view = reshapeTo(
        b, loc, operand,
        leaf.vector ? RankedTensorType::get({space.rows, space.size}, elementType)
                    : RankedTensorType::get({1}, elementType));
    return leaf;
  }
  ArrayRef<int64_t> shape = space.shape, operandShape = type.getShape();
  RowAccess access = classifyRowAccess(operandShape, shape, space.firstRowDim);
  if (access == RowAccess::InRow) {
    // Repeat the operand into one whole row, once per run.
    ArrayRef<int64_t> rowShape = shape.drop_front(space.firstRowDim);
    ArrayRef<int64_t> inRow = operandShape.take_back(
        std::min<int64_t>(operandShape.size(), rowShape.size()));
    Value trimmed =
        reshapeTo(b, loc, operand, RankedTensorType::get(inRow, elementType));
    auto rowType = RankedTensorType::get(rowShape, elementType);
    Value row = buildElementwise(
        b, loc, rowType, {trimmed}, {broadcastMap(b.getContext(), inRow, rowShape)},
        [](OpBuilder &, Location, ValueRange args) { return args[0]; });
    leaf.view = reshapeTo(b, loc, row,
                          RankedTensorType::get({1, space.size}, elementType));
    return leaf;
  }
  OperandView view = viewOperand(operandShape, space);
  leaf.vector = access == RowAccess::Full;
  leaf.identity = view.identity;
  leaf.terms = view.terms;
  int64_t leafRows = view.leafRows;
  leaf.view = reshapeTo(
      b, loc, operand,
      leaf.vector ? RankedTensorType::get({leafRows, space.size}, elementType)
                  : RankedTensorType::get({leafRows}, elementType));
  if (leaf.vector && leaf.identity && space.rows > 1)
    leaf.buffer = cast<TypedValue<MemRefType>>(
        bufferization::ToBufferOp::create(
            b, loc, MemRefType::get({leafRows, space.size}, elementType), leaf.view,
            /*read_only=*/true)
            .getResult());
  return leaf;
}

/// Builds the body of one row of a group.
class RowKernel {
public:
  RowKernel(OpBuilder &b, Location loc, FusionOp fusion, const RowSpace &space,
            ArrayRef<Leaf> leaves, Mode mode, int64_t vectorBits, Value seed,
            Value row)
      : b(b), loc(loc), fusion(fusion), space(space), leaves(leaves),
        mode(mode), seed(seed), row(row) {
    root = fusion.getRoot();
    Block &body = fusion.getBody().front();
    if (root)
      afterRootValues = valuesAfterRoot(fusion, root);
    // Which sweeps draw dropout masks: the prologue's (fused_add_norm's own
    // dropout is) and the epilogue's.
    if (mode == Mode::Train)
      for (Operation &op : body) {
        std::optional<uint32_t> stream = getDropoutStream(&op);
        if (!stream)
          continue;
        bool after = &op != root && afterRootValues.contains(op.getResult(0));
        SmallVector<uint32_t> &streams = after ? streamsAfterRoot : streamsBeforeRoot;
        if (!llvm::is_contained(streams, *stream))
          streams.push_back(*stream);
      }
    bool draws = !streamsBeforeRoot.empty() || !streamsAfterRoot.empty();
    if (vectorBits >= 512 && (!draws || space.size % kWideLanes == 0))
      lanes = width = kWideLanes;
    f32Vector = VectorType::get({lanes}, b.getF32Type());
    if (int64_t rest = space.size % lanes)
      tailMask = vector::ConstantMaskOp::create(
          b, loc, VectorType::get({lanes}, b.getI1Type()), ArrayRef<int64_t>{rest});
    rowBase = arith::IndexCastOp::create(
        b, loc, b.getI64Type(),
        arith::MulIOp::create(b, loc, row, index(space.size)));
    // Groups without a norm stream their rows in one sweep, which the
    // hardware prefetcher keeps up with: prefetching their next row made
    // W5, W5n and W5t's scale and shift 1.08-1.33x slower (Zen 3).
    if (root && space.rows > 1) {
      rowsAhead = prefetchRowsAhead();
      nextRow = arith::MinUIOp::create(
          b, loc, arith::AddIOp::create(b, loc, row, index(rowsAhead)),
          index(space.rows - 1));
    }
    for (auto [arg, leaf] : llvm::zip(body.getArguments(), leaves)) {
      Value leafRow = leafRowIndex(leaf);
      leafRows[arg] = leafRow;
      if (!leaf.vector) // one value per row: read once
        rowScalars[arg] =
            extendToF32(b, loc, tensor::ExtractOp::create(b, loc, leaf.view, leafRow));
    }
    auto yield = cast<YieldOp>(body.getTerminator());
    results.assign(yield.getValues().begin(), yield.getValues().end());
  }

  /// Writes the row of every result into `outRows`; returns them.
  SmallVector<Value> build(ValueRange outRows) {
    SmallVector<Value> state(outRows);
    // Rows of whole blocks draw a span's masks into a stack buffer per stream.
    if (space.size % lanes == 0)
      for (uint32_t stream : llvm::concat<uint32_t>(streamsBeforeRoot, streamsAfterRoot))
        drawBuffers[stream] = memref::AllocaOp::create(
            b, loc, MemRefType::get({4 * spanBlocks()}, b.getI32Type()), ValueRange{},
            b.getI64IntegerAttr(64));
    if (!root) {
      sweep(state, streamsBeforeRoot,
            [&](Value col, Value mask, int64_t, SmallVectorImpl<Value> &st) {
              storeResults(st, col, mask, /*afterRoot=*/false);
            });
      return state;
    }
    bool layer = isLayerNorm(root);
    Value zero = f32Constant(b, loc, f32Vector, 0.0);
    if (keepsNormInput()) {
      auto scratchType = MemRefType::get({space.size}, b.getF32Type());
      scratch = memref::AllocaOp::create(b, loc, scratchType, ValueRange{},
                                         b.getI64IntegerAttr(64));
    }

    // Sweep 1: the prologue, the norm's input kept, its sum (layer) or sum of
    // squares (rms), the prologue's results written.
    size_t sums = state.size();
    state.append(kAccumulators, zero);
    sweeps = layer ? 3 : 2;
    sweepIndex = 0;
    // The sweeps that draw: the first the prologue's streams, the last the
    // epilogue's; without a scratch row, every sweep recomputes the prologue.
    shares.assign(sweeps, 1);
    for (int64_t k = 0; k < sweeps; ++k) {
      bool draws = (k == 0 || !scratch) && !streamsBeforeRoot.empty();
      if (k == sweeps - 1)
        draws |= !streamsAfterRoot.empty();
      if (draws)
        shares[k] = lanes == kWideLanes ? kWideDrawingSweepShare : kDrawingSweepShare;
    }
    if (llvm::all_equal(shares)) // every sweep draws: equal shares again
      shares.assign(sweeps, 1);
    sweep(state, streamsBeforeRoot,
          [&](Value col, Value mask, int64_t lane, SmallVectorImpl<Value> &st) {
      prefetchNextRow(col, mask, lane);
      Value s = normInput();
      if (scratch)
        storeScratch(s, col, mask);
      Value term = masked(s, mask);
      Value &acc = st[sums + lane % kAccumulators];
      acc = layer ? arith::AddFOp::create(b, loc, acc, term).getResult()
                  : vector::FMAOp::create(b, loc, term, term, acc).getResult();
      storeResults(st, col, mask, /*afterRoot=*/false);
    });
    Value sum = reduce(popAccumulators(state));
    Type f32 = b.getF32Type();
    Value count = f32Constant(b, loc, f32, double(space.size));
    Value var = arith::DivFOp::create(b, loc, sum, count);
    if (layer) {
      // Sweep 2: deviations d from the mean of sweep 1. The corrected
      // two-pass formula (var = E[d^2] - E[d]^2, mean += E[d]) also repairs
      // the rounding of that mean, which rows far from zero (1e4 +- 1) need.
      Value mean = arith::DivFOp::create(b, loc, sum, count);
      roughMean = vector::BroadcastOp::create(b, loc, f32Vector, mean);
      size_t deviations = state.size(), squareSums = deviations + kAccumulators;
      state.append(2 * kAccumulators, zero);
      ++sweepIndex;
      sweep(state, scratch ? ArrayRef<uint32_t>() : ArrayRef(streamsBeforeRoot),
            [&](Value col, Value mask, int64_t lane, SmallVectorImpl<Value> &st) {
        prefetchNextRow(col, mask, lane);
        Value d = masked(arith::SubFOp::create(b, loc, loadNormInput(col, mask),
                                               roughMean),
                         mask);
        int64_t slot = lane % kAccumulators;
        Value &dAcc = st[deviations + slot], &squareAcc = st[squareSums + slot];
        dAcc = arith::AddFOp::create(b, loc, dAcc, d);
        squareAcc = vector::FMAOp::create(b, loc, d, d, squareAcc);
      });
      Value squares = arith::DivFOp::create(b, loc, reduce(popAccumulators(state)), count);
      Value shift = arith::DivFOp::create(b, loc, reduce(popAccumulators(state)), count);
      // y subtracts both in turn: mean + shift rounded to f32 would be off
      // by half an ulp of the mean (5e-4 at 1e4), far above the tolerance.
      meanShift = vector::BroadcastOp::create(b, loc, f32Vector, shift);
      var = arith::SubFOp::create(b, loc, squares,
                                  arith::MulFOp::create(b, loc, shift, shift));
      var = arith::MaximumFOp::create(b, loc, var, f32Constant(b, loc, f32, 0.0));
    }
    Value rstd = arith::DivFOp::create(
        b, loc, f32Constant(b, loc, f32, 1.0),
        math::SqrtOp::create(b, loc,
                             arith::AddFOp::create(b, loc, var,
                                                   f32Constant(b, loc, f32, normEps(root)))));
    rstdVector = vector::BroadcastOp::create(b, loc, f32Vector, rstd);

    // Sweep 3: normalize, then the epilogue.
    SmallVector<uint32_t> lastStreams(streamsAfterRoot);
    if (!scratch)
      lastStreams.append(streamsBeforeRoot);
    ++sweepIndex;
    sweep(state, lastStreams,
          [&](Value col, Value mask, int64_t lane, SmallVectorImpl<Value> &st) {
      prefetchNextRow(col, mask, lane);
      Value s = loadNormInput(col, mask);
      Value y = s;
      if (layer)
        y = arith::SubFOp::create(
            b, loc, arith::SubFOp::create(b, loc, s, roughMean), meanShift);
      y = arith::MulFOp::create(b, loc, y, rstdVector);
      auto [gamma, beta] = normParams(root);
      if (gamma)
        y = arith::MulFOp::create(b, loc, y, eval(gamma));
      if (beta)
        y = arith::AddFOp::create(b, loc, y, eval(beta));
      values[root->getResult(0)] = y;
      if (root->getNumResults() > 1)
        values[root->getResult(1)] = s;
      storeResults(st, col, mask, /*afterRoot=*/true);
    });
    return state;
  }

private:
  /// `fn` evaluates one chunk at `col` (`mask`: the lanes in the row, null
  /// for all); `lane` is the chunk's place in its loop iteration or in the
  /// straight-line rest, so that sums can spread over kAccumulators.
  using ChunkFn = function_ref<void(Value col, Value mask, int64_t lane,
                                    SmallVectorImpl<Value> &)>;

  /// Runs `fn` on every chunk of the row, threading `state`: with dropout
  /// (`streams`) over rows of whole blocks, a loop over Philox spans, each
  /// drawing its masks first; within a span or without dropout, a loop over
  /// kUnroll chunks, then the remaining whole chunks; then the masked tail.
  /// Values are evaluated afresh for each chunk.
  void sweep(SmallVectorImpl<Value> &state, ArrayRef<uint32_t> streams, ChunkFn fn) {
    int64_t full = space.size - space.size % lanes;
    int64_t rest = 0;
    if (!streams.empty() && !tailMask) {
      int64_t span = 8 * spanBlocks(), spanEnd = full - full % span;
      if (spanEnd > 0) {
        auto forOp = scf::ForOp::create(
            b, loc, index(0), index(spanEnd), index(span), state,
            [&](OpBuilder &nested, Location, Value start, ValueRange args) {
              OpBuilder::InsertionGuard guard(b);
              b.setInsertionPointToEnd(nested.getInsertionBlock());
              SmallVector<Value> st(args);
              spanRange(start, span, spanBlocks(), streams, st, fn);
              scf::YieldOp::create(b, loc, st);
            });
        state.assign(forOp.getResults().begin(), forOp.getResults().end());
      }
      // The rest draws one more span, of half the blocks where they suffice
      // (its blocks past the row unused).
      if (int64_t length = full - spanEnd) {
        int64_t blocks = length <= span / 2 ? spanBlocks() / 2 : spanBlocks();
        spanRange(index(spanEnd), length, blocks, streams, state, fn);
      }
    } else {
      rest = chunkRange(index(0), full, state, fn);
    }
    if (tailMask) {
      values.clear();
      current = index(full);
      currentMask = tailMask;
      fn(current, tailMask, rest, state);
    }
  }

  /// The Philox blocks of a span: its masks are drawn together.
  int64_t spanBlocks() const { return kPhiloxBlocksPerLane * lanes; }

  /// Runs `fn` on the `length` / lanes whole chunks of the span from `start`
  /// after drawing the masks of its `blocks` blocks. The span's share of the
  /// next row is prefetched before the draw, so that memory works while the
  /// generator does: issued among the chunks, the requests paused for the
  /// draw, and W2 with 32 blocks ran up to 1.08x slower at two threads than
  /// with 16 (Zen 5); issued first, 0.93-1.03 of the time.
  void spanRange(Value start, int64_t length, int64_t blocks,
                 ArrayRef<uint32_t> streams, SmallVectorImpl<Value> &state,
                 ChunkFn fn) {
    for (int64_t offset = 0; offset < length; offset += kUnroll * lanes)
      prefetchNextRow(offset ? b.createOrFold<arith::AddIOp>(loc, start, index(offset)) : start,
                      Value(), 0);
    drawSpan(start, blocks, streams);
    prefetchDone = true;
    chunkRange(start, length, state, fn);
    prefetchDone = false;
  }

  /// Runs `fn` on the `length` / lanes whole chunks from `begin`: a loop
  /// over kUnroll at a time, then the rest; returns how many that rest has.
  int64_t chunkRange(Value begin, int64_t length, SmallVectorImpl<Value> &state,
                     ChunkFn fn) {
    auto chunks = [&](Value start, int64_t count, SmallVectorImpl<Value> &st) {
      for (int64_t lane = 0; lane < count; ++lane) {
        values.clear();
        current = lane ? arith::AddIOp::create(b, loc, start, index(lane * lanes))
                             .getResult()
                       : start;
        currentMask = Value();
        fn(current, Value(), lane, st);
      }
    };
    int64_t step = kUnroll * lanes, looped = length - length % step;
    Value loopEnd = begin;
    if (looped > 0) {
      loopEnd = b.createOrFold<arith::AddIOp>(loc, begin, index(looped));
      auto forOp = scf::ForOp::create(
          b, loc, begin, loopEnd, index(step), state,
          [&](OpBuilder &nested, Location, Value col, ValueRange args) {
            OpBuilder::InsertionGuard guard(b);
            b.setInsertionPointToEnd(nested.getInsertionBlock());
            SmallVector<Value> st(args);
            if (evaluatesWide()) {
              // One vector of kUnroll chunks: LLVM splits each op into
              // kUnroll registers side by side, so the chunks' long chains
              // (GELU's polynomials) overlap instead of running one by one
              // (GELU at W6's size 1.5x faster at one thread, Zen 3).
              width = kUnroll * lanes;
              values.clear();
              current = col;
              currentMask = Value();
              fn(current, Value(), 0, st);
              width = lanes;
            } else {
              chunks(col, kUnroll, st);
            }
            scf::YieldOp::create(b, loc, st);
          });
      state.assign(forOp.getResults().begin(), forOp.getResults().end());
    }
    int64_t rest = (length - looped) / lanes;
    chunks(loopEnd, rest, state);
    return rest;
  }

  /// Whether a step of kUnroll chunks is evaluated as one wide vector: in a
  /// group without norm (no sums spread over chunks) and without dropout
  /// (draws come a block of 8 at a time) whose math has long dependency
  /// chains (tanh, sigmoid, silu, gelu). A group of adds and multiplies is
  /// bound by memory and gains nothing (W5 at one thread: 0-4% slower, within
  /// the noise of the measurement).
  bool evaluatesWide() {
    if (root || !streamsBeforeRoot.empty())
      return false;
    return llvm::any_of(fusion.getBody().front(), [](Operation &op) {
      return isa<TanhOp, SigmoidOp, SiluOp, GeluOp>(op);
    });
  }

  /// Draws the masks of the `blocks` blocks from `start` for each of
  /// `streams` into its buffer, block-major: a chunk then reads its block's
  /// draws with one load.
  void drawSpan(Value start, int64_t blocks, ArrayRef<uint32_t> streams) {
    spanStart = start;
    Type i64 = b.getI64Type();
    Value firstBlock = arith::ShRUIOp::create(
        b, loc,
        arith::AddIOp::create(b, loc, rowBase,
                              arith::IndexCastOp::create(b, loc, i64, start)),
        arith::ConstantIntOp::create(b, loc, i64, 3));
    for (uint32_t stream : streams) {
      std::array<Value, 4> words = buildPhiloxWords(
          b, loc, firstBlock, seed, lookupStream(b, loc, fusion, stream), blocks);
      vector::StoreOp::create(b, loc, buildBlockMajorWords(b, loc, words),
                              drawBuffers.lookup(stream), ValueRange{index(0)});
    }
  }

  /// Pops the kAccumulators partial sums at the end of `state`, summed.
  Value popAccumulators(SmallVectorImpl<Value> &state) {
    SmallVector<Value> partial(state.end() - kAccumulators, state.end());
    state.truncate(state.size() - kAccumulators);
    while (partial.size() > 1) {
      for (size_t i = 0; i < partial.size() / 2; ++i)
        partial[i] = arith::AddFOp::create(b, loc, partial[2 * i], partial[2 * i + 1]);
      partial.truncate(partial.size() / 2);
    }
    return partial.front();
  }

  /// The f32 vector of `value` at the current chunk.
  Value eval(Value value) {
    if (Value known = values.lookup(value))
      return known;
    if (Value scalar = rowScalars.lookup(value)) {
      Value &perRow = rowValues[{value, width}];
      if (!perRow) { // broadcast once per row and width, before the sweeps
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointAfterValue(scalar);
        perRow = vector::BroadcastOp::create(
            b, loc, VectorType::get({width}, b.getF32Type()), scalar);
      }
      return perRow;
    }
    Value result;
    if (auto arg = dyn_cast<BlockArgument>(value)) {
      result = readLeaf(arg);
    } else {
      Operation *op = value.getDefiningOp();
      SmallVector<Value> operands;
      for (Value operand : op->getOperands())
        operands.push_back(eval(operand));
      result = buildGroupOp(
          b, loc, op, operands,
          [this](Value x, APFloat p, uint32_t stream) { return applyDropout(x, p, stream); });
    }
    values[value] = result;
    return result;
  }

  /// `x` under train-mode dropout; the identity at inference.
  Value applyDropout(Value x, APFloat p, uint32_t stream) {
    if (mode != Mode::Train)
      return x;
    float pf = p.convertToFloat();
    return buildDropoutApply(b, loc, x, buildDropoutKeep(b, loc, draws(stream), pf),
                             pf);
  }

  /// The 16-bit draws of the current chunk's elements for `stream`.
  Value draws(uint32_t stream) {
    Type i64 = b.getI64Type();
    if (space.size % lanes) {
      // Chunks straddle blocks: each lane evaluates its own element's block.
      Value flat = arith::AddIOp::create(
          b, loc, rowBase, arith::IndexCastOp::create(b, loc, i64, current));
      // (Such a group has 8 lanes.)
      auto laneType = VectorType::get({kLanes}, i64);
      Value indices = arith::AddIOp::create(
          b, loc, vector::BroadcastOp::create(b, loc, laneType, flat),
          arith::ConstantOp::create(
              b, loc, DenseElementsAttr::get(laneType, ArrayRef<int64_t>{0, 1, 2, 3, 4, 5, 6, 7})));
      return buildPhiloxDraw(b, loc, indices, seed, lookupStream(b, loc, fusion, stream));
    }
    // The chunk's blocks in the span drawn by drawSpan: 4 words a block, from
    // word 4 * block.
    Value offset = arith::ShRUIOp::create(
        b, loc, arith::SubIOp::create(b, loc, current, spanStart), index(1));
    Value words = vector::LoadOp::create(
        b, loc, VectorType::get({lanes / 2}, b.getI32Type()), drawBuffers.lookup(stream),
        ValueRange{offset});
    return buildBlockDraws(b, loc, words);
  }

  Value readLeaf(BlockArgument arg) {
    const Leaf &leaf = leaves[arg.getArgNumber()];
    auto type = cast<RankedTensorType>(leaf.view.getType());
    Type elementType = type.getElementType();
    Value padding = arith::ConstantOp::create(b, loc, b.getZeroAttr(elementType));
    auto map = AffineMap::getMinorIdentityMap(2, 1, b.getContext());
    Value v = vector::TransferReadOp::create(
        b, loc, VectorType::get({width}, elementType), leaf.view,
        ValueRange{leafRows.lookup(arg), current}, map, padding, currentMask,
        b.getBoolArrayAttr({true}));
    return extendToF32(b, loc, v);
  }

  /// Prefetches (into L2) this sweep's share of the next row of each operand
  /// read as a row vector: sweep k, whose share is w_k of the total W of all
  /// sweeps, at the step from column `col` fetches the lines from
  /// size * (w_0 + ... + w_(k-1)) / W + col * w_k / W, as many as the share
  /// of a step (kUnroll chunks) spans: one line where all shares are equal
  /// (a third of the row a sweep for a layer norm, a half for rms), two in a
  /// sweep that draws (with 16 lanes and short rows, further ahead:
  /// kWidePrefetchLeadBytes). Fetching the whole next row in the last sweep (or
  /// twice, in both sweeps of a recomputed rms) left memory idle during the
  /// others and then queued more requests than a core has in flight: spread
  /// evenly, W1 ran 1.14x, W2 1.08x and W4 1.22-1.27x faster at one thread
  /// (Zen 3, bench/ab.py against the previous build).
  void prefetchNextRow(Value col, Value mask, int64_t lane) {
    if (!nextRow || mask || lane % kUnroll || prefetchDone)
      return;
    int64_t total = std::accumulate(shares.begin(), shares.end(), int64_t(0));
    int64_t before = std::accumulate(shares.begin(), shares.begin() + sweepIndex, int64_t(0));
    int64_t share = shares[sweepIndex];
    Value scaled = share == 1 ? col : arith::MulIOp::create(b, loc, col, index(share));
    Value first = arith::AddIOp::create(
        b, loc, arith::DivUIOp::create(b, loc, scaled, index(total)),
        index(space.size * before / total));
    constexpr int64_t kLineElements = 16; // f32 in 64 bytes
    int64_t perStep = kUnroll * lanes * share;
    int64_t lines = (perStep + kLineElements * total - 1) / (kLineElements * total);
    if (rowsAhead > 1)
      ++lines;
    for (int64_t line = 0; line < lines; ++line) {
      Value column = first;
      if (line > 0) // kept in the row: the share's end may be its last line
        column = arith::MinUIOp::create(
            b, loc, arith::AddIOp::create(b, loc, first, index(line * kLineElements)),
            index(space.size - 1));
      for (const Leaf &leaf : leaves)
        if (leaf.buffer)
          memref::PrefetchOp::create(b, loc, leaf.buffer, ValueRange{nextRow, column},
                                     /*isWrite=*/false, /*localityHint=*/1,
                                     /*isDataCache=*/true);
    }
  }

  /// How many rows ahead the prefetch fetches: 1, or with 16 lanes the rows
  /// that hold kWidePrefetchLeadBytes of the prefetched operands.
  int64_t prefetchRowsAhead() {
    if (lanes != kWideLanes)
      return 1;
    int64_t rowBytes = 0;
    for (const Leaf &leaf : leaves)
      if (leaf.buffer)
        rowBytes += leafRowBytes(leaf);
    return rowBytes ? llvm::divideCeil(kWidePrefetchLeadBytes, rowBytes) : 1;
  }

  /// The bytes of one row of `leaf`, read as a row vector.
  int64_t leafRowBytes(const Leaf &leaf) {
    return space.size *
           cast<RankedTensorType>(leaf.view.getType()).getElementTypeBitWidth() / 8;
  }

  /// The row of the operand `leaf` for the group's current row.
  Value leafRowIndex(const Leaf &leaf) {
    if (leaf.identity)
      return row;
    Value result = index(0);
    for (auto [outerStride, dimSize, leafStride] : leaf.terms) {
      Value i = arith::RemUIOp::create(
          b, loc, arith::DivUIOp::create(b, loc, row, index(outerStride)),
          index(dimSize));
      result = arith::AddIOp::create(
          b, loc, result, arith::MulIOp::create(b, loc, i, index(leafStride)));
    }
    return result;
  }

  /// Stores the results computed in this sweep: before the norm (or all,
  /// without one) or after it.
  void storeResults(SmallVectorImpl<Value> &state, Value col, Value mask,
                    bool afterRoot) {
    for (auto [i, value] : llvm::enumerate(results)) {
      if (root && afterRootValues.contains(value) != afterRoot)
        continue;
      Type elementType = cast<RankedTensorType>(value.getType()).getElementType();
      Value v = truncateFromF32(b, loc, eval(value), elementType);
      state[i] = vector::TransferWriteOp::create(
                     b, loc, v, state[i], ValueRange{col},
                     AffineMapAttr::get(b.getMultiDimIdentityMap(1)), mask,
                     b.getBoolArrayAttr({true}))
                     .getResult();
    }
  }

  /// The norm's input at the current chunk, from the prologue; for
  /// fused_add_norm `residual + dropout(input + bias)`.
  Value normInput() {
    Value s = buildNormInput(
        b, loc, root, [&](Value v) { return eval(v); },
        [this](Value x, APFloat p, uint32_t stream) { return applyDropout(x, p, stream); });
    if (root->getNumResults() > 1)
      values[root->getResult(1)] = s;
    return s;
  }

  /// Whether the norm's input is kept in a scratch row after sweep 1.
  bool keepsNormInput() {
    if (space.size > kMaxScratchRow)
      return false;
    int64_t rowBytes = 0;
    for (const Leaf &leaf : leaves)
      if (leaf.vector)
        rowBytes += leafRowBytes(leaf);
    if (rowBytes + space.size * 4 <= kL1Bytes)
      return true;
    // Expensive prologues (dropout's generator, activations) are kept.
    if (!streamsBeforeRoot.empty())
      return true;
    // The yield has no result to look up: test the kind first.
    return llvm::any_of(fusion.getBody().front(), [&](Operation &op) {
      return &op != root && !isa<AddOp, MulOp, YieldOp>(op) &&
             !afterRootValues.contains(op.getResult(0));
    });
  }

  /// The norm's input after sweep 1: from the scratch row, or recomputed.
  Value loadNormInput(Value col, Value mask) {
    if (!scratch)
      return normInput();
    if (!mask)
      return vector::LoadOp::create(b, loc, f32Vector, scratch, ValueRange{col});
    return vector::MaskedLoadOp::create(b, loc, f32Vector, scratch, ValueRange{col},
                                        mask, f32Constant(b, loc, f32Vector, 0.0));
  }

  void storeScratch(Value s, Value col, Value mask) {
    if (!mask)
      vector::StoreOp::create(b, loc, s, scratch, ValueRange{col});
    else
      vector::MaskedStoreOp::create(b, loc, scratch, ValueRange{col}, mask, s);
  }

  /// Masked-off lanes as 0, so that they add nothing to a sum.
  Value masked(Value v, Value mask) {
    if (!mask)
      return v;
    return arith::SelectOp::create(b, loc, mask, v, f32Constant(b, loc, f32Vector, 0.0));
  }

  /// The sum of the lanes of `v`, as a tree: in order, the adds would make a
  /// chain of one latency per lane at the end of each sweep.
  Value reduce(Value v) {
    return vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD, v,
                                       arith::FastMathFlags::reassoc);
  }

  Value index(int64_t value) { return arith::ConstantIndexOp::create(b, loc, value); }

  OpBuilder &b;
  Location loc;
  FusionOp fusion;
  const RowSpace &space;
  ArrayRef<Leaf> leaves;
  Mode mode;
  Value seed, row, rowBase, tailMask, nextRow;
  /// How far ahead nextRow is.
  int64_t rowsAhead = 1;
  VectorType f32Vector;
  Operation *root = nullptr;
  /// The dropout streams drawn before and after the norm (all of them
  /// "before" without one).
  SmallVector<uint32_t> streamsBeforeRoot, streamsAfterRoot;
  SmallVector<Value> results;
  DenseSet<Value> afterRootValues;
  DenseMap<Value, Value> leafRows, rowScalars;
  /// The per-row values broadcast to a vector of each width used.
  DenseMap<std::pair<Value, int64_t>, Value> rowValues;
  /// The lanes of a chunk (kLanes or kWideLanes), and of the current chunk:
  /// lanes, or kUnroll * lanes for a step of a group without norm or dropout
  /// evaluated as one wide vector.
  int64_t lanes = kLanes, width = kLanes;
  /// Per chunk: its column, its mask (null: all lanes) and the values
  /// evaluated at it.
  Value current, currentMask;
  DenseMap<Value, Value> values;
  /// The start of the span drawn last, and each stream's buffer of draws.
  Value spanStart;
  /// Whether the current span's chunks have had their prefetches issued.
  bool prefetchDone = false;
  DenseMap<uint32_t, Value> drawBuffers;
  Value scratch, roughMean, meanShift, rstdVector;
  /// The sweeps over a row with a norm, and which one is being built.
  int64_t sweeps = 1, sweepIndex = 0;
  /// Each sweep's share of the next row to prefetch, in parts of their sum.
  SmallVector<int64_t> shares;
};

struct LowerFusion : OpRewritePattern<FusionOp> {
  LowerFusion(MLIRContext *context, Mode mode, int64_t vectorBits)
      : OpRewritePattern(context), mode(mode), vectorBits(vectorBits) {}

  LogicalResult matchAndRewrite(FusionOp fusion,
                                PatternRewriter &rewriter) const override {
    Location loc = fusion.getLoc();
    Value seed = lookupSeed(fusion);
    if (mode == Mode::Train && !seed) {
      // Something the user can fix: said on the op that draws.
      Operation *random = nullptr;
      fusion->walk([&](Operation *op) {
        if (!getDropoutStream(op))
          return WalkResult::advance();
        random = op;
        return WalkResult::interrupt();
      });
      if (random)
        return random->emitOpError(
            "draws a dropout mask in train mode but its function has no i64 "
            "seed argument: only functions marked 'ndr.model' get one "
            "(ndr-seed-argument)");
    }
    RowSpace space = chooseRowSpace(fusion);
    SmallVector<Leaf> leaves;
    for (Value input : fusion.getInputs())
      leaves.push_back(buildLeaf(rewriter, loc, input, space));

    SmallVector<Value> outs;
    for (Type type : fusion.getResultTypes())
      outs.push_back(emptyTensor(
          rewriter, loc,
          RankedTensorType::get({space.rows, space.size},
                                cast<RankedTensorType>(type).getElementType())));
    auto forall = scf::ForallOp::create(
        rewriter, loc, ArrayRef<OpFoldResult>{rewriter.getIndexAttr(space.rows)},
        outs, std::nullopt);
    {
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPointToStart(forall.getBody());
      Value row = forall.getInductionVars()[0];
      SmallVector<OpFoldResult> offsets = {row, rewriter.getIndexAttr(0)};
      SmallVector<OpFoldResult> sizes = {rewriter.getIndexAttr(1),
                                         rewriter.getIndexAttr(space.size)};
      SmallVector<OpFoldResult> strides(2, rewriter.getIndexAttr(1));
      SmallVector<Value> outRows;
      for (Value out : forall.getRegionIterArgs()) {
        auto type = cast<RankedTensorType>(out.getType());
        outRows.push_back(tensor::ExtractSliceOp::create(
            rewriter, loc, RankedTensorType::get({space.size}, type.getElementType()),
            out, offsets, sizes, strides));
      }
      SmallVector<Value> rowResults =
          RowKernel(rewriter, loc, fusion, space, leaves, mode, vectorBits, seed, row)
              .build(outRows);
      rewriter.setInsertionPointToStart(forall.getTerminator().getBody());
      for (auto [result, out] : llvm::zip(rowResults, forall.getRegionIterArgs()))
        tensor::ParallelInsertSliceOp::create(rewriter, loc, result, out, offsets,
                                              sizes, strides);
    }
    SmallVector<Value> replacements;
    for (auto [result, type] : llvm::zip(forall.getResults(), fusion.getResultTypes()))
      replacements.push_back(
          reshapeTo(rewriter, loc, result, cast<RankedTensorType>(type)));
    rewriter.replaceOp(fusion, replacements);
    return success();
  }

  Mode mode;
  int64_t vectorBits;
};

} // namespace

void ndr::populateLowerFusionPatterns(RewritePatternSet &patterns, Mode mode,
                                      int64_t vectorBits) {
  patterns.add<LowerFusion>(patterns.getContext(), mode, vectorBits);
}
