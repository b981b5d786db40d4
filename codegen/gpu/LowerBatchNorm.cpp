//===- LowerBatchNorm.cpp - ndr.batch_norm to GPU kernels -----------------===//
//
// The tensor is viewed as [outer, channels, inner] (the channel axis in the
// middle). Inference, for the batch norms ndr-decompose-batch-norm leaves
// (f16, bf16): one kernel, `(x - mean) / sqrt(var + eps) * gamma + beta` per
// element with the running statistics. Train mode: the batch mean and then
// the biased variance around it, each a two-phase reduction (deterministic,
// no atomics): blocks of 256 threads sum a share of each channel's elements
// into partials (32 channels x 8 rows of threads when the channel is the
// last dimension, so that a warp reads consecutive channels; 256 threads of
// one channel otherwise), then a thread per channel adds its partials in
// order; the second finalize also updates the running statistics in place
// on the device (unbiased variance). Then the normalizing kernel.
//
//===----------------------------------------------------------------------===//

#include "codegen/CodegenUtils.h"
#include "codegen/gpu/Kernels.h"
#include "codegen/gpu/Passes.h"
#include "dialect/NdrOps.h"

#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::ndr;
using namespace mlir::ndr::gpu_kernels;

namespace {

constexpr int64_t kBlock = 256;
/// Elements each thread of a partial-sum kernel aims to add.
constexpr int64_t kPerThread = 16;
constexpr int64_t kMaxSplits = 512;

Value idx(OpBuilder &b, Location loc, int64_t v) { return index(b, loc, v); }

Value loadF32(OpBuilder &b, Location loc, Value buffer, Value at) {
  return extendToF32(b, loc, memref::LoadOp::create(b, loc, buffer, ValueRange{at}));
}

void storeAs(OpBuilder &b, Location loc, Value v, Value buffer, Value at) {
  Type element = cast<MemRefType>(buffer.getType()).getElementType();
  memref::StoreOp::create(b, loc, truncateFromF32(b, loc, v, element), buffer,
                          ValueRange{at});
}

/// Runs `body` in the thread's `scf.if (cond)`.
void ifThen(OpBuilder &b, Location loc, Value cond, function_ref<void()> body) {
  OpBuilder::InsertionGuard guard(b);
  auto ifOp = scf::IfOp::create(b, loc, cond, /*withElseRegion=*/false);
  b.setInsertionPointToStart(ifOp.thenBlock());
  body();
}

/// The thread's element (one per thread) and whether it exists.
std::pair<Value, Value> elementOfThread(OpBuilder &b, Location loc, int64_t n) {
  Value i = arith::AddIOp::create(
      b, loc,
      arith::MulIOp::create(b, loc, gpu::BlockIdOp::create(b, loc, gpu::Dimension::x),
                            idx(b, loc, kBlock)),
      gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x));
  Value valid = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, i, idx(b, loc, n));
  return {i, valid};
}

int64_t blocksFor(int64_t n) { return (n + kBlock - 1) / kBlock; }

/// y = (x - mean) / sqrt(var + eps) * gamma + beta, mean and var per channel.
Value normalize(OpBuilder &b, Location loc, BatchNormOp op, Value mean, Value var) {
  auto type = cast<RankedTensorType>(op.getType());
  BatchNormLayout layout = batchNormLayout(op);
  Launch launch(b, loc);
  launch.read(op.getInput());
  launch.read(mean);
  launch.read(var);
  int gamma = op.getGamma() ? int(launch.read(op.getGamma())) : -1;
  int beta = op.getBeta() ? int(launch.read(op.getBeta())) : -1;
  unsigned y = launch.result(type);
  float eps = op.getEps().convertToFloat();
  int64_t n = type.getNumElements();
  return launch.build(
      "batch_norm", blocksFor(n), kBlock,
      [&](OpBuilder &kb, Location kl, ValueRange args) {
        auto [i, valid] = elementOfThread(kb, kl, n);
        ifThen(kb, kl, valid, [&] {
          Value c = arith::RemUIOp::create(
              kb, kl, arith::DivUIOp::create(kb, kl, i, idx(kb, kl, layout.inner)),
              idx(kb, kl, layout.channels));
          Type f32 = kb.getF32Type();
          Value std = math::SqrtOp::create(
              kb, kl,
              arith::AddFOp::create(kb, kl, loadF32(kb, kl, args[2], c),
                                    f32Constant(kb, kl, f32, eps)));
          Value v = arith::DivFOp::create(
              kb, kl,
              arith::SubFOp::create(kb, kl, loadF32(kb, kl, args[0], i),
                                    loadF32(kb, kl, args[1], c)),
              std);
          if (gamma >= 0)
            v = arith::MulFOp::create(kb, kl, v, loadF32(kb, kl, args[gamma], c));
          if (beta >= 0)
            v = arith::AddFOp::create(kb, kl, v, loadF32(kb, kl, args[beta], c));
          storeAs(kb, kl, v, args[y], i);
        });
      })[0];
}

