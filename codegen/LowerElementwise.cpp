//===- LowerElementwise.cpp - add, mul and activations to linalg ----------===//

#include "codegen/CodegenUtils.h"
#include "codegen/Passes.h"
#include "dialect/NdrOps.h"

#include "mlir/IR/PatternMatch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::ndr;

namespace {

/// `ndr.add` / `ndr.mul`: a generic whose maps do the broadcasting.
template <typename OpTy, typename ArithOp>
struct LowerBroadcastBinary : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    auto resultType = cast<RankedTensorType>(op.getType());
    ArrayRef<int64_t> shape = resultType.getShape();
    AffineMap maps[] = {
        broadcastMap(op.getContext(), op.getLhs().getType().getShape(), shape),
        broadcastMap(op.getContext(), op.getRhs().getType().getShape(), shape)};
    Value result = buildElementwise(
        rewriter, op.getLoc(), resultType, {op.getLhs(), op.getRhs()}, maps,
        [](OpBuilder &b, Location loc, ValueRange args) -> Value {
          return ArithOp::create(b, loc, args[0], args[1]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// 1 / (1 + exp(-x)).
Value sigmoid(OpBuilder &b, Location loc, Value x) {
  Value one = f32Constant(b, loc, x.getType(), 1.0);
  Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
  return arith::DivFOp::create(b, loc, one, arith::AddFOp::create(b, loc, one, e));
}

/// x * Phi(x) = 0.5 x erfc(-x / sqrt 2): erfc keeps Phi accurate where it is
/// tiny (x << 0), where 1 + erf(x / sqrt 2) would cancel.
Value geluErf(OpBuilder &b, Location loc, Value x) {
  Type t = x.getType();
  Value scaled = arith::MulFOp::create(b, loc, x, f32Constant(b, loc, t, -M_SQRT1_2));
  Value half = arith::MulFOp::create(b, loc, x, f32Constant(b, loc, t, 0.5));
  return arith::MulFOp::create(b, loc, half, math::ErfcOp::create(b, loc, scaled));
}

/// 0.5 x (1 + tanh(u)) with u = sqrt(2 / pi) (x + 0.044715 x^3), computed as
/// the equal x * sigmoid(2u), which does not cancel for x << 0.
Value geluTanh(OpBuilder &b, Location loc, Value x) {
  Type t = x.getType();
  Value cube = arith::MulFOp::create(b, loc, arith::MulFOp::create(b, loc, x, x), x);
  Value inner = arith::AddFOp::create(
      b, loc, x,
      arith::MulFOp::create(b, loc, cube, f32Constant(b, loc, t, 0.044715)));
  Value twice = arith::MulFOp::create(
      b, loc, inner, f32Constant(b, loc, t, 2.0 * std::sqrt(2.0 / M_PI)));
  return arith::MulFOp::create(b, loc, x, sigmoid(b, loc, twice));
}

/// An activation: a generic applying `formula` to each element.
template <typename OpTy>
struct LowerActivation : OpRewritePattern<OpTy> {
  using Formula = Value (*)(OpBuilder &, Location, Value, OpTy);
  LowerActivation(MLIRContext *context, Formula formula)
      : OpRewritePattern<OpTy>(context), formula(formula) {}

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    AffineMap identity = rewriter.getMultiDimIdentityMap(type.getRank());
    Value result = buildElementwise(
        rewriter, op.getLoc(), type, {op.getInput()}, {identity},
        [&](OpBuilder &b, Location loc, ValueRange args) {
          return formula(b, loc, args[0], op);
        });
    rewriter.replaceOp(op, result);
    return success();
  }

  Formula formula;
};

} // namespace

void ndr::populateLowerElementwisePatterns(RewritePatternSet &patterns) {
  MLIRContext *context = patterns.getContext();
  patterns.add<LowerBroadcastBinary<AddOp, arith::AddFOp>,
               LowerBroadcastBinary<MulOp, arith::MulFOp>>(context);
  patterns.add<LowerActivation<ReluOp>>(
      context, [](OpBuilder &b, Location loc, Value x, ReluOp) -> Value {
        // maximumf propagates NaN, as torch.relu does.
        return arith::MaximumFOp::create(b, loc, x,
                                         f32Constant(b, loc, x.getType(), 0.0));
      });
  patterns.add<LowerActivation<TanhOp>>(
      context, [](OpBuilder &b, Location loc, Value x, TanhOp) -> Value {
        return math::TanhOp::create(b, loc, x);
      });
  patterns.add<LowerActivation<SigmoidOp>>(
      context, [](OpBuilder &b, Location loc, Value x, SigmoidOp) {
        return sigmoid(b, loc, x);
      });
  patterns.add<LowerActivation<SiluOp>>(
      context, [](OpBuilder &b, Location loc, Value x, SiluOp) -> Value {
        return arith::MulFOp::create(b, loc, x, sigmoid(b, loc, x));
      });
  patterns.add<LowerActivation<GeluOp>>(
      context, [](OpBuilder &b, Location loc, Value x, GeluOp op) {
        return op.getApproximate() == GeluApproximate::Tanh
                   ? geluTanh(b, loc, x)
                   : geluErf(b, loc, x);
      });
}
