//===- Sema.h - name, type and shape checking of .ndr -----------*- C++ -*-===//
//
// Resolves names and builtins, infers the type of every expression, checks
// shapes, element types, arities and keyword arguments with the rules of the
// ndr verifiers, and fills in what the emitter needs (types, attribute values
// with their defaults, dropout streams in source order). Every error found is
// reported; a value with an error is poisoned so it causes no further errors.
// Code that passes Sema emits IR that verifies.
//
//===----------------------------------------------------------------------===//

#ifndef NDR_FRONTEND_SEMA_H
#define NDR_FRONTEND_SEMA_H

#include "frontend/AST.h"

namespace mlir::ndr::frontend {

class Diagnostics;

/// The initializer of a parameter declared without one: GPT-2's, so a model
/// runs out of the box.
inline constexpr llvm::StringLiteral kDefaultInit = "normal(0.02)";

/// Checks every model of `program`; false if any error was reported.
bool checkProgram(Program &program, Diagnostics &diags);

} // namespace mlir::ndr::frontend

#endif // NDR_FRONTEND_SEMA_H