struct LowerInferBatchNorm : OpRewritePattern<BatchNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BatchNormOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, normalize(rewriter, op.getLoc(), op, op.getRunningMean(),
                                     op.getRunningVar()));
    return success();
  }
};

struct LowerTrainBatchNorm : OpRewritePattern<BatchNormOp> {
  using OpRewritePattern::OpRewritePattern;

  /// Partial sums over a share of each channel's elements of `term(x, c)`:
  /// [splits, channels] f32.
  static Value partialSums(OpBuilder &b, Location loc, BatchNormOp op,
                           const BatchNormLayout &layout, int64_t splits, Value mean,
                           bool squares) {
    // Threads along channels when they are the last dimension.
    int64_t across = layout.inner == 1 ? kWarp : 1, down = kBlock / across;
    int64_t channelBlocks = (layout.channels + across - 1) / across;
    Launch launch(b, loc);
    launch.read(op.getInput());
    if (squares)
      launch.read(mean);
    unsigned out = launch.result(
        RankedTensorType::get({splits, layout.channels}, b.getF32Type()));
    return launch.build(
        squares ? "batch_norm_var" : "batch_norm_mean", channelBlocks * splits, kBlock,
        [&](OpBuilder &kb, Location kl, ValueRange args) {
          auto c_ = [&](int64_t v) { return idx(kb, kl, v); };
          Value tid = gpu::ThreadIdOp::create(kb, kl, gpu::Dimension::x);
          Value bid = gpu::BlockIdOp::create(kb, kl, gpu::Dimension::x);
          Value tx = arith::RemUIOp::create(kb, kl, tid, c_(across));
          Value ty = arith::DivUIOp::create(kb, kl, tid, c_(across));
          Value split = arith::DivUIOp::create(kb, kl, bid, c_(channelBlocks));
          Value channel = arith::AddIOp::create(
              kb, kl,
              arith::MulIOp::create(kb, kl,
                                    arith::RemUIOp::create(kb, kl, bid, c_(channelBlocks)),
                                    c_(across)),
              tx);
          Value valid = arith::CmpIOp::create(kb, kl, arith::CmpIPredicate::ult, channel,
                                              c_(layout.channels));
          Value cc = arith::MinUIOp::create(kb, kl, channel, c_(layout.channels - 1));
          Value m;
          if (squares)
            m = loadF32(kb, kl, args[1], cc);
          Type f32 = kb.getF32Type();
          Value first = arith::AddIOp::create(
              kb, kl, arith::MulIOp::create(kb, kl, split, c_(down)), ty);
          auto loop = scf::ForOp::create(
              kb, kl, first, c_(layout.positions()), c_(splits * down),
              ValueRange{f32Constant(kb, kl, f32, 0.0)},
              [&](OpBuilder &lb, Location ll, Value p, ValueRange acc) {
                Value n = arith::DivUIOp::create(lb, ll, p, idx(lb, ll, layout.inner));
                Value i = arith::RemUIOp::create(lb, ll, p, idx(lb, ll, layout.inner));
                Value at = arith::AddIOp::create(
                    lb, ll,
                    arith::MulIOp::create(
                        lb, ll,
                        arith::AddIOp::create(
                            lb, ll,
                            arith::MulIOp::create(lb, ll, n, idx(lb, ll, layout.channels)),
                            cc),
                        idx(lb, ll, layout.inner)),
                    i);
                Value v = loadF32(lb, ll, args[0], at);
                if (squares) {
                  Value d = arith::SubFOp::create(lb, ll, v, m);
                  v = arith::MulFOp::create(lb, ll, d, d);
                }
                scf::YieldOp::create(lb, ll,
                                     ValueRange{arith::AddFOp::create(lb, ll, acc[0], v)});
              });
          // The block's threads of one channel, added in order by the first.
          Value shared = workgroupBuffer(kb, kl, kBlock);
          memref::StoreOp::create(kb, kl, loop.getResult(0), shared, ValueRange{tid});
          gpu::BarrierOp::create(kb, kl);
          Value firstRow = arith::CmpIOp::create(kb, kl, arith::CmpIPredicate::eq, ty, c_(0));
          Value writes = arith::AndIOp::create(kb, kl, firstRow, valid);
          ifThen(kb, kl, writes, [&] {
            Value total;
            for (int64_t r = 0; r < down; ++r) {
              Value part = memref::LoadOp::create(
                  kb, kl, shared,
                  ValueRange{arith::AddIOp::create(kb, kl, tx, c_(r * across))});
              total = total ? arith::AddFOp::create(kb, kl, total, part).getResult() : part;
            }
            Value at = arith::AddIOp::create(
                kb, kl, arith::MulIOp::create(kb, kl, split, c_(layout.channels)), channel);
            memref::StoreOp::create(kb, kl, total, args[out], ValueRange{at});
          });
        })[0];
  }

