//===- LowerFusion.cpp - ndr.fusion groups to GPU kernels -----------------===//
//
// Each group becomes one kernel over its shape viewed as [rows, size] (the
// RowSpace the CPU backend uses too). A thread works on chunks of `lanes`
// consecutive elements of a row (up to 128 bits of the widest type, two
// 128-bit accesses when a chunk draws dropout, so that a chunk is one
// Philox block), read and written as one vector access each.
//   - Without a norm: one chunk per thread, 256 threads per block.
//   - With a norm: a warp per row for rows up to 1024 elements (8 rows per
//     block), else a block per row (64 to 1024 threads, about 4 chunks
//     each). A thread keeps the norm's input of its chunks in registers
//     (rows of up to 64 values per thread; longer rows recompute it in
//     each sweep), sums them, and the row's sums are warp shuffles (and,
//     across warps, one partial per warp in shared memory). Layer norm's
//     variance is the CPU's corrected two-pass formula over the kept
//     values, so both backends agree to rounding.
// Chunks past the row's end (a row of chunks not a multiple of the
// threads) read the row's last chunk and write nothing, so that every
// thread reaches every shuffle and barrier. Dropout draws the Philox block
// of each chunk inline: the masks equal the CPU's bit for bit.
//
//===----------------------------------------------------------------------===//

#include "codegen/CodegenUtils.h"
#include "codegen/GroupOps.h"
#include "codegen/Philox.h"
#include "codegen/RowView.h"
#include "codegen/gpu/Kernels.h"
#include "codegen/gpu/Passes.h"
#include "dialect/Fusion.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::ndr;
using namespace mlir::ndr::gpu_kernels;

namespace {

/// Threads per block of a kernel without a norm.
constexpr int64_t kElementwiseBlock = 256;
/// Rows up to this many elements get one warp each.
constexpr int64_t kMaxWarpRow = 1024;
/// Rows per block with a warp per row.
constexpr int64_t kWarpsPerBlock = 8;
/// A block per row aims at this many chunks per thread.
constexpr int64_t kChunksPerThread = 4;
/// A thread keeps up to this many values of the norm's input in registers.
constexpr int64_t kMaxKeptValues = 64;

/// How the kernel of a group is laid out.
struct Plan {
  RowSpace space;
  int64_t lanes = 1;
  /// Norm kernels: threads per row, rows per block, chunks per row and per
  /// thread, and whether the thread's chunks stay in registers.
  int64_t threads = 1, rowsPerBlock = 1, chunksPerRow = 1, chunksPerThread = 1;
  bool keep = true;
  int64_t block = kElementwiseBlock, grid = 1;
};

int64_t powerOfTwoAtLeast(int64_t n) {
  int64_t p = 1;
  while (p < n)
    p *= 2;
  return p;
}

bool drawsDropout(FusionOp fusion, Mode mode) {
  return mode == Mode::Train &&
         llvm::any_of(fusion.getBody().front(),
                      [](Operation &op) { return getDropoutStream(&op).has_value(); });
}

Plan makePlan(FusionOp fusion, Mode mode) {
  Plan plan;
  plan.space = chooseRowSpace(fusion);
  const RowSpace &space = plan.space;
  int64_t widest = 2;
  for (Type type : llvm::concat<const Type>(fusion.getInputs().getTypes(),
                                            fusion.getResultTypes()))
    widest = std::max<int64_t>(
        widest, cast<RankedTensorType>(type).getElementTypeBitWidth() / 8);
  int64_t limit = drawsDropout(fusion, mode) ? 8 : 16 / widest;
  for (int64_t lanes : {8, 4, 2, 1})
    if (lanes <= limit && space.size % lanes == 0) {
      plan.lanes = lanes;
      break;
    }
  plan.chunksPerRow = space.size / plan.lanes;
  if (!fusion.getRoot()) {
    int64_t chunks = space.rows * plan.chunksPerRow;
    plan.block = std::min(kElementwiseBlock, powerOfTwoAtLeast(chunks));
    plan.block = std::max(plan.block, kWarp);
    plan.grid = (chunks + plan.block - 1) / plan.block;
    return plan;
  }
  if (space.size <= kMaxWarpRow) {
    plan.threads = kWarp;
    plan.rowsPerBlock = std::min(kWarpsPerBlock, space.rows);
  } else {
    plan.threads = std::clamp<int64_t>(
        powerOfTwoAtLeast((plan.chunksPerRow + kChunksPerThread - 1) / kChunksPerThread),
        64, 1024);
  }
  plan.block = plan.threads * plan.rowsPerBlock;
  plan.grid = (space.rows + plan.rowsPerBlock - 1) / plan.rowsPerBlock;
  plan.chunksPerThread = (plan.chunksPerRow + plan.threads - 1) / plan.threads;
  plan.keep = plan.chunksPerThread * plan.lanes <= kMaxKeptValues;
  return plan;
}

/// Builds the body of a group's kernel.
class GroupKernel {
public:
  GroupKernel(OpBuilder &b, Location loc, FusionOp fusion, const Plan &plan,
              ArrayRef<OperandView> views, ValueRange args, Mode mode,
              const DenseMap<uint32_t, unsigned> &streamArgs, int64_t seedArg)
      : b(b), loc(loc), fusion(fusion), plan(plan), space(plan.space), views(views),
        mode(mode), root(fusion.getRoot()) {
    Block &body = fusion.getBody().front();
    unsigned numInputs = body.getNumArguments();
    inputs.assign(args.begin(), args.begin() + numInputs);
    outputs.assign(args.begin() + numInputs,
                   args.begin() + numInputs + fusion.getNumResults());
    for (auto [stream, arg] : streamArgs)
      streams[stream] = args[arg];
    if (seedArg >= 0)
      seed = args[seedArg];
    auto yield = cast<YieldOp>(body.getTerminator());
    results.assign(yield.getValues().begin(), yield.getValues().end());
    if (root)
      afterRoot = valuesAfterRoot(fusion, root);
    f32Chunk = VectorType::get({plan.lanes}, b.getF32Type());
  }

