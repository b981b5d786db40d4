//===- Pipeline.cpp - ndr-optimize ------------------------------*- C++ -*-===//

#include "passes/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::ndr;

void ndr::buildOptimizePipeline(OpPassManager &pm,
                                const OptimizeOptions &options) {
  if (options.mode == Mode::Infer)
    pm.addPass(createFoldDropout(FoldDropoutOptions{options.mode}));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void ndr::registerAllNdrPasses() {
  registerNdrPasses();
  PassPipelineRegistration<OptimizeOptions>(
      "ndr-optimize",
      "The fusion pipeline of ndrc: fold, fuse and hoist for the given mode",
      buildOptimizePipeline);
}
