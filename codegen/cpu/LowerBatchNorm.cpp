//===- LowerBatchNorm.cpp - ndr.batch_norm to linalg ----------------------===//

#include "codegen/CodegenUtils.h"
#include "codegen/cpu/Passes.h"
#include "dialect/NdrOps.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::ndr;

namespace {

/// `(x - mean_c) / sqrt(var_c + eps) * gamma_c + beta_c` as one generic; the
/// per-channel operands are read through the channel dimension.
Value normalize(OpBuilder &b, Location loc, BatchNormOp op, Value mean,
                Value var) {
  auto type = cast<RankedTensorType>(op.getType());
  AffineMap channel = AffineMap::get(
      type.getRank(), 0, b.getAffineDimExpr(op.getChannelDim()), b.getContext());
  SmallVector<Value> inputs = {op.getInput(), mean, var};
  if (op.getGamma())
    inputs.push_back(op.getGamma());
  if (op.getBeta())
    inputs.push_back(op.getBeta());
  SmallVector<AffineMap> maps(inputs.size(), channel);
  maps[0] = b.getMultiDimIdentityMap(type.getRank());
  bool hasGamma = op.getGamma() != nullptr, hasBeta = op.getBeta() != nullptr;
  float eps = op.getEps().convertToFloat();
  return buildElementwise(
      b, loc, type, inputs, maps,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Type f32 = nb.getF32Type();
        Value std = math::SqrtOp::create(
            nb, nloc,
            arith::AddFOp::create(nb, nloc, args[2], f32Constant(nb, nloc, f32, eps)));
        Value y = arith::DivFOp::create(
            nb, nloc, arith::SubFOp::create(nb, nloc, args[0], args[1]), std);
        if (hasGamma)
          y = arith::MulFOp::create(nb, nloc, y, args[3]);
        if (hasBeta)
          y = arith::AddFOp::create(nb, nloc, y, args[hasGamma ? 4 : 3]);
        return y;
      });
}

/// Infer mode: normalize with the running statistics.
struct LowerInferBatchNorm : OpRewritePattern<BatchNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BatchNormOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, normalize(rewriter, op.getLoc(), op,
                                     op.getRunningMean(), op.getRunningVar()));
    return success();
  }
};

/// Writes `running = (1 - momentum) * running + momentum * batch * correction`
/// into the buffer of `running`, a function argument: the update is a side
/// effect of the run, not a result.
void updateInPlace(OpBuilder &b, Location loc, Value running, Value batch,
                   float momentum, double correction) {
  auto type = cast<RankedTensorType>(running.getType());
  AffineMap identity = b.getMultiDimIdentityMap(1);
  Value updated = buildElementwise(
      b, loc, type, {running, batch}, {identity, identity},
      [&](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
        Type f32 = nb.getF32Type();
        Value kept = arith::MulFOp::create(
            nb, nloc, args[0], f32Constant(nb, nloc, f32, 1.0 - double(momentum)));
        Value added = arith::MulFOp::create(
            nb, nloc, args[1],
            f32Constant(nb, nloc, f32, double(momentum) * correction));
        return arith::AddFOp::create(nb, nloc, kept, added);
      });
  auto memrefType = MemRefType::get(type.getShape(), type.getElementType());
  Value buffer = bufferization::ToBufferOp::create(b, loc, memrefType, running);
  bufferization::MaterializeInDestinationOp::create(
      b, loc, TypeRange{}, updated, buffer, /*restrict=*/true, /*writable=*/true);
}

/// Runs of one model may overlap (runtime/ndr_model.h), and train-mode
/// batch_norm's running statistics are the one state they share: their
/// read-modify-write holds this module's spin lock (the update is one pass
/// over the channels, so a waiter spins briefly; no runtime call, so JIT-run
/// code needs nothing linked).
constexpr StringLiteral kStatsLock = "ndr_running_stats_lock";

/// Spins until the lock word goes from 0 to 1 (`atomicrmw xchg`, acq_rel).
void acquireStatsLock(OpBuilder &b, Location loc) {
  auto lockType = MemRefType::get({}, b.getI32Type());
  Value lock = memref::GetGlobalOp::create(b, loc, lockType, kStatsLock);
  Value one = arith::ConstantIntOp::create(b, loc, 1, 32);
  Value zero = arith::ConstantIntOp::create(b, loc, 0, 32);
  scf::WhileOp::create(
      b, loc, TypeRange{}, ValueRange{},
      [&](OpBuilder &nb, Location nloc, ValueRange) {
        Value old = memref::AtomicRMWOp::create(
            nb, nloc, arith::AtomicRMWKind::assign, one, lock, ValueRange{});
        Value held = arith::CmpIOp::create(nb, nloc, arith::CmpIPredicate::ne,
                                           old, zero);
        scf::ConditionOp::create(nb, nloc, held, ValueRange{});
      },
      [&](OpBuilder &nb, Location nloc, ValueRange) {
        scf::YieldOp::create(nb, nloc);
      });
}