  void build() {
    if (!root)
      return buildElementwise();
    buildNorm();
  }

private:
  /// One chunk of a row: its column and whether it lies in the row, and the
  /// values of the group evaluated at it.
  struct Chunk {
    Value col, valid, norm;
    DenseMap<Value, Value> values;
  };

  void buildElementwise() {
    Value tid = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);
    Value bid = gpu::BlockIdOp::create(b, loc, gpu::Dimension::x);
    Value chunk = arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, bid, index(plan.block)), tid);
    int64_t chunks = space.rows * plan.chunksPerRow;
    Value valid;
    if (chunks % plan.block)
      valid = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, chunk,
                                    index(chunks));
    chunk = arith::MinUIOp::create(b, loc, chunk, index(chunks - 1));
    row = arith::DivUIOp::create(b, loc, chunk, index(plan.chunksPerRow));
    setUpRow();
    Chunk c;
    c.col = arith::MulIOp::create(
        b, loc, arith::RemUIOp::create(b, loc, chunk, index(plan.chunksPerRow)),
        index(plan.lanes));
    c.valid = valid;
    storeResults(c, /*afterNorm=*/false);
  }

  void buildNorm() {
    Value tid = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);
    Value bid = gpu::BlockIdOp::create(b, loc, gpu::Dimension::x);
    if (plan.rowsPerBlock > 1 || plan.threads == kWarp) {
      lane = arith::RemUIOp::create(b, loc, tid, index(kWarp));
      row = arith::AddIOp::create(
          b, loc, arith::MulIOp::create(b, loc, bid, index(plan.rowsPerBlock)),
          arith::DivUIOp::create(b, loc, tid, index(kWarp)));
    } else {
      lane = tid;
      row = bid;
    }
    if (plan.threads > kWarp)
      scratch = workgroupBuffer(b, loc, 3 * kWarp);
    // A warp past the last row has nothing to do; its shuffles are its own.
    if (space.rows % plan.rowsPerBlock) {
      Value live = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, row,
                                         index(space.rows));
      auto ifOp = scf::IfOp::create(b, loc, live, /*withElseRegion=*/false);
      b.setInsertionPointToStart(ifOp.thenBlock());
    }
    setUpRow();

    bool layer = isLayerNorm(root);
    Type f32 = b.getF32Type();
    Value zero = f32Constant(b, loc, f32, 0.0);
    Value count = f32Constant(b, loc, f32, double(space.size));
    // Sweep 1: the prologue, its results written, the norm's input summed
    // (layer) or its squares (rms).
    Value sum = forChunks({zero}, [&](Chunk &c, SmallVectorImpl<Value> &acc) {
      Value s = normInput(c);
      storeResults(c, /*afterNorm=*/false);
      Value term = layer ? s : arith::MulFOp::create(b, loc, s, s).getResult();
      acc[0] = arith::AddFOp::create(b, loc, acc[0], reduceLanes(masked(term, c)));
    })[0];
    sum = allReduce(b, loc, {sum}, plan.threads, scratch, 0)[0];
    Value var = arith::DivFOp::create(b, loc, sum, count);
    Value mean, shift;
    if (layer) {
      // Sweep 2: deviations d from the mean; var = E[d^2] - E[d]^2, and the
      // output subtracts the mean and then E[d] (as on the CPU: exact for
      // constant rows, no cancellation far from zero).
      mean = var;
      SmallVector<Value> sums =
          forChunks({zero, zero}, [&](Chunk &c, SmallVectorImpl<Value> &acc) {
            Value d = masked(arith::SubFOp::create(b, loc, normInput(c), splat(mean)), c);
            acc[0] = arith::AddFOp::create(b, loc, acc[0], reduceLanes(d));
            acc[1] = arith::AddFOp::create(
                b, loc, acc[1], reduceLanes(arith::MulFOp::create(b, loc, d, d)));
          });
      sums = allReduce(b, loc, sums, plan.threads, scratch, 1);
      shift = arith::DivFOp::create(b, loc, sums[0], count);
      Value squares = arith::DivFOp::create(b, loc, sums[1], count);
      var = arith::SubFOp::create(b, loc, squares,
                                  arith::MulFOp::create(b, loc, shift, shift));
      var = arith::MaximumFOp::create(b, loc, var, zero);
    }
    Value rstd = arith::DivFOp::create(
        b, loc, f32Constant(b, loc, f32, 1.0),
        math::SqrtOp::create(
            b, loc,
            arith::AddFOp::create(b, loc, var, f32Constant(b, loc, f32, normEps(root)))));
    // Sweep 3: normalize, then the epilogue.
    forChunks({}, [&](Chunk &c, SmallVectorImpl<Value> &) {
      Value s = normInput(c);
      Value y = s;
      if (layer)
        y = arith::SubFOp::create(b, loc, arith::SubFOp::create(b, loc, s, splat(mean)),
                                  splat(shift));
      y = arith::MulFOp::create(b, loc, y, splat(rstd));
      auto [gamma, beta] = normParams(root);
      if (gamma)
        y = arith::MulFOp::create(b, loc, y, eval(c, gamma));
      if (beta)
        y = arith::AddFOp::create(b, loc, y, eval(c, beta));
      c.values[root->getResult(0)] = y;
      storeResults(c, /*afterNorm=*/true);
    });
  }

  /// Runs `fn` on every chunk of this thread, threading `init` through it:
  /// unrolled over chunks kept from sweep to sweep (their values stay
  /// evaluated), or a loop that evaluates them afresh.
  SmallVector<Value> forChunks(ArrayRef<Value> init,
                               function_ref<void(Chunk &, SmallVectorImpl<Value> &)> fn) {
    SmallVector<Value> acc(init);
    if (plan.keep) {
      if (kept.empty())
        for (int64_t k = 0; k < plan.chunksPerThread; ++k)
          kept.push_back(makeChunk(
              arith::AddIOp::create(b, loc, lane, index(k * plan.threads)),
              /*mayBePast=*/k == plan.chunksPerThread - 1));
      for (Chunk &c : kept)
        fn(c, acc);
      return acc;
    }
    auto loop = scf::ForOp::create(
        b, loc, index(0), index(plan.chunksPerThread), index(1), acc,
        [&](OpBuilder &nested, Location, Value k, ValueRange args) {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPoint(nested.getInsertionBlock(), nested.getInsertionPoint());
          SmallVector<Value> state(args);
          Chunk c = makeChunk(
              arith::AddIOp::create(b, loc, lane,
                                    arith::MulIOp::create(b, loc, k, index(plan.threads))),
              /*mayBePast=*/true);
          fn(c, state);
          scf::YieldOp::create(b, loc, state);
        });
    return SmallVector<Value>(loop.getResults());
  }

  /// The chunk `m` of the row; with `mayBePast`, m may lie past the row's
  /// end: it then reads the last chunk and stores nothing.
  Chunk makeChunk(Value m, bool mayBePast) {
    Chunk c;
    if (mayBePast && plan.chunksPerRow % plan.threads) {
      c.valid = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, m,
                                      index(plan.chunksPerRow));
      m = arith::MinUIOp::create(b, loc, m, index(plan.chunksPerRow - 1));
    }
    c.col = arith::MulIOp::create(b, loc, m, index(plan.lanes));
    return c;
  }

  /// Per row: where it starts, the operands' rows, the values read once.
  void setUpRow() {
    rowBase = arith::MulIOp::create(b, loc, row, index(space.size));
    Block &body = fusion.getBody().front();
    for (BlockArgument arg : body.getArguments()) {
      const OperandView &view = views[arg.getArgNumber()];
      if (view.access == RowAccess::InRow)
        continue;
      Value leafRow = view.identity ? row : sumOfTerms(row, view.terms);
      leafRows[arg] = leafRow;
      if (view.access == RowAccess::PerRow) {
        Value v = memref::LoadOp::create(b, loc, inputs[arg.getArgNumber()],
                                         ValueRange{leafRow});
        rowValues[arg] = vector::BroadcastOp::create(b, loc, f32Chunk,
                                                     extendToF32(b, loc, v));
      }
    }
  }

  /// The sum over `terms` of (i / stride % size) * scale: an operand's row or
  /// element for the group's row or column i (RowView's OperandView).
  Value sumOfTerms(Value i, ArrayRef<std::array<int64_t, 3>> terms) {
    Value sum = index(0);
    for (auto [stride, size, scale] : terms)
      sum = arith::AddIOp::create(
          b, loc, sum,
          arith::MulIOp::create(
              b, loc,
              arith::RemUIOp::create(b, loc, arith::DivUIOp::create(b, loc, i, index(stride)),
                                     index(size)),
              index(scale)));
    return sum;
  }

  /// The f32 chunk of `value` at `c`.
  Value eval(Chunk &c, Value value) {
    if (Value known = c.values.lookup(value))
      return known;
    if (Value perRow = rowValues.lookup(value))
      return perRow;
    Value result;
    if (auto arg = dyn_cast<BlockArgument>(value)) {
      result = readOperand(c, arg);
    } else {
      Operation *op = value.getDefiningOp();
      SmallVector<Value> operands;
      for (Value operand : op->getOperands())
        operands.push_back(eval(c, operand));
      result = buildGroupOp(b, loc, op, operands,
                            [&](Value x, APFloat p, uint32_t stream) {
                              return applyDropout(c, x, p, stream);
                            });
    }
    c.values[value] = result;
    return result;
  }

  /// The norm's input at `c`, evaluated once per chunk.
  Value normInput(Chunk &c) {
    if (c.norm)
      return c.norm;
    c.norm = buildNormInput(
        b, loc, root, [&](Value v) { return eval(c, v); },
        [&](Value x, APFloat p, uint32_t stream) { return applyDropout(c, x, p, stream); });
    if (root->getNumResults() > 1)
      c.values[root->getResult(1)] = c.norm;
    return c.norm;
  }

  Value applyDropout(Chunk &c, Value x, APFloat p, uint32_t stream) {
    if (mode != Mode::Train)
      return x;
    Value first = arith::IndexCastOp::create(
        b, loc, b.getI64Type(), arith::AddIOp::create(b, loc, rowBase, c.col));
    Value draws = buildChunkDraws(b, loc, first, plan.lanes, seed, streams.lookup(stream));
    float pf = p.convertToFloat();
    return buildDropoutApply(b, loc, x, buildDropoutKeep(b, loc, draws, pf), pf);
  }

  Value readOperand(Chunk &c, BlockArgument arg) {
    const OperandView &view = views[arg.getArgNumber()];
    Value buffer = inputs[arg.getArgNumber()];
    if (view.access != RowAccess::InRow) {
      Value at = arith::AddIOp::create(
          b, loc, arith::MulIOp::create(b, loc, leafRows.lookup(arg), index(space.size)),
          c.col);
      return extendToF32(b, loc, loadChunk(b, loc, buffer, at, plan.lanes));
    }
    // A part of the row, repeated: contiguous over a chunk when its
    // innermost dimension is the row's and holds whole chunks.
    auto columnIndex = [&](Value col) { return sumOfTerms(col, view.columnTerms); };
    const auto &inner = view.columnTerms.front();
    if (inner[0] == 1 && inner[2] == 1 && inner[1] % plan.lanes == 0)
      return extendToF32(b, loc,
                         loadChunk(b, loc, buffer, columnIndex(c.col), plan.lanes));
    SmallVector<Value> elements;
    for (int64_t l = 0; l < plan.lanes; ++l) {
      Value col = arith::AddIOp::create(b, loc, c.col, index(l));
      elements.push_back(extendToF32(
          b, loc, memref::LoadOp::create(b, loc, buffer, ValueRange{columnIndex(col)})));
    }
    return vector::FromElementsOp::create(b, loc, f32Chunk, elements);
  }

  /// Stores the results computed before the norm (all, without one) or
  /// after it, at chunk `c` when it lies in the row.
  void storeResults(Chunk &c, bool afterNorm) {
    SmallVector<std::pair<Value, Value>> stores;
    for (auto [i, value] : llvm::enumerate(results)) {
      if (root && afterRoot.contains(value) != afterNorm)
        continue;
      Type element = cast<RankedTensorType>(value.getType()).getElementType();
      stores.push_back({truncateFromF32(b, loc, eval(c, value), element), outputs[i]});
    }
    if (stores.empty())
      return;
    OpBuilder::InsertionGuard guard(b);
    if (c.valid) {
      auto ifOp = scf::IfOp::create(b, loc, c.valid, /*withElseRegion=*/false);
      b.setInsertionPointToStart(ifOp.thenBlock());
    }
    Value at = arith::AddIOp::create(b, loc, rowBase, c.col);
    for (auto [value, buffer] : stores)
      storeChunk(b, loc, value, buffer, at);
  }

  /// Lanes of a chunk past the row's end as 0.
  Value masked(Value v, Chunk &c) {
    if (!c.valid)
      return v;
    return arith::SelectOp::create(b, loc, c.valid, v, f32Constant(b, loc, f32Chunk, 0.0));
  }

  Value reduceLanes(Value v) {
    return vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD, v);
  }

  Value splat(Value scalar) {
    return vector::BroadcastOp::create(b, loc, f32Chunk, scalar);
  }

  Value index(int64_t value) { return gpu_kernels::index(b, loc, value); }

  OpBuilder &b;
  Location loc;
  FusionOp fusion;
  const Plan &plan;
  const RowSpace &space;
  ArrayRef<OperandView> views;
  Mode mode;
  Operation *root;
  SmallVector<Value> inputs, outputs, results;
  DenseMap<uint32_t, Value> streams;
  Value seed;
  llvm::DenseSet<Value> afterRoot;
  VectorType f32Chunk;
  Value row, lane, rowBase, scratch;
  DenseMap<Value, Value> leafRows, rowValues;
  SmallVector<Chunk> kept;
};

