//===- Registration.cpp - the codegen passes and pipelines ----------------===//

#include "codegen/Passes.h"
#include "codegen/Pipeline.h"
#include "codegen/cpu/Passes.h"

#include "mlir/Pass/PassRegistry.h"

using namespace mlir;
using namespace mlir::ndr;

void ndr::registerCodegenPasses() {
  registerNdrCodegenPasses();
  registerNdrCpuCodegenPasses();
  PassPipelineRegistration<CpuLoweringOptions>(
      "ndr-lower-cpu",
      "Lower ndr models to the LLVM dialect for the CPU (bare-pointer ABI, "
      "see codegen/README.md)",
      buildCpuLoweringPipeline);
}
