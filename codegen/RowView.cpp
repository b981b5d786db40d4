//===- RowView.cpp - a group's shape as rows, and its operands' view ------===//

#include "codegen/RowView.h"

#include <numeric>

using namespace mlir;
using namespace mlir::ndr;

/// A group without a norm grows its rows over trailing dimensions up to this
/// many elements; an operand that must be repeated into a row (a bias inside
/// it) costs that many elements once per run.
static constexpr int64_t kMaxRow = 16384;

int64_t ndr::product(ArrayRef<int64_t> shape) {
  return std::accumulate(shape.begin(), shape.end(), int64_t(1),
                         std::multiplies<int64_t>());
}



/// The largest divisor of `n` up to 4096, a multiple of 8 if there is one.
static int64_t flatRowSize(int64_t n) {
  int64_t best = 1;
  for (int64_t c = std::min<int64_t>(n, 4096); c >= 1; --c) {
    if (n % c)
      continue;
    if (c % 8 == 0)
      return c;
    best = std::max(best, c);
  }
  return best;
}

RowSpace ndr::chooseRowSpace(FusionOp fusion) {
  RowSpace space;
  space.shape.assign(fusion.getShape().begin(), fusion.getShape().end());
  int64_t rank = space.shape.size(), total = product(space.shape);
  Block &body = fusion.getBody().front();
  if (Operation *root = fusion.getRoot()) {
    space.firstRowDim = rank - getNormalizedRank(root);
  } else if (llvm::all_of(body.getArgumentTypes(), [&](Type type) {
               int64_t n = cast<RankedTensorType>(type).getNumElements();
               return n == total || n == 1;
             })) {
    space.flat = true;
    space.size = flatRowSize(total);
    space.rows = total / space.size;
    return space;
  } else {
    // Grow the rows over trailing dimensions while every operand still reads
    // as a row vector, a per-row value or a (short) row.
    space.firstRowDim = rank - 1;
    while (space.firstRowDim > 0 &&
           product(ArrayRef(space.shape).drop_front(space.firstRowDim)) < kMaxRow) {
      int64_t next = space.firstRowDim - 1;
      int64_t nextSize = product(ArrayRef(space.shape).drop_front(next));
      bool ok = llvm::all_of(body.getArgumentTypes(), [&](Type type) {
        RowAccess access = classifyRowAccess(cast<RankedTensorType>(type).getShape(),
                                             space.shape, next);
        return access == RowAccess::Full || access == RowAccess::PerRow ||
               (access == RowAccess::InRow && nextSize <= kMaxRow);
      });
      if (!ok)
        break;
      space.firstRowDim = next;
    }
  }
  space.size = product(ArrayRef(space.shape).drop_front(space.firstRowDim));
  space.rows = total / space.size;
  return space;
}

OperandView ndr::viewOperand(ArrayRef<int64_t> operandShape, const RowSpace &space) {
  OperandView view;
  ArrayRef<int64_t> shape = space.shape;
  int64_t total = product(shape);
  if (space.flat) {
    bool vector = product(operandShape) == total;
    view.access = vector ? RowAccess::Full : RowAccess::PerRow;
    view.identity = vector;
    return view;
  }
  int64_t rank = shape.size(), offset = rank - operandShape.size();
  view.access = classifyRowAccess(operandShape, shape, space.firstRowDim);
  if (view.access == RowAccess::InRow) {
    // Column c of a row is, in the row's dimensions, (c / innerStride) %
    // size; the operand's element follows the dimensions it varies along.
    int64_t innerStride = 1, operandStride = 1;
    for (int64_t dim = rank - 1; dim >= space.firstRowDim; --dim) {
      if (dim >= offset && operandShape[dim - offset] != 1 && shape[dim] != 1) {
        view.columnTerms.push_back({innerStride, shape[dim], operandStride});
        operandStride *= shape[dim];
      }
      innerStride *= shape[dim];
    }
    return view;
  }
  // The outer dimensions the operand varies along, and its strides there.
  SmallVector<int64_t> used;
  bool allOuter = true;
  for (int64_t dim = 0; dim < space.firstRowDim; ++dim) {
    if (shape[dim] == 1)
      continue;
    if (dim >= offset && operandShape[dim - offset] != 1)
      used.push_back(dim);
    else
      allOuter = false;
  }
  for (int64_t dim : llvm::reverse(used)) {
    int64_t outerStride = product(shape.slice(dim + 1, space.firstRowDim - dim - 1));
    view.terms.push_back({outerStride, shape[dim], view.leafRows});
    view.leafRows *= shape[dim];
  }
  view.identity = allOuter;
  return view;
}
