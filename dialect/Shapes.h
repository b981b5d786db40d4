//===- Shapes.h - shape helpers shared by verifiers and passes --*- C++ -*-===//

#ifndef NDR_DIALECT_SHAPES_H
#define NDR_DIALECT_SHAPES_H

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>
#include <string>

namespace mlir::ndr {

/// The shape two operands broadcast to (NumPy rules: aligned at the trailing
/// dimension, sizes equal or one of them 1), or nothing if they do not.
std::optional<SmallVector<int64_t>> broadcastShapes(ArrayRef<int64_t> lhs,
                                                    ArrayRef<int64_t> rhs);

/// Whether `suffix` is exactly the trailing dimensions of `shape`.
bool isTrailingSuffix(ArrayRef<int64_t> shape, ArrayRef<int64_t> suffix);

/// `[8, 768]`: how diagnostics print a shape.
std::string formatShape(ArrayRef<int64_t> shape);

} // namespace mlir::ndr

#endif // NDR_DIALECT_SHAPES_H
