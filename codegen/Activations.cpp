//===- Activations.cpp - the activations as f32 arithmetic ----------------===//

#include "codegen/Activations.h"
#include "codegen/CodegenUtils.h"
#include "dialect/NdrOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>
#include <iterator>

using namespace mlir;
using namespace mlir::ndr;

/// G(a) = log2 erfc(a) + a^2 log2(e) on [0, 7], a polynomial of degree 14 in
/// a - 3.5: a Chebyshev fit in double (numpy's chebfit on 40001 Chebyshev
/// points), its coefficients rounded to f32; evaluated in f32 with fma its
/// error is 5.4e-7 (absolute in G, so 3.7e-7 relative in erfc).
static constexpr float kErfcLog2Coefficients[] = {
    -2.686929226e+00f, -3.839003742e-01f, 4.796516895e-02f,  -7.539634127e-03f,
    1.260535559e-03f,  -2.119659621e-04f, 3.512684634e-05f,  -5.824373147e-06f,
    8.660061326e-07f,  -7.351514597e-08f, 9.339587770e-09f,  -5.668240100e-09f,
    4.742898296e-10f,  2.746781413e-10f,  -4.322720654e-11f};
static constexpr double kErfcLogCenter = 3.5, kErfcLogEnd = 7.0;

/// 2^f / 2 on [-0.5, 0.5], degree 6 (a Chebyshev fit of 2^f in double, halved:
/// exact in f32); by Horner's scheme in f32 its relative error is 8.8e-8.
static constexpr float kHalfExp2Coefficients[] = {
    0.5f, 3.465735912e-01f, 1.201132536e-01f, 2.775163576e-02f,
    4.809012637e-03f, 6.700216327e-04f, 7.734866085e-05f};

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

/// sum c[i] u^i by Horner's scheme: the fewest ops, for a short polynomial.
static Value horner(OpBuilder &b, Location loc, ArrayRef<float> c, Value u) {
  Type t = u.getType();
  Value sum = f32Constant(b, loc, t, c.back());
  for (float coefficient : llvm::reverse(c.drop_back()))
    sum = math::FmaOp::create(b, loc, sum, u, f32Constant(b, loc, t, coefficient));
  return sum;
}

/// 1.5 * 2^23, whose sum with e (|e| < 2^22) is rounded to the integer k
/// nearest to e: k is then exactly that sum minus it, and the sum's low
/// bits are k. No rounding or conversion op: the same arithmetic on every
/// backend (NVVM would call libdevice for a rounding op).
static constexpr double kRoundingMagic = 0x1.8p23;

/// 2^(k + f) / 2 for f in [-0.5, 0.5] and an integer k in [-127, 128] given
/// as `shifted` = k + kRoundingMagic (0 at k = -127, infinite at 128): 2^f / 2
/// a polynomial, 2^k the float whose exponent field is k + 127.
static Value scaledHalfExp2(OpBuilder &b, Location loc, Value shifted, Value f) {
  Type t = f.getType();
  Type bits = b.getI32Type();
  if (auto vector = dyn_cast<VectorType>(t))
    bits = vector.clone(bits);
  Value half = horner(b, loc, kHalfExp2Coefficients, f);
  Value kBits = arith::BitcastOp::create(b, loc, bits, shifted);
  Value exponent = arith::ShLIOp::create(
      b, loc, kBits, createScalarOrSplatConstant(b, loc, bits, int64_t(23)));
  Value scaleBits = arith::AddIOp::create(
      b, loc, exponent, createScalarOrSplatConstant(b, loc, bits, int64_t(127) << 23));
  Value scale = arith::BitcastOp::create(b, loc, t, scaleBits);
  return arith::MulFOp::create(b, loc, half, scale);
}

/// 2^e / 2 for -127 <= e <= 128 (0 at -127, infinite at 128), e = k + f.
static Value halfExp2(OpBuilder &b, Location loc, Value e) {
  Value magic = f32Constant(b, loc, e.getType(), kRoundingMagic);
  Value shifted = arith::AddFOp::create(b, loc, e, magic);
  Value k = arith::SubFOp::create(b, loc, shifted, magic);
  Value f = arith::SubFOp::create(b, loc, e, k);
  return scaledHalfExp2(b, loc, shifted, f);
}

