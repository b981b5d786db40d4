//===- RowView.h - a group's shape as rows, and its operands' view -*- C++ -*-===//
//
// Both backends compile an ndr.fusion group as a loop over the rows of its
// shape viewed as [rows, size] (a thread, a warp or a CTA per row on a GPU;
// an OpenMP iteration on a CPU), and read each operand through its
// broadcasting: a vector of the row, one value per row, or a short row
// repeated inside each row. What the view is and how each operand maps into
// it is decided here, once for both.
//
//===----------------------------------------------------------------------===//

#ifndef NDR_CODEGEN_ROWVIEW_H
#define NDR_CODEGEN_ROWVIEW_H

#include "dialect/Fusion.h"
#include "dialect/NdrOps.h"

#include "llvm/ADT/SmallVector.h"

#include <array>

namespace mlir::ndr {

int64_t product(ArrayRef<int64_t> shape);

/// The group's shape viewed as [rows, size]: rows are the dimensions from
/// `firstRowDim` on; `flat` views the whole tensor as rows of `size`
/// (every operand is the full tensor or a single value).
struct RowSpace {
  SmallVector<int64_t> shape;
  int64_t firstRowDim = 0;
  bool flat = false;
  int64_t rows = 1, size = 1;
};

/// A norm's normalized dimensions; without a norm, the trailing dimensions
/// (up to 16384 elements) over which every operand reads as a row vector, a
/// per-row value or a short row; or the flat tensor in rows of up to 4096.
RowSpace chooseRowSpace(FusionOp fusion);

/// How an operand of the group is read in its RowSpace.
struct OperandView {
  /// Full: a vector of each row; PerRow: one value per row; InRow: a part of
  /// the row repeated, the same for every row (a bias inside the row).
  RowAccess access = RowAccess::Full;
  /// For Full and PerRow: the operand's rows, and the operand's row for the
  /// group's row r, r itself (`identity`) or the sum over `terms` of
  /// (r / outerStride % dimSize) * leafStride.
  int64_t leafRows = 1;
  bool identity = false;
  SmallVector<std::array<int64_t, 3>> terms;
  /// For InRow: the operand's element for column c of a row is the sum over
  /// `columnTerms` of (c / innerStride % dimSize) * operandStride.
  SmallVector<std::array<int64_t, 3>> columnTerms;
};

OperandView viewOperand(ArrayRef<int64_t> operandShape, const RowSpace &space);

} // namespace mlir::ndr

#endif // NDR_CODEGEN_ROWVIEW_H