  LogicalResult matchAndRewrite(BatchNormOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(checkRunningStatsInPlace(op)))
      return failure();
    Value runningMean = op.getRunningMean(), runningVar = op.getRunningVar();
    Location loc = op.getLoc();
    BatchNormLayout layout = batchNormLayout(op);
    int64_t splits = std::clamp<int64_t>(
        layout.positions() / ((layout.inner == 1 ? kBlock / kWarp : kBlock) * kPerThread),
        1, kMaxSplits);
    double count = double(layout.positions());
    float momentum = op.getMomentum().convertToFloat();
    auto statType = RankedTensorType::get({layout.channels}, rewriter.getF32Type());

    // A thread per channel adds its partials; for the variance it also
    // updates the running statistics.
    auto finalize = [&](Value partials, Value mean) {
      Launch launch(rewriter, loc);
      launch.read(partials);
      int meanArg = mean ? int(launch.read(mean)) : -1;
      int rm = -1, rv = -1;
      if (mean) {
        rm = launch.update(runningMean);
        rv = launch.update(runningVar);
      }
      unsigned stat = launch.result(statType);
      return launch.build(
          mean ? "batch_norm_var_final" : "batch_norm_mean_final",
          blocksFor(layout.channels), kBlock,
          [&](OpBuilder &kb, Location kl, ValueRange args) {
            auto [c, valid] = elementOfThread(kb, kl, layout.channels);
            ifThen(kb, kl, valid, [&] {
              Type f32 = kb.getF32Type();
              Value total;
              for (int64_t s = 0; s < splits; ++s) {
                Value part = memref::LoadOp::create(
                    kb, kl, args[0],
                    ValueRange{arith::AddIOp::create(kb, kl, c,
                                                     idx(kb, kl, s * layout.channels))});
                total = total ? arith::AddFOp::create(kb, kl, total, part).getResult() : part;
              }
              Value v = arith::DivFOp::create(kb, kl, total, f32Constant(kb, kl, f32, count));
              memref::StoreOp::create(kb, kl, v, args[stat], ValueRange{c});
              if (!mean)
                return;
              // running = (1 - momentum) running + momentum batch; the
              // variance made unbiased by n / (n - 1), as PyTorch does.
              auto update = [&](int arg, Value batch, double correction) {
                Value kept = arith::MulFOp::create(
                    kb, kl, loadF32(kb, kl, args[arg], c),
                    f32Constant(kb, kl, f32, 1.0 - double(momentum)));
                Value added = arith::MulFOp::create(
                    kb, kl, batch,
                    f32Constant(kb, kl, f32, double(momentum) * correction));
                storeAs(kb, kl, arith::AddFOp::create(kb, kl, kept, added), args[arg], c);
              };
              update(rm, loadF32(kb, kl, args[meanArg], c), 1.0);
              update(rv, v, count / (count - 1.0));
            });
          })[0];
    };
    Value mean = finalize(partialSums(rewriter, loc, op, layout, splits, Value(), false),
                          Value());
    Value var = finalize(partialSums(rewriter, loc, op, layout, splits, mean, true), mean);
    rewriter.replaceOp(op, normalize(rewriter, loc, op, mean, var));
    return success();
  }
};

} // namespace

void ndr::populateLowerBatchNormToGpuPatterns(RewritePatternSet &patterns, Mode mode) {
  if (mode == Mode::Infer)
    patterns.add<LowerInferBatchNorm>(patterns.getContext());
  else
    patterns.add<LowerTrainBatchNorm>(patterns.getContext());
}
