//===- Passes.h - lowering of the ndr dialect to CPU code -------*- C++ -*-===//

#ifndef NDR_CODEGEN_CPU_PASSES_H
#define NDR_CODEGEN_CPU_PASSES_H

#include "codegen/Passes.h"

namespace mlir {
namespace ndr {

class BatchNormOp;

#define GEN_PASS_DECL
#include "codegen/cpu/Passes.h.inc"

/// Patterns of `ndr-lower-to-linalg`, one family per file.
void populateLowerLinearPatterns(RewritePatternSet &patterns);
void populateLowerBatchNormPatterns(RewritePatternSet &patterns, Mode mode);
/// The lock word that train-mode batch_norm's patterns take around the update
/// of the running statistics; declared before they run.
void declareRunningStatsLock(ModuleOp module);
/// Updates the running statistics of `op`, a train-mode BatchNormOp, in place
/// from its batch `mean` and biased `var` (f32 [C]), under that lock.
void updateRunningStats(OpBuilder &b, Location loc, BatchNormOp op, Value mean,
                        Value var);

/// Patterns of `ndr-lower-fusions`.
void populateLowerFusionPatterns(RewritePatternSet &patterns, Mode mode,
                                 int64_t vectorBits);

#define GEN_PASS_REGISTRATION
#include "codegen/cpu/Passes.h.inc"

} // namespace ndr
} // namespace mlir

#endif // NDR_CODEGEN_CPU_PASSES_H
