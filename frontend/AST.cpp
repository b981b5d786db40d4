//===- AST.cpp - syntax tree of the .ndr language ---------------*- C++ -*-===//

#include "frontend/AST.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir::ndr::frontend;

llvm::StringRef mlir::ndr::frontend::formatElementType(ElementType type) {
  switch (type) {
  case ElementType::F32:
    return "f32";
  case ElementType::F16:
    return "f16";
  case ElementType::BF16:
    return "bf16";
  }
  llvm_unreachable("unknown element type");
}

std::string mlir::ndr::frontend::formatShape(llvm::ArrayRef<int64_t> shape) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << '[';
  llvm::interleaveComma(shape, os);
  os << ']';
  return text;
}

std::string mlir::ndr::frontend::formatType(const TensorType &type) {
  return formatElementType(type.elementType).str() + formatShape(type.shape);
}
