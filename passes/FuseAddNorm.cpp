//===- FuseAddNorm.cpp - ndr-fuse-add-norm ----------------------*- C++ -*-===//
//
// A residual add in front of a norm is the norm's input: fusing it (with the
// bias add and dropout in front of it) saves writing and re-reading the sum.
//
//===----------------------------------------------------------------------===//

#include "dialect/NdrOps.h"
#include "dialect/Shapes.h"
#include "passes/Passes.h"

#include "mlir/IR/Dominance.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::ndr {
#define GEN_PASS_DEF_FUSEADDNORM
#include "passes/Passes.h.inc"
} // namespace mlir::ndr

using namespace mlir;
using namespace mlir::ndr;

namespace {

/// What a norm's input add fuses into: sum = residual + dropout(input + bias).
struct AddNormMatch {
  AddOp add;
  Value input, bias, residual;
  DropoutOp dropout;
  /// Where the fused op goes, and whether it must also return the sum.
  Operation *insertionPoint = nullptr;
  bool returnsSum = false;
};

/// The norm's view of its parameters, for layer_norm and rms_norm alike.
struct NormParts {
  Operation *op;
  NormKind kind;
  Value input, gamma, beta;
  FloatAttr eps;
  int64_t normalizedRank;
};

std::optional<NormParts> getNormParts(Operation *op) {
  if (auto norm = dyn_cast<LayerNormOp>(op))
    return NormParts{op, NormKind::Layer, norm.getInput(), norm.getGamma(),
                     norm.getBeta(), norm.getEpsAttr(),
                     static_cast<int64_t>(norm.getNormalizedRank())};
  if (auto norm = dyn_cast<RmsNormOp>(op))
    return NormParts{op, NormKind::Rms, norm.getInput(), norm.getGamma(),
                     Value(), norm.getEpsAttr(),
                     static_cast<int64_t>(norm.getNormalizedRank())};
  return std::nullopt;
}

/// If `value` is `x + bias` with a bias that lies within one normalized row,
/// the add; the bias is set to the operand that broadcasts.
AddOp matchBiasAdd(Value value, int64_t normalizedRank, Value &full,
                   Value &bias) {
  auto add = value.getDefiningOp<AddOp>();
  if (!add || !add->hasOneUse())
    return nullptr;
  auto type = cast<RankedTensorType>(add.getType());
  ArrayRef<int64_t> row = type.getShape().take_back(normalizedRank);
  for (auto [x, b] : {std::pair(add.getLhs(), add.getRhs()),
                      std::pair(add.getRhs(), add.getLhs())}) {
    auto biasType = cast<RankedTensorType>(b.getType());
    if (x.getType() == type && biasType.getRank() < type.getRank() &&
        isTrailingSuffix(row, biasType.getShape())) {
      full = x;
      bias = b;
      return add;
    }
  }
  return nullptr;
}

/// Takes `value` apart into dropout(input + bias), each part optional.
void absorbInput(Value value, int64_t normalizedRank, AddNormMatch &match) {
  if (auto dropout = value.getDefiningOp<DropoutOp>();
      dropout && dropout->hasOneUse()) {
    match.dropout = dropout;
    value = dropout.getInput();
  }
  Value full, bias;
  if (matchBiasAdd(value, normalizedRank, full, bias)) {
    match.bias = bias;
    value = full;
  }
  match.input = value;
}

/// Whether `value` is available right before `op`.
bool isDefinedBefore(Value value, Operation *op) {
  Operation *ancestor = value.getParentBlock()->findAncestorOpInBlock(*op);
  if (!ancestor)
    return false;
  Operation *def = value.getDefiningOp();
  return !def || def->isBeforeInBlock(ancestor);
}

/// Matches the add in front of a norm, or says why it does not fuse.
FailureOr<AddNormMatch> matchAddNorm(const NormParts &norm,
                                     std::string &why) {
  AddNormMatch match;
  match.add = norm.input.getDefiningOp<AddOp>();
  if (!match.add) {
    why = "the norm's input is not an ndr.add";
    return failure();
  }
  Type type = match.add.getType();
  if (match.add.getLhs().getType() != type ||
      match.add.getRhs().getType() != type) {
    why = "the add broadcasts an operand; only a residual add of two "
          "tensors of the sum's type fuses";
    return failure();
  }
  if (getElementTypeOrSelf(type) != getElementTypeOrSelf(norm.input)) {
    why = "element types differ";
    return failure();
  }

  // The operand with dropout or a bias in front of it is the input; without
  // either, the right operand is (the add is exact in either order).
  auto hasPrelude = [&](Value v) {
    Value full, bias;
    return v.getDefiningOp<DropoutOp>() ||
           matchBiasAdd(v, norm.normalizedRank, full, bias);
  };
  Value lhs = match.add.getLhs(), rhs = match.add.getRhs();
  if (!hasPrelude(rhs) && hasPrelude(lhs))
    std::swap(lhs, rhs);
  match.residual = lhs;
  absorbInput(rhs, norm.normalizedRank, match);

  // The pre-norm form: the sum has users besides the norm. The fused op then
  // goes after the add and the norm's parameters, before every other user.
  match.insertionPoint = norm.op;
  match.returnsSum = !match.add->hasOneUse();
  if (match.returnsSum) {
    Operation *point = match.add->getNextNode();
    for (Value param : {norm.gamma, norm.beta})
      if (Operation *def = param ? param.getDefiningOp() : nullptr;
          def && def->getBlock() == point->getBlock() &&
          point->isBeforeInBlock(def))
        point = def->getNextNode();
    // Every other user, nested regions included, must come after the fused
    // op: block order alone misses a user inside an scf.if before `point`.
    DominanceInfo dominance;
    for (Operation *user : match.add->getUsers())
      if (user != norm.op && !dominance.dominates(point, user)) {
        why = "a user of the sum comes before the norm's parameters are "
              "defined";
        return failure();
      }
    match.insertionPoint = point;
  }
  for (Value param : {norm.gamma, norm.beta})
    if (param && !isDefinedBefore(param, match.insertionPoint)) {
      why = "the norm's parameters are not available where the sum is";
      return failure();
    }
  return match;
}

template <typename NormOp>
struct FuseAddIntoNorm : OpRewritePattern<NormOp> {
  using OpRewritePattern<NormOp>::OpRewritePattern;

