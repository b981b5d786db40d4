//===- Frontend.h - the .ndr language front end -----------------*- C++ -*-===//
//
// Entry point of the front end: a .ndr source to a module of ndr models.
//
//===----------------------------------------------------------------------===//

#ifndef NDR_FRONTEND_FRONTEND_H
#define NDR_FRONTEND_FRONTEND_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace llvm {
class SourceMgr;
class raw_ostream;
} // namespace llvm

namespace mlir::ndr::frontend {

/// Lexes, parses, checks and emits the main buffer of `sourceMgr`, whose
/// identifier becomes the file of every location. Errors and warnings are
/// printed clang-style to `os`; returns null if there was any error.
OwningOpRef<ModuleOp> importNdr(llvm::SourceMgr &sourceMgr,
                                MLIRContext *context, llvm::raw_ostream &os);

} // namespace mlir::ndr::frontend

#endif // NDR_FRONTEND_FRONTEND_H
