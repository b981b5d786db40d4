//===- Passes.h - passes over the ndr dialect -------------------*- C++ -*-===//

#ifndef NDR_PASSES_PASSES_H
#define NDR_PASSES_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir::ndr {

/// The mode a model is compiled for. Ops carry no mode: the passes that
/// depend on it, the pipeline and the lowering take it as an option.
enum class Mode { Infer, Train };

/// The values of every `mode` option (the passes', the pipelines', ndrc's),
/// declared once.
inline llvm::cl::ValuesClass modeValues() {
  return llvm::cl::values(
      clEnumValN(Mode::Infer, "infer",
                 "inference: dropout is the identity and folds away, "
                 "batch_norm uses its running statistics"),
      clEnumValN(Mode::Train, "train",
                 "training: dropout draws masks, batch_norm uses and updates "
                 "batch statistics"));
}

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

/// Options of the `ndr-optimize` pipeline.
struct OptimizeOptions : public PassPipelineOptions<OptimizeOptions> {
  Option<Mode> mode{*this, "mode", llvm::cl::desc("infer or train"),
                    llvm::cl::init(Mode::Infer), modeValues()};
  Option<bool> remarks{*this, "remarks",
                       llvm::cl::desc("say why candidates did not fuse or fold"),
                       llvm::cl::init(false)};
};

/// The fusion pipeline that `ndrc` runs, in the order the passes need.
void buildOptimizePipeline(OpPassManager &pm, const OptimizeOptions &options);

/// Registers every ndr pass and the `ndr-optimize` pipeline.
void registerAllNdrPasses();

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

} // namespace mlir::ndr

#endif // NDR_PASSES_PASSES_H