  LogicalResult matchAndRewrite(NormOp op,
                                PatternRewriter &rewriter) const override {
    NormParts norm = *getNormParts(op);
    std::string why;
    FailureOr<AddNormMatch> match = matchAddNorm(norm, why);
    if (failed(match))
      return rewriter.notifyMatchFailure(op, why);

    Type type = op.getType();
    FloatAttr p;
    IntegerAttr stream;
    if (match->dropout) {
      p = match->dropout.getPAttr();
      stream = match->dropout.getStreamAttr();
    }
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPoint(match->insertionPoint);
    auto fused = FusedAddNormOp::create(
        rewriter, op.getLoc(), type, match->returnsSum ? type : Type(),
        NormKindAttr::get(rewriter.getContext(), norm.kind), match->input,
        match->bias, match->residual, norm.gamma, norm.beta, p, stream,
        norm.eps, rewriter.getI64IntegerAttr(norm.normalizedRank));
    rewriter.replaceOp(op, fused.getResult());
    if (match->returnsSum)
      rewriter.replaceOp(match->add, fused.getSum());
    return success();
  }
};

/// Says, at each norm whose input is still an add, why it did not fuse.
void remarkMissedFusions(Operation *root) {
  root->walk([](Operation *op) {
    std::optional<NormParts> norm = getNormParts(op);
    if (!norm || !norm->input.getDefiningOp<AddOp>())
      return;
    std::string why;
    if (failed(matchAddNorm(*norm, why)))
      op->emitRemark("residual add not fused into this norm: ") << why;
  });
}

struct FuseAddNormPass : ndr::impl::FuseAddNormBase<FuseAddNormPass> {
  using FuseAddNormBase::FuseAddNormBase;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseAddIntoNorm<LayerNormOp>, FuseAddIntoNorm<RmsNormOp>>(
        &getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    if (remarks)
      remarkMissedFusions(getOperation());
  }
};

} // namespace
