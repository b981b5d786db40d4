//===- Shapes.cpp - shape helpers -------------------------------*- C++ -*-===//

#include "dialect/Shapes.h"
#include "dialect/Format.h"

#include "mlir/Dialect/Traits.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/STLExtras.h"

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
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

std::optional<std::string> ndr::tensorShapeError(ArrayRef<int64_t> shape,
                                                 unsigned elementBits) {
  uint64_t bytes = elementBits / 8;
  for (auto [i, dim] : llvm::enumerate(shape)) {
    if (dim < 1)
      return fmt::format("dimension {} of {} is {}; every dimension must be at "
                         "least 1",
                         i, formatShape(shape), dim);
    if (bytes > uint64_t(kMaxTensorBytes) / uint64_t(dim))
      return fmt::format("a tensor of shape {} holds more than 2^47 bytes, more "
                         "than a 64-bit target can address",
                         formatShape(shape));
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
