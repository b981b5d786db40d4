//===- Philox.cpp - inline Philox4x32-10 dropout masks --------------------===//

#include "codegen/Philox.h"
#include "codegen/CodegenUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <array>
#include <cmath>
#include <numeric>

using namespace mlir;

namespace {

constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
constexpr uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;

/// Integer arithmetic on one element type, scalar or vector like `shape`.
struct IntBuilder {
  OpBuilder &b;
  Location loc;
  Type shape;

  Type type(unsigned bits) const {
    Type element = b.getIntegerType(bits);
    if (auto vector = dyn_cast<VectorType>(shape))
      return vector.clone(element);
    return element;
  }
  Value cst(unsigned bits, uint64_t value) const {
    return createScalarOrSplatConstant(b, loc, type(bits), APInt(bits, value));
  }
  Value i32(uint32_t value) const { return cst(32, value); }
  Value trunc32(Value v) const {
    return arith::TruncIOp::create(b, loc, type(32), v);
  }
  Value shr(Value v, Value amount) const {
    return arith::ShRUIOp::create(b, loc, v, amount);
  }
  Value bitAnd(Value l, Value r) const { return arith::AndIOp::create(b, loc, l, r); }
  Value bitXor(Value l, Value r) const { return arith::XOrIOp::create(b, loc, l, r); }
  Value add(Value l, Value r) const { return arith::AddIOp::create(b, loc, l, r); }
  Value eq(Value l, Value r) const {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, l, r);
  }
  /// A scalar i32 made a value of this shape.
  Value splat(Value scalar) const {
    if (isa<VectorType>(shape))
      return vector::BroadcastOp::create(b, loc, type(32), scalar);
    return scalar;
  }
};

} // namespace

/// The high and low words of the 32 x 32 -> 64-bit products of `c` with the
/// constant `m`. On vectors of an even length, x86 has only the product of
/// the even lanes (pmuludq): the even and odd lanes are multiplied as i64
/// pairs and blended back, instead of widening to twice the registers.
static std::pair<Value, Value> mulHiLo(const IntBuilder &ib, uint32_t m, Value c) {
  OpBuilder &b = ib.b;
  Location loc = ib.loc;
  auto vector = dyn_cast<VectorType>(ib.shape);
  if (!vector || vector.getNumElements() % 2) {
    auto product = arith::MulUIExtendedOp::create(b, loc, ib.i32(m), c);
    return {product.getHigh(), product.getLow()};
  }
  int64_t n = vector.getNumElements();
  auto pairs = VectorType::get({n / 2}, b.getI64Type());
  auto pairConstant = [&](uint64_t value) {
    return createScalarOrSplatConstant(b, loc, pairs, APInt(64, value));
  };
  Value low32 = pairConstant(0xFFFFFFFFull), high32 = pairConstant(~0xFFFFFFFFull);
  Value shift = pairConstant(32), factor = pairConstant(m);
  Value wide = vector::BitCastOp::create(b, loc, pairs, c);
  // even: c[2i] * m, odd: c[2i + 1] * m, as i64 pairs.
  Value even =
      arith::MulIOp::create(b, loc, arith::AndIOp::create(b, loc, wide, low32), factor);
  Value odd =
      arith::MulIOp::create(b, loc, arith::ShRUIOp::create(b, loc, wide, shift), factor);
  // Back into lanes 2i and 2i + 1: shifts and masks, not shuffles.
  Value low = arith::OrIOp::create(b, loc, arith::AndIOp::create(b, loc, even, low32),
                                   arith::ShLIOp::create(b, loc, odd, shift));
  Value high = arith::OrIOp::create(b, loc, arith::ShRUIOp::create(b, loc, even, shift),
                                    arith::AndIOp::create(b, loc, odd, high32));
  auto words = VectorType::get({n}, b.getI32Type());
  return {vector::BitCastOp::create(b, loc, words, high),
          vector::BitCastOp::create(b, loc, words, low)};
}

/// Philox4x32-10 of the counter (lo, hi, stream, 0) under the run's key:
/// the 4 output words, of the shape of `lo` and `hi`.
static std::array<Value, 4> philox(const IntBuilder &ib, Value lo, Value hi,
                                   Value seed, Value stream) {
  OpBuilder &b = ib.b;
  Location loc = ib.loc;
  Type i32 = b.getI32Type();
  Value seedLo = arith::TruncIOp::create(b, loc, i32, seed);
  Value seedHi = arith::TruncIOp::create(
      b, loc, i32,
      arith::ShRUIOp::create(b, loc, seed,
                             arith::ConstantIntOp::create(b, loc, b.getI64Type(), 32)));
  std::array<Value, 4> c = {lo, hi, ib.splat(stream), ib.i32(0)};
  Value k0 = ib.splat(seedLo), k1 = ib.splat(seedHi);
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k0 = ib.add(k0, ib.i32(kW0));
      k1 = ib.add(k1, ib.i32(kW1));
    }
    auto [high0, low0] = mulHiLo(ib, kM0, c[0]);
    auto [high1, low1] = mulHiLo(ib, kM1, c[2]);
    c = {ib.bitXor(ib.bitXor(high1, c[1]), k0), low1,
         ib.bitXor(ib.bitXor(high0, c[3]), k1), low0};
  }
  return c;
}

