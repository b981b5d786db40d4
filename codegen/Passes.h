//===- Passes.h - lowering of the ndr dialect to CPU code -------*- C++ -*-===//

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
class RewritePatternSet;
namespace ndr {

#define GEN_PASS_DECL
#include "codegen/Passes.h.inc"

/// Patterns of `ndr-lower-to-linalg`, one family per file.
void populateLowerLinearPatterns(RewritePatternSet &patterns);
void populateLowerBatchNormPatterns(RewritePatternSet &patterns, Mode mode);
/// The lock word that train-mode batch_norm's patterns take around the update
/// of the running statistics; declared before they run.
void declareRunningStatsLock(ModuleOp module);

/// Patterns of `ndr-lower-fusions`.
void populateLowerFusionPatterns(RewritePatternSet &patterns, Mode mode);

#define GEN_PASS_REGISTRATION
#include "codegen/Passes.h.inc"

} // namespace ndr
} // namespace mlir

#endif // NDR_CODEGEN_PASSES_H
