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
};

} // namespace

/// The run's key words (seed lo, seed hi) as i32 scalars.
static std::pair<Value, Value> keyWords(OpBuilder &b, Location loc, Value seed) {
  Type i32 = b.getI32Type();
  Value high = arith::ShRUIOp::create(
      b, loc, seed, arith::ConstantIntOp::create(b, loc, b.getI64Type(), 32));
  return {arith::TruncIOp::create(b, loc, i32, seed),
          arith::TruncIOp::create(b, loc, i32, high)};
}

/// Philox4x32-10 of the counter (block lo, block hi, stream, 0) under the
/// run's key, for a scalar `block` (i64): the 4 output words (i32).
static std::array<Value, 4> philoxScalar(const IntBuilder &ib, Value block,
                                         Value seed, Value stream) {
  auto [k0, k1] = keyWords(ib.b, ib.loc, seed);
  std::array<Value, 4> c = {ib.trunc32(block),
                            ib.trunc32(ib.shr(block, ib.cst(64, 32))), stream,
                            ib.i32(0)};
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k0 = ib.add(k0, ib.i32(kW0));
      k1 = ib.add(k1, ib.i32(kW1));
    }
    auto p0 = arith::MulUIExtendedOp::create(ib.b, ib.loc, ib.i32(kM0), c[0]);
    auto p1 = arith::MulUIExtendedOp::create(ib.b, ib.loc, ib.i32(kM1), c[2]);
    c = {ib.bitXor(ib.bitXor(p1.getHigh(), c[1]), k0), p1.getLow(),
         ib.bitXor(ib.bitXor(p0.getHigh(), c[3]), k1), p0.getLow()};
  }
  return c;
}

/// The same for a vector of blocks (vector<n x i64>), one block per lane.
/// Each word stays in the low half of an i64 lane, whose high half is left
/// undefined: a round is then one 32 x 32 -> 64-bit product per word pair
/// (x86's pmuludq, which reads only the low halves) and a shift for its high
/// word, where i32 lanes need the even and odd lanes multiplied apart and
/// blended back (7 instructions for each of the two products instead of 2).
/// The words become i32 lanes once, after the last round.
static std::array<Value, 4> philoxLanes(const IntBuilder &ib, Value block,
                                        Value seed, Value stream) {
  OpBuilder &b = ib.b;
  Location loc = ib.loc;
  Type lanes = ib.type(64);
  Type i64 = b.getI64Type();
  auto splat64 = [&](Value word) { // an i32 scalar in every lane's low half
    return vector::BroadcastOp::create(b, loc, lanes,
                                       arith::ExtUIOp::create(b, loc, i64, word));
  };
  auto word = [&](uint32_t value) {
    return arith::ConstantIntOp::create(b, loc, b.getI32Type(), value);
  };
  Value low32 = ib.cst(64, 0xFFFFFFFFull), shift = ib.cst(64, 32);
  Value m0 = ib.cst(64, kM0), m1 = ib.cst(64, kM1);
  auto [k0, k1] = keyWords(b, loc, seed);
  std::array<Value, 4> c = {block, ib.shr(block, shift), splat64(stream),
                            ib.cst(64, 0)};
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k0 = arith::AddIOp::create(b, loc, k0, word(kW0));
      k1 = arith::AddIOp::create(b, loc, k1, word(kW1));
    }
    Value p0 = arith::MulIOp::create(b, loc, ib.bitAnd(c[0], low32), m0);
    Value p1 = arith::MulIOp::create(b, loc, ib.bitAnd(c[2], low32), m1);
    c = {ib.bitXor(ib.bitXor(ib.shr(p1, shift), c[1]), splat64(k0)), p1,
         ib.bitXor(ib.bitXor(ib.shr(p0, shift), c[3]), splat64(k1)), p0};
  }
  for (Value &w : c)
    w = ib.trunc32(w);
  return c;
}

/// Philox4x32-10 of the counter (block lo, block hi, stream, 0) under the
/// run's key: the 4 output words, i32 or vector<n x i32> as `block`.
static std::array<Value, 4> philox(const IntBuilder &ib, Value block, Value seed,
                                   Value stream) {
  if (isa<VectorType>(ib.shape))
    return philoxLanes(ib, block, seed, stream);
  return philoxScalar(ib, block, seed, stream);
}

Value ndr::buildPhiloxDraw(OpBuilder &b, Location loc, Value index, Value seed,
                           Value stream) {
  IntBuilder ib{b, loc, index.getType()};
  Value block = ib.shr(index, ib.cst(64, 3));
  std::array<Value, 4> words = philox(ib, block, seed, stream);
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
  return philox(ib, indices, seed, stream);
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
  std::array<Value, 4> words = philox(ib, block, seed, stream);
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