/// 1 / (1 + exp(-x)) with exp(-x) = 2^(-x log2 e): 22 vector ops in LLVM IR
/// (bitcasts aside, the division included) where math.exp made 27. The
/// fraction f = -x log2 e - k comes from fmas with log2 e split in two f32
/// (Cody and Waite), as the rounding of -x log2 e to f32 would cost up to
/// 1.3e-6 of 2^e at x = -88. x is clamped to [-88.75, 88]: at 88, 2^k is 0
/// and sigmoid 1; at -88.75 it is infinite and sigmoid 0 (within 3e-39 of
/// the truth), as exp's overflow would make it, so silu(-inf) is NaN as in
/// PyTorch. NaN stays NaN.
static Value sigmoid(OpBuilder &b, Location loc, Value x) {
  Type t = x.getType();
  auto constant = [&](double v) { return f32Constant(b, loc, t, v); };
  const double log2eHigh = float(M_LOG2E), log2eLow = M_LOG2E - log2eHigh;
  Value low = arith::MaximumFOp::create(b, loc, x, constant(-88.75));
  Value clamped = arith::MinimumFOp::create(b, loc, low, constant(88.0));
  Value e = arith::MulFOp::create(b, loc, clamped, constant(-log2eHigh));
  Value magic = constant(kRoundingMagic);
  Value shifted = arith::AddFOp::create(b, loc, e, magic);
  Value minusK = arith::SubFOp::create(b, loc, magic, shifted);
  Value roughF = math::FmaOp::create(b, loc, clamped, constant(-log2eHigh), minusK);
  Value f = math::FmaOp::create(b, loc, clamped, constant(-log2eLow), roughF);
  Value half = scaledHalfExp2(b, loc, shifted, f);
  Value denominator = math::FmaOp::create(b, loc, half, constant(2.0), constant(1.0));
  return arith::DivFOp::create(b, loc, constant(1.0), denominator);
}

/// x * Phi(x), Phi(x) = erfc(-x / sqrt 2) / 2, as x * erfc(a) / 2 for x < 0
/// and x * (1 - erfc(a) / 2) otherwise, a = |x| / sqrt 2, with
/// erfc(a) / 2 = 2^(G(a) - a^2 log2(e)) / 2: no division (MLIR's erfc has
/// two, which made GELU the costliest op of W6 at one thread), and the
/// scales folded into G and the polynomial of 2^f (38 vector ops a chunk
/// where erfc through math.exp took 49). Beyond a = 7 (x < -9.9, where
/// |gelu| < 1e-22) G(7) stands in and the exponent still decays, clamped at
/// -127, where 2^e is 0. erfc keeps Phi accurate where it is tiny (x << 0),
/// where 1 + erf would cancel.
static Value geluErf(OpBuilder &b, Location loc, Value x) {
  // One op per statement: the order of the IR then does not depend on the
  // order in which the C++ compiler evaluates arguments.
  Type t = x.getType();
  auto constant = [&](double v) { return f32Constant(b, loc, t, v); };
  Value magnitude = math::AbsFOp::create(b, loc, x);
  Value clamped = arith::MinimumFOp::create(b, loc, magnitude,
                                            constant(kErfcLogEnd * M_SQRT2));
  Value u = math::FmaOp::create(b, loc, clamped, constant(M_SQRT1_2),
                                constant(-kErfcLogCenter));
  Value g = estrin(b, loc, kErfcLog2Coefficients, u);
  Value square = arith::MulFOp::create(b, loc, x, x);
  Value log2Erfc = math::FmaOp::create(b, loc, square, constant(-0.5 * M_LOG2E), g);
  Value exponent = arith::MaximumFOp::create(b, loc, log2Erfc, constant(-127.0));
  Value halfErfc = halfExp2(b, loc, exponent);
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
