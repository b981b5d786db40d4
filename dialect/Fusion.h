//===- Fusion.h - what an ndr.fusion group may hold -------------*- C++ -*-===//
//
// The rules shared by the pass that forms groups (ndr-fuse-elementwise), the
// verifier of ndr.fusion and the backends that compile a group to one kernel.
// A group iterates over one shape, viewed as [rows, row size]: its rows are
// the trailing dimensions from `firstRowDim` on (the normalized dimensions
// when it has a norm). Every operand broadcasts into that shape.
//
//===----------------------------------------------------------------------===//

#ifndef NDR_DIALECT_FUSION_H
#define NDR_DIALECT_FUSION_H

#include "mlir/IR/Operation.h"

#include <optional>

namespace mlir::ndr {

/// add, mul, the activations, dropout, drop_connect: each result element
/// depends only on the operand elements at its (broadcast) index.
bool isElementwise(Operation *op);

/// layer_norm, rms_norm, fused_add_norm: a reduction over each row, the root
/// of a group.
bool isRowReduction(Operation *op);

/// The number of trailing dimensions a row reduction normalizes.
int64_t getNormalizedRank(Operation *rowReduction);

/// The dropout stream `op` draws: a dropout's, a drop_connect's, a
/// fused_add_norm's with dropout; nothing for other ops.
std::optional<uint32_t> getDropoutStream(Operation *op);

/// Sets the stream of an op that getDropoutStream gives one for.
void setDropoutStream(Operation *op, uint32_t stream);

/// How a group reads an operand in each row.
enum class RowAccess {
  Full,    // varies along every row dimension: a vector of the row
  PerRow,  // constant along the row: one value per row
  InRow,   // varies along some row dimensions only, never across rows: one
           // row-sized vector for the whole group (a bias inside the row)
  Mixed,   // some row dimensions and some outer ones: not fusable
};

/// How an operand of shape `operand` broadcast into `shape` is read when the
/// rows start at dimension `firstRowDim`. Dimensions of size 1 in `shape`
/// count as both varying and constant.
RowAccess classifyRowAccess(ArrayRef<int64_t> operand, ArrayRef<int64_t> shape,
                            int64_t firstRowDim);

} // namespace mlir::ndr

#endif // NDR_DIALECT_FUSION_H