struct LowerFusionToKernel : OpRewritePattern<FusionOp> {
  LowerFusionToKernel(MLIRContext *context, Mode mode)
      : OpRewritePattern(context), mode(mode) {}

  LogicalResult matchAndRewrite(FusionOp fusion,
                                PatternRewriter &rewriter) const override {
    Location loc = fusion.getLoc();
    if (!gpu_kernels::lookupStream(fusion))
      return fusion.emitOpError("is lowered for CUDA in a function without a "
                                "stream argument (ndr-stream-argument)");
    Plan plan = makePlan(fusion, mode);
    SmallVector<OperandView> views;
    for (Value input : fusion.getInputs())
      views.push_back(viewOperand(cast<RankedTensorType>(input.getType()).getShape(),
                                  plan.space));

    Launch launch(rewriter, loc);
    for (Value input : fusion.getInputs())
      launch.read(input);
    for (Type type : fusion.getResultTypes())
      launch.result(cast<RankedTensorType>(type));
    // The streams and the seed of train-mode dropout.
    DenseMap<uint32_t, unsigned> streamArgs;
    int64_t seedArg = -1;
    if (drawsDropout(fusion, mode)) {
      Value seed = lookupSeed(fusion);
      if (!seed)
        return fusion.emitOpError(
            "draws a dropout mask in train mode but its function has no i64 seed "
            "argument: only functions marked 'ndr.model' get one (ndr-seed-argument)");
      for (Operation &op : fusion.getBody().front())
        if (std::optional<uint32_t> stream = getDropoutStream(&op))
          if (!streamArgs.count(*stream))
            streamArgs[*stream] =
                launch.scalar(ndr::lookupStream(rewriter, loc, fusion, *stream));
      seedArg = launch.scalar(seed);
    }
    auto func = fusion->getParentOfType<func::FuncOp>();
    StringRef kind = fusion.getRoot() ? "norm" : "elementwise";
    SmallVector<Value> results = launch.build(
        (func.getSymName() + "_" + kind).str(), plan.grid, plan.block,
        [&](OpBuilder &b, Location kernelLoc, ValueRange args) {
          GroupKernel(b, kernelLoc, fusion, plan, views, args, mode, streamArgs, seedArg)
              .build();
        });
    rewriter.replaceOp(fusion, results);
    return success();
  }

  Mode mode;
};

} // namespace

void ndr::populateLowerFusionToGpuPatterns(RewritePatternSet &patterns, Mode mode) {
  patterns.add<LowerFusionToKernel>(patterns.getContext(), mode);
}
