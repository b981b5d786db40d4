//===- Emitter.h - ndr ops from a checked .ndr program ----------*- C++ -*-===//

#ifndef NDR_FRONTEND_EMITTER_H
#define NDR_FRONTEND_EMITTER_H

#include "frontend/AST.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace llvm {
class SourceMgr;
} // namespace llvm

namespace mlir::ndr::frontend {

/// One func.func per model, with the model attributes of README "Models in
/// IR" and a FileLineColLoc on every op, pointing into the buffer of
/// `sourceMgr` that holds the program. `program` must have passed Sema.
OwningOpRef<ModuleOp> emitProgram(const Program &program, MLIRContext *context,
                                  llvm::SourceMgr &sourceMgr);

} // namespace mlir::ndr::frontend

#endif // NDR_FRONTEND_EMITTER_H