Value ndr::buildPhiloxDraw(OpBuilder &b, Location loc, Value index, Value seed,
                           Value stream) {
  IntBuilder ib{b, loc, index.getType()};
  Value block = ib.shr(index, ib.cst(64, 3));
  std::array<Value, 4> words =
      philox(ib, ib.trunc32(block), ib.trunc32(ib.shr(block, ib.cst(64, 32))),
             seed, stream);
  // Word h / 2 of the block, low half first.
  Value half = ib.trunc32(ib.bitAnd(index, ib.cst(64, 7)));
  Value word = ib.shr(half, ib.i32(1));
  Value chosen = words[3];
  for (int w = 2; w >= 0; --w)
    chosen = arith::SelectOp::create(b, loc, ib.eq(word, ib.i32(w)), words[w],
                                     chosen);
  Value shift = arith::ShLIOp::create(b, loc, ib.bitAnd(half, ib.i32(1)),
                                      ib.i32(4));
  return ib.bitAnd(ib.shr(chosen, shift), ib.i32(0xFFFF));
}

std::array<Value, 4> ndr::buildPhiloxWords(OpBuilder &b, Location loc,
                                           Value firstBlock, Value seed,
                                           Value stream, int64_t blocks) {
  auto lanes = VectorType::get({blocks}, b.getI64Type());
  IntBuilder ib{b, loc, lanes};
  SmallVector<int64_t> offsets(blocks);
  std::iota(offsets.begin(), offsets.end(), 0);
  Value indices = arith::AddIOp::create(
      b, loc, vector::BroadcastOp::create(b, loc, lanes, firstBlock),
      arith::ConstantOp::create(b, loc, DenseElementsAttr::get(lanes, ArrayRef(offsets))));
  return philox(ib, ib.trunc32(indices), ib.trunc32(ib.shr(indices, ib.cst(64, 32))),
                seed, stream);
}

Value ndr::buildBlockMajorWords(OpBuilder &b, Location loc,
                                ArrayRef<Value> words) {
  int64_t n = cast<VectorType>(words[0].getType()).getNumElements();
  // [w0[j], w1[j]] pairs, [w2[j], w3[j]] pairs, then the two interleaved.
  SmallVector<int64_t> pairs, quads;
  for (int64_t j = 0; j < n; ++j)
    pairs.append({j, n + j});
  for (int64_t j = 0; j < n; ++j)
    quads.append({2 * j, 2 * j + 1, 2 * n + 2 * j, 2 * n + 2 * j + 1});
  Value low = vector::ShuffleOp::create(b, loc, words[0], words[1], pairs);
  Value high = vector::ShuffleOp::create(b, loc, words[2], words[3], pairs);
  return vector::ShuffleOp::create(b, loc, low, high, quads);
}

Value ndr::buildBlockDraws(OpBuilder &b, Location loc, Value words) {
  // Little-endian halves: word h / 2, low half first, is the draw order.
  int64_t draws = 2 * cast<VectorType>(words.getType()).getNumElements();
  Value halves = vector::BitCastOp::create(
      b, loc, VectorType::get({draws}, b.getI16Type()), words);
  return arith::ExtUIOp::create(b, loc, VectorType::get({draws}, b.getI32Type()), halves);
}

Value ndr::buildChunkDraws(OpBuilder &b, Location loc, Value first, int64_t lanes,
                           Value seed, Value stream) {
  assert((lanes == 1 || lanes == 2 || lanes == 4 || lanes == 8) && "lanes of a block");
  Type i32 = b.getI32Type();
  auto draws = VectorType::get({lanes}, i32);
  if (lanes == 1)
    return vector::FromElementsOp::create(
        b, loc, draws, ValueRange{buildPhiloxDraw(b, loc, first, seed, stream)});
  IntBuilder ib{b, loc, first.getType()};
  Value block = ib.shr(first, ib.cst(64, 3));
  std::array<Value, 4> words =
      philox(ib, ib.trunc32(block), ib.trunc32(ib.shr(block, ib.cst(64, 32))), seed,
             stream);
  if (lanes == 8)
    return buildBlockDraws(b, loc, vector::FromElementsOp::create(
                                       b, loc, VectorType::get({4}, i32), words));
  // Half h of the block's 8 draws is word h / 2: the chunk's words start at
  // word (first % 8) / 2.
  Value start = ib.trunc32(ib.shr(ib.bitAnd(first, ib.cst(64, 7)), ib.cst(64, 1)));
  SmallVector<Value> chosen;
  for (int64_t w = 0; w < lanes / 2; ++w) {
    Value word = words[3];
    for (int64_t c = 2; c >= 0; --c) {
      if (c + w > 3)
        continue;
      word = arith::SelectOp::create(b, loc, ib.eq(start, ib.i32(c)), words[c + w], word);
    }
    chosen.push_back(word);
  }
  Value packed = vector::FromElementsOp::create(
      b, loc, VectorType::get({lanes / 2}, i32), chosen);
  Value halves = vector::BitCastOp::create(
      b, loc, VectorType::get({lanes}, b.getI16Type()), packed);
  return arith::ExtUIOp::create(b, loc, draws, halves);
}

Value ndr::buildDropoutKeep(OpBuilder &b, Location loc, Value draw, float p) {
  IntBuilder ib{b, loc, draw.getType()};
  auto threshold = static_cast<uint32_t>(std::lround(double(p) * 65536.0));
  return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, draw,
                               ib.i32(threshold));
}

Value ndr::buildDropoutApply(OpBuilder &b, Location loc, Value value,
                             Value keep, float p) {
  // 1 / (1 - p) rounded once to f32; unused when p = 1 (nothing is kept).
  double scale = p < 1.0f ? 1.0 / (1.0 - double(p)) : 0.0;
  Value scaled = arith::MulFOp::create(
      b, loc, value, f32Constant(b, loc, value.getType(), scale));
  return arith::SelectOp::create(b, loc, keep, scaled,
                                 f32Constant(b, loc, value.getType(), 0.0));
}
