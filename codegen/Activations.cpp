//===- Activations.cpp - the activations as f32 arithmetic ----------------===//

#include "codegen/Activations.h"
#include "codegen/CodegenUtils.h"
#include "dialect/NdrOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>

using namespace mlir;
using namespace mlir::ndr;

/// 1 / (1 + exp(-x)).
static Value sigmoid(OpBuilder &b, Location loc, Value x) {
  Value one = f32Constant(b, loc, x.getType(), 1.0);
  Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
  return arith::DivFOp::create(b, loc, one, arith::AddFOp::create(b, loc, one, e));
}

/// x * Phi(x) = 0.5 x erfc(-x / sqrt 2): erfc keeps Phi accurate where it is
/// tiny (x << 0), where 1 + erf(x / sqrt 2) would cancel.
static Value geluErf(OpBuilder &b, Location loc, Value x) {
  Type t = x.getType();
  Value scaled = arith::MulFOp::create(b, loc, x, f32Constant(b, loc, t, -M_SQRT1_2));
  Value half = arith::MulFOp::create(b, loc, x, f32Constant(b, loc, t, 0.5));
  return arith::MulFOp::create(b, loc, half, math::ErfcOp::create(b, loc, scaled));
}

/// 0.5 x (1 + tanh(u)) with u = sqrt(2 / pi) (x + 0.044715 x^3), computed as
/// the equal x * sigmoid(2u), which does not cancel for x << 0.
static Value geluTanh(OpBuilder &b, Location loc, Value x) {
  Type t = x.getType();
  Value cube = arith::MulFOp::create(b, loc, arith::MulFOp::create(b, loc, x, x), x);
  Value inner = arith::AddFOp::create(
      b, loc, x,
      arith::MulFOp::create(b, loc, cube, f32Constant(b, loc, t, 0.044715)));
  Value twice = arith::MulFOp::create(
      b, loc, inner, f32Constant(b, loc, t, 2.0 * std::sqrt(2.0 / M_PI)));
  return arith::MulFOp::create(b, loc, x, sigmoid(b, loc, twice));
}

Value ndr::buildActivation(OpBuilder &b, Location loc, Operation *op, Value x) {
  if (isa<ReluOp>(op)) // maximumf propagates NaN, as torch.relu does
    return arith::MaximumFOp::create(b, loc, x, f32Constant(b, loc, x.getType(), 0.0));
  if (isa<TanhOp>(op))
    return math::TanhOp::create(b, loc, x);
  if (isa<SigmoidOp>(op))
    return sigmoid(b, loc, x);
  if (isa<SiluOp>(op))
    return arith::MulFOp::create(b, loc, x, sigmoid(b, loc, x));
  auto gelu = cast<GeluOp>(op);
  return gelu.getApproximate() == GeluApproximate::Tanh ? geluTanh(b, loc, x)
                                                        : geluErf(b, loc, x);
}
