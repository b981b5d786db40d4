//===- Philox.h - inline Philox4x32-10 dropout masks ------------*- C++ -*-===//
//
// Builds the dropout mask of DESIGN.md section 5 in IR, for one element
// (scalar operands) or for the lanes of a vector (vector operands) at once.
//
//===----------------------------------------------------------------------===//

#ifndef NDR_CODEGEN_PHILOX_H
#define NDR_CODEGEN_PHILOX_H

#include "mlir/IR/Builders.h"

#include <array>
#include <cstdint>

namespace mlir::ndr {

/// The 16-bit draw (in an i32) for the element with flat index `index` (i64
/// or vector of i64) of the op with stream `stream` (i32 scalar), for the
/// run's `seed` (i64 scalar): block `index / 8` of Philox4x32-10, half-word
/// `index % 8`. A vector computes one block per lane.
Value buildPhiloxDraw(OpBuilder &b, Location loc, Value index, Value seed,
                      Value stream);

/// The 4 Philox words of the `blocks` consecutive blocks from `firstBlock`
/// (i64 scalar) on, one block per lane (vector<blocks x i32> each): one
/// vector evaluation serves 8 * blocks elements.
std::array<Value, 4> buildPhiloxWords(OpBuilder &b, Location loc,
                                      Value firstBlock, Value seed,
                                      Value stream, int64_t blocks);

/// The words of buildPhiloxWords block by block: lanes 4j .. 4j + 3 are the
/// words 0-3 of block j (vector<4 * blocks x i32>).
Value buildBlockMajorWords(OpBuilder &b, Location loc, ArrayRef<Value> words);

/// The draws of consecutive blocks, 8 a block (vector<8 * blocks x i32>), from
/// their words, block-major (vector<4 * blocks x i32>).
Value buildBlockDraws(OpBuilder &b, Location loc, Value words);

/// The draws (vector<lanes x i32>) of the `lanes` consecutive elements from
/// flat index `first` (i64 scalar, a multiple of `lanes`; lanes 1, 2, 4 or
/// 8, so they share one block): one scalar Philox evaluation of that block,
/// as one GPU thread computes it.
Value buildChunkDraws(OpBuilder &b, Location loc, Value first, int64_t lanes,
                      Value seed, Value stream);

/// Whether elements are kept (i1, or a vector of i1) given their draws: the
/// draw is not below `lround(p * 65536)`.
Value buildDropoutKeep(OpBuilder &b, Location loc, Value draw, float p);

/// `value * keep / (1 - p)` in f32, and exactly 0 where dropped (also for
/// p = 1).
Value buildDropoutApply(OpBuilder &b, Location loc, Value value, Value keep,
                        float p);

} // namespace mlir::ndr

#endif // NDR_CODEGEN_PHILOX_H
