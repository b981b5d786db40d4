//===- AST.cpp - syntax tree of the .ndr language ---------------*- C++ -*-===//

#include "frontend/AST.h"
#include "dialect/Shapes.h"

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

std::string mlir::ndr::frontend::formatType(const TensorType &type) {
  return formatElementType(type.elementType).str() +
         mlir::ndr::formatShape(type.shape);
}
