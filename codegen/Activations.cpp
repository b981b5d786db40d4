//===- Activations.cpp - the activations as f32 arithmetic ----------------===//

#include "codegen/Activations.h"
#include "codegen/CodegenUtils.h"
#include "dialect/NdrOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>
#include <iterator>

using namespace mlir;
using namespace mlir::ndr;

/// 1 / (1 + exp(-x)).
static Value sigmoid(OpBuilder &b, Location loc, Value x) {
  Value one = f32Constant(b, loc, x.getType(), 1.0);
  Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
  return arith::DivFOp::create(b, loc, one, arith::AddFOp::create(b, loc, one, e));
}

/// g(a) = log erfc(a) + a^2 on [0, 7], a polynomial of degree 14 in a - 3.5:
/// a Chebyshev fit in double (numpy's chebfit on 40001 Chebyshev points), its
/// coefficients rounded to f32; evaluated in f32 with fma its error is 2.8e-7
/// (absolute in g, so relative in erfc).
static constexpr float kErfcLogCoefficients[] = {
    -1.862437367e+00f, -2.660994530e-01f, 3.324691951e-02f,  -5.226076115e-03f,
    8.737366297e-04f,  -1.469236013e-04f, 2.434807539e-05f,  -4.037149210e-06f,
    6.002696296e-07f,  -5.095659361e-08f, 6.473719338e-09f,  -3.928940728e-09f,
    3.287519423e-10f,  1.903928126e-10f,  -2.996279960e-11f};
static constexpr double kErfcLogCenter = 3.5, kErfcLogEnd = 7.0;

/// sum c[i] u^i by Estrin's scheme: pairs c[2i] + c[2i+1] u, then pairs of
/// those with u^2, u^4, ...: a chain of about log2(n) fmas where Horner's is
/// n long. Chained, the polynomial bounded GELU by latency (Zen 3: a chunk
/// every 48 cycles, whatever the number of ops).
static Value estrin(OpBuilder &b, Location loc, ArrayRef<float> c, Value u) {
  Type t = u.getType();
  SmallVector<Value> terms;
  for (float coefficient : c)
    terms.push_back(f32Constant(b, loc, t, coefficient));
  Value power = u;
  while (terms.size() > 1) {
    SmallVector<Value> next;
    for (size_t i = 0; i + 1 < terms.size(); i += 2)
      next.push_back(math::FmaOp::create(b, loc, terms[i + 1], power, terms[i]));
    if (terms.size() % 2)
      next.push_back(terms.back());
    terms = std::move(next);
    if (terms.size() > 1)
      power = arith::MulFOp::create(b, loc, power, power);
  }
  return terms.front();
}

/// x * Phi(x), Phi(x) = erfc(-x / sqrt 2) / 2, as x * erfc(a) / 2 for x < 0
/// and x * (1 - erfc(a) / 2) otherwise, a = |x| / sqrt 2, with
/// erfc(a) = exp(g(a) - a^2): no division (MLIR's erfc has two, which made
/// GELU the costliest op of W6 at one thread). Beyond a = 7 (x < -9.9, where
/// |gelu| < 1e-22) g(7) stands in and exp(g - a^2) still decays to 0. erfc keeps
/// Phi accurate where it is tiny (x << 0), where 1 + erf would cancel.
static Value geluErf(OpBuilder &b, Location loc, Value x) {
  // One op per statement: the order of the IR then does not depend on the
  // order in which the C++ compiler evaluates arguments.
  Type t = x.getType();
  auto constant = [&](double v) { return f32Constant(b, loc, t, v); };
  Value magnitude = math::AbsFOp::create(b, loc, x);
  Value a = arith::MulFOp::create(b, loc, magnitude, constant(M_SQRT1_2));
  Value clamped = arith::MinimumFOp::create(b, loc, a, constant(kErfcLogEnd));
  Value u = arith::SubFOp::create(b, loc, clamped, constant(kErfcLogCenter));
  Value g = estrin(b, loc, kErfcLogCoefficients, u);
  Value square = arith::MulFOp::create(b, loc, a, a);
  Value erfc = math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, g, square));
  Value halfErfc = arith::MulFOp::create(b, loc, erfc, constant(0.5));
  Value negative = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, constant(0.0));
  Value upper = arith::SubFOp::create(b, loc, constant(1.0), halfErfc);
  Value phi = arith::SelectOp::create(b, loc, negative, halfErfc, upper);
  return arith::MulFOp::create(b, loc, x, phi);
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
