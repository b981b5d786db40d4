//===- Pipeline.cpp - ndr-optimize ------------------------------*- C++ -*-===//

#include "passes/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::ndr;

void ndr::buildOptimizePipeline(OpPassManager &pm,
                                const OptimizeOptions &options) {
  Mode mode = options.mode;
  bool remarks = options.remarks;
  // Before anything folds dropout away: warn where it shifts a batch_norm.
  pm.addPass(createCheckVarianceShift());
  pm.addPass(createFoldDropout(FoldDropoutOptions{mode}));
  pm.addPass(createCanonicalizerPass());
  // A dropped bias leaves a linear without bias for the batch_norm fold.
  pm.addPass(createDropRedundantBias(DropRedundantBiasOptions{mode, remarks}));
  pm.addPass(createFoldBatchNorm(FoldBatchNormOptions{mode, remarks}));
  // What did not fold into a linear becomes elementwise, to fuse below.
  pm.addPass(createDecomposeBatchNorm(DecomposeBatchNormOptions{mode}));
  pm.addPass(createFuseAddNorm(FuseAddNormOptions{remarks}));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  // Parameters change between training steps: only inference computes
  // derived values once at load.
  if (mode == Mode::Infer)
    pm.addPass(createHoistParams());
  // Last: the groups each backend compiles to one kernel.
  pm.addPass(createFuseElementwise(FuseElementwiseOptions{remarks}));
}

void ndr::registerAllNdrPasses() {
  registerNdrPasses();
  PassPipelineRegistration<OptimizeOptions>(
      "ndr-optimize",
      "The fusion pipeline of ndrc: fold, fuse and hoist for the given mode",
      buildOptimizePipeline);
}
