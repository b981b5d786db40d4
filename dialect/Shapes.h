//===- Shapes.h - shape helpers shared by verifiers and passes --*- C++ -*-===//

#ifndef NDR_DIALECT_SHAPES_H
#define NDR_DIALECT_SHAPES_H

#include "mlir/IR/Types.h"
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

/// The most bytes one tensor may hold: what a 64-bit target's user space can
/// address (47 bits of address on x86-64).
inline constexpr int64_t kMaxTensorBytes = int64_t(1) << 47;

/// Why `shape`, of `elementBits`-bit elements, is no ndr tensor shape: a
/// dimension under 1 (nothing to normalize, and row counts divide by it), or
/// more than kMaxTensorBytes bytes (counted without overflow). Nothing when
/// it is one. The one rule for the dialect's verifiers and the front end.
std::optional<std::string> tensorShapeError(ArrayRef<int64_t> shape,
                                            unsigned elementBits);

/// Whether `type` is a static tensor whose shape tensorShapeError accepts
/// (the Ndr_Tensor type constraint).
bool isValidTensorType(Type type);

} // namespace mlir::ndr

#endif // NDR_DIALECT_SHAPES_H
