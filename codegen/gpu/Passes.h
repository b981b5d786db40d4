//===- Passes.h - lowering of the ndr dialect to CUDA -----------*- C++ -*-===//

#ifndef NDR_CODEGEN_GPU_PASSES_H
#define NDR_CODEGEN_GPU_PASSES_H

#include "codegen/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"

namespace mlir {
namespace ndr {

#define GEN_PASS_DECL
#include "codegen/gpu/Passes.h.inc"

/// Patterns of `ndr-lower-to-gpu`, one family per file.
void populateLowerFusionToGpuPatterns(RewritePatternSet &patterns, Mode mode);
void populateLowerLinearToCublasPatterns(RewritePatternSet &patterns);
void populateLowerBatchNormToGpuPatterns(RewritePatternSet &patterns, Mode mode);

/// The attribute that marks an emulated kernel (ndr-emulate-gpu-kernels):
/// ["module key", "kernel name"].
inline constexpr llvm::StringLiteral kEmulatedKernelAttr = "ndr_emulated_kernel";

#define GEN_PASS_REGISTRATION
#include "codegen/gpu/Passes.h.inc"

} // namespace ndr
} // namespace mlir

#endif // NDR_CODEGEN_GPU_PASSES_H
