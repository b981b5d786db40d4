//===- Pipeline.cpp - ndr-lower-cuda --------------------------------------===//

#include "codegen/Pipeline.h"
#include "codegen/gpu/Passes.h"

#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVM.h"
#include "mlir/Conversion/GPUCommon/GPUToLLVM.h"
#include "mlir/Conversion/IndexToLLVM/IndexToLLVM.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/NVVMToLLVM/NVVMToLLVM.h"
#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/UBToLLVM/UBToLLVM.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVM.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::ndr;

std::string ndr::defaultCudaToolkit() { return NDR_CUDA_TOOLKIT; }

void ndr::buildCudaLoweringPipeline(OpPassManager &pm,
                                    const CudaLoweringOptions &options) {
  // ndr on tensors -> launches of kernels (and cuBLAS calls) on buffers of
  // tensors, each function on its stream.
  pm.addPass(createSeedArgument());
  pm.addNestedPass<func::FuncOp>(createDecomposeBatchNorm({options.mode}));
  pm.addNestedPass<func::FuncOp>(createFuseElementwise());
  pm.addPass(createOutlineFusions());
  pm.addPass(createStreamArgument());
  pm.addPass(createLowerToGpu({options.mode}));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());

  // Tensors -> buffers, as for the CPU; then the stream goes back to the
  // end, and what is left of host memory operations onto the device.
  addBufferizationPasses(pm);
  pm.addPass(createStreamArgument());
  // The linalg ops on parameters that init functions hold (the folded
  // batch norms' constants, computed once): upstream's mapping of parallel
  // loops to blocks, outlined into kernels of their own.
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToParallelLoopsPass());
  pm.addNestedPass<func::FuncOp>(createGpuMapParallelLoopsPass());
  pm.addNestedPass<func::FuncOp>(createConvertParallelLoopToGpuPass());
  pm.addPass(createGpuKernelOutliningPass());
  // MLIR's deallocation cannot see through kernel launches (no memory
  // effects); ndr-gpu-host-memory frees what is left at each return.
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createGpuHostMemory());

  // The kernels: PTX and a cubin through ptxas, or host functions.
  if (options.emulate) {
    pm.addPass(createEmulateGpuKernels());
  } else {
    GpuNVVMAttachTargetOptions target;
    target.chip = options.chip;
    // PTX 8.0: the first ISA with sm_90 (ptxas of CUDA 12 and 13 read it).
    target.features = "+ptx80";
    target.optLevel = 3;
    pm.addPass(createGpuNVVMAttachTarget(target));
    OpPassManager &kernels = pm.nest<gpu::GPUModuleOp>();
    kernels.addPass(createGpuPreciseSqrt());
    kernels.addPass(createLowerAffinePass());
    kernels.addPass(createSCFToControlFlowPass());
    ConvertGpuOpsToNVVMOpsOptions nvvm;
    nvvm.useBarePtrCallConv = true;
    kernels.addPass(createConvertGpuOpsToNVVMOps(nvvm));
    kernels.addPass(createCanonicalizerPass());
    kernels.addPass(createCSEPass());
    kernels.addPass(createReconcileUnrealizedCastsPass());
    GpuModuleToBinaryPassOptions binary;
    binary.toolkitPath = options.toolkit;
    binary.compilationTarget = options.format;
    pm.addPass(createGpuModuleToBinaryPass(binary));
  }

  // The host code -> LLVM; gpu-to-llvm lowers the functions (with their
  // stream arguments) and the launches.
  addLoweringToLLVMPasses(pm);
  GpuToLLVMConversionPassOptions toLLVM;
  toLLVM.hostBarePtrCallConv = true;
  toLLVM.kernelBarePtrCallConv = true;
  pm.addPass(createGpuToLLVMConversionPass(toLLVM));
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
  if (options.emulate)
    pm.addPass(createEmulationEntryPoints());
}

void ndr::registerCudaLoweringExtensions(DialectRegistry &registry) {
  registerCpuLoweringExtensions(registry);
  // gpu-to-llvm and convert-gpu-to-nvvm lower through these interfaces of
  // the dialects in the module.
  arith::registerConvertArithToLLVMInterface(registry);
  cf::registerConvertControlFlowToLLVMInterface(registry);
  registerConvertFuncToLLVMInterface(registry);
  gpu::registerConvertGpuToLLVMInterface(registry);
  index::registerConvertIndexToLLVMInterface(registry);
  registerConvertMathToLLVMInterface(registry);
  registerConvertMemRefToLLVMInterface(registry);
  registerConvertNVVMToLLVMInterface(registry);
  ub::registerConvertUBToLLVMInterface(registry);
  vector::registerConvertVectorToLLVMInterface(registry);
  NVVM::registerNVVMTargetInterfaceExternalModels(registry);
  registerGPUDialectTranslation(registry);
  registerNVVMDialectTranslation(registry);
  gpu::registerOffloadingLLVMTranslationInterfaceExternalModels(registry);
}

std::string ndr::kernelAssembly(ModuleOp module) {
  std::string text;
  module.walk([&](gpu::BinaryOp binary) {
    for (Attribute attr : binary.getObjects())
      if (auto object = dyn_cast<gpu::ObjectAttr>(attr))
        text += object.getObject().getValue().str();
  });
  return text;
}
