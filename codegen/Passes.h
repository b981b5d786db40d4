//===- Passes.h - codegen passes both backends share ------------*- C++ -*-===//

#ifndef NDR_CODEGEN_PASSES_H
#define NDR_CODEGEN_PASSES_H

#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
class ConversionTarget;
class RewritePatternSet;
namespace ndr {

#define GEN_PASS_DECL
#include "codegen/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "codegen/Passes.h.inc"

/// Applies `patterns` until no op that `target` makes illegal is left (the
/// conversion driver also defers erasure, so a pattern may read its op after
/// replacing it). A pattern that cannot lower an op for a reason the user can
/// fix says so in an error on the op; the driver's "failed to legalize" that
/// follows adds nothing then, and is dropped.
LogicalResult lowerAll(Operation *root, const ConversionTarget &target,
                       RewritePatternSet &&patterns);

} // namespace ndr
} // namespace mlir

#endif // NDR_CODEGEN_PASSES_H
