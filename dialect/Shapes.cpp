//===- Shapes.cpp - shape helpers -------------------------------*- C++ -*-===//

#include "dialect/Shapes.h"

#include "mlir/Dialect/Traits.h"
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