/// Stores 0 to the lock word (`atomicrmw xchg`: a release).
void releaseStatsLock(OpBuilder &b, Location loc) {
  auto lockType = MemRefType::get({}, b.getI32Type());
  Value lock = memref::GetGlobalOp::create(b, loc, lockType, kStatsLock);
  memref::AtomicRMWOp::create(b, loc, arith::AtomicRMWKind::assign,
                              arith::ConstantIntOp::create(b, loc, 0, 32), lock,
                              ValueRange{});
}

/// Train mode: normalize with the batch statistics (mean, then the biased
/// variance around it, each an f32 reduction over every dimension but the
/// channel's), and update the running statistics in place with the unbiased
/// variance.
struct LowerTrainBatchNorm : OpRewritePattern<BatchNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BatchNormOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(checkRunningStatsInPlace(op)))
      return failure();
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    int64_t channels = op.getNumChannels();
    double count = double(type.getNumElements()) / double(channels);
    auto statType = RankedTensorType::get({channels}, rewriter.getF32Type());
    AffineMap channel = AffineMap::get(
        type.getRank(), 0, rewriter.getAffineDimExpr(op.getChannelDim()),
        op.getContext());
    AffineMap identity = rewriter.getMultiDimIdentityMap(type.getRank());
    SmallVector<utils::IteratorType> iterators(type.getRank(),
                                               utils::IteratorType::reduction);
    iterators[op.getChannelDim()] = utils::IteratorType::parallel;

    // Sum over the channel of f(x, stat) for each element, divided by count.
    auto average = [&](ValueRange inputs, ArrayRef<AffineMap> maps,
                       auto term) -> Value {
      Value zero = f32Constant(rewriter, loc, rewriter.getF32Type(), 0.0);
      Value init = linalg::FillOp::create(rewriter, loc, zero,
                                          emptyTensor(rewriter, loc, statType))
                       .getResult(0);
      SmallVector<AffineMap> allMaps(maps);
      allMaps.push_back(channel);
      Value sum = linalg::GenericOp::create(
                      rewriter, loc, TypeRange{statType}, inputs, ValueRange{init},
                      allMaps, iterators,
                      [&](OpBuilder &b, Location bodyLoc, ValueRange args) {
                        Value t = term(b, bodyLoc, args);
                        linalg::YieldOp::create(
                            b, bodyLoc,
                            ValueRange{arith::AddFOp::create(b, bodyLoc, args.back(), t)});
                      })
                      .getResult(0);
      return buildElementwise(
          rewriter, loc, statType, {sum}, {rewriter.getMultiDimIdentityMap(1)},
          [&](OpBuilder &b, Location bodyLoc, ValueRange args) -> Value {
            return arith::DivFOp::create(
                b, bodyLoc, args[0],
                f32Constant(b, bodyLoc, b.getF32Type(), count));
          });
    };
    Value mean = average({op.getInput()}, {identity},
                         [](OpBuilder &b, Location bodyLoc, ValueRange args) {
                           return extendToF32(b, bodyLoc, args[0]);
                         });
    Value var = average(
        {op.getInput(), mean}, {identity, channel},
        [](OpBuilder &b, Location bodyLoc, ValueRange args) -> Value {
          Value d = arith::SubFOp::create(
              b, bodyLoc, extendToF32(b, bodyLoc, args[0]), args[1]);
          return arith::MulFOp::create(b, bodyLoc, d, d);
        });
    // Everything read from the op before replaceOp erases it.
    Value y = normalize(rewriter, loc, op, mean, var);
    updateRunningStats(rewriter, loc, op, mean, var);
    rewriter.replaceOp(op, y);
    return success();
  }
};

} // namespace

void ndr::updateRunningStats(OpBuilder &b, Location loc, BatchNormOp op,
                             Value mean, Value var) {
  auto type = cast<RankedTensorType>(op.getType());
  double count = double(type.getNumElements()) / double(op.getNumChannels());
  float momentum = op.getMomentum().convertToFloat();
  acquireStatsLock(b, loc);
  updateInPlace(b, loc, op.getRunningMean(), mean, momentum, 1.0);
  // n / (n - 1) makes the biased variance unbiased; PyTorch does the same
  // and gets inf or NaN for n = 1.
  updateInPlace(b, loc, op.getRunningVar(), var, momentum, count / (count - 1.0));
  releaseStatsLock(b, loc);
}

void ndr::declareRunningStatsLock(ModuleOp module) {
  if (module.lookupSymbol(kStatsLock))
    return;
  OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
  auto type = MemRefType::get({}, b.getI32Type());
  memref::GlobalOp::create(
      b, module.getLoc(), b.getStringAttr(kStatsLock),
      b.getStringAttr("private"), TypeAttr::get(type),
      DenseElementsAttr::get(RankedTensorType::get({}, b.getI32Type()),
                             b.getI32IntegerAttr(0)),
      /*constant=*/UnitAttr(), /*alignment=*/IntegerAttr());
}

void ndr::populateLowerBatchNormPatterns(RewritePatternSet &patterns,
                                         Mode mode) {
  if (mode == Mode::Infer)
    patterns.add<LowerInferBatchNorm>(patterns.getContext());
  else
    patterns.add<LowerTrainBatchNorm>(patterns.getContext());
}
