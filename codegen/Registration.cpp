//===- Registration.cpp - the codegen passes and pipelines ----------------===//

#include "codegen/Passes.h"
#include "codegen/Pipeline.h"
#include "codegen/cpu/Passes.h"
#include "codegen/gpu/Passes.h"

#include "mlir/Pass/PassRegistry.h"

using namespace mlir;
using namespace mlir::ndr;

void ndr::registerCodegenPasses() {
  registerNdrCodegenPasses();
  registerNdrCpuCodegenPasses();
  registerNdrGpuCodegenPasses();
  PassPipelineRegistration<CpuLoweringOptions>(
      "ndr-lower-cpu",
      "Lower ndr models to the LLVM dialect for the CPU (bare-pointer ABI, "
      "see codegen/README.md)",
      buildCpuLoweringPipeline);
  PassPipelineRegistration<CudaLoweringOptions>(
      "ndr-lower-cuda",
      "Lower ndr models to the LLVM dialect for an NVIDIA GPU: kernels in a "
      "cubin, host code on a stream (see codegen/README.md)",
      buildCudaLoweringPipeline);
}
