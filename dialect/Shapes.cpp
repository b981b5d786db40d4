//===- Shapes.cpp - shape helpers -------------------------------*- C++ -*-===//

#include "dialect/Shapes.h"

#include "mlir/Dialect/Traits.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

std::optional<SmallVector<int64_t>>
ndr::broadcastShapes(ArrayRef<int64_t> lhs, ArrayRef<int64_t> rhs) {
  SmallVector<int64_t> result;
  if (!OpTrait::util::getBroadcastedShape(lhs, rhs, result))
    return std::nullopt;
  return result;
}

bool ndr::isTrailingSuffix(ArrayRef<int64_t> shape, ArrayRef<int64_t> suffix) {
  return suffix.size() <= shape.size() &&
         shape.take_back(suffix.size()) == suffix;
}

std::string ndr::formatShape(ArrayRef<int64_t> shape) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << '[';
  llvm::interleaveComma(shape, os);
  os << ']';
  return text;
}

std::optional<std::string> ndr::tensorShapeError(ArrayRef<int64_t> shape,
                                                 unsigned elementBits) {
  uint64_t bytes = elementBits / 8;
  for (auto [i, dim] : llvm::enumerate(shape)) {
    if (dim < 1)
      return "dimension " + std::to_string(i) + " of " + formatShape(shape) +
             " is " + std::to_string(dim) + "; every dimension must be at least 1";
    if (bytes > uint64_t(kMaxTensorBytes) / uint64_t(dim))
      return "a tensor of shape " + formatShape(shape) + " holds more than 2^47 "
             "bytes, more than a 64-bit target can address";
    bytes *= uint64_t(dim);
  }
  return std::nullopt;
}

bool ndr::isValidTensorType(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && tensor.hasStaticShape() &&
         !tensorShapeError(tensor.getShape(),
                           tensor.getElementType().getIntOrFloatBitWidth());
}
