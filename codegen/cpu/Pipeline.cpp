//===- Pipeline.cpp - ndr-lower-cpu -----------------------------------------===//

#include "codegen/Pipeline.h"
#include "codegen/cpu/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Arith/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/FuncBufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Linalg/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/SCF/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Tensor/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Vector/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/AllocationOpInterfaceImpl.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::ndr;

void ndr::buildCpuLoweringPipeline(OpPassManager &pm,
                                   const CpuLoweringOptions &options) {
  // ndr on tensors -> linalg, vector and scf on tensors.
  pm.addPass(createSeedArgument());
  if (options.blas) {
    pm.addPass(createSinkLinearBias());
    pm.addPass(createLinearToBlas());
  }
  // Every elementwise op and norm in a group (ndr-optimize formed them; here
  // for IR that did not go through it), each group one vectorized kernel.
  pm.addNestedPass<func::FuncOp>(createDecomposeBatchNorm({options.mode}));
  pm.addPass(createDecomposeTrainBatchNorm({options.mode}));
  pm.addNestedPass<func::FuncOp>(createFuseElementwise());
  // One kernel function per kind of group: repeated blocks compile once.
  pm.addPass(createOutlineFusions());
  pm.addNestedPass<func::FuncOp>(createLowerFusions({options.mode, options.vectorBits}));
  pm.addPass(createLowerToLinalg({options.mode}));
  pm.addPass(createCanonicalizerPass());
  // Chains of generics on parameters (folded batch norms) become one.
  pm.addNestedPass<func::FuncOp>(createLinalgElementwiseOpFusionPass());
  pm.addPass(createCSEPass());

  // Tensors -> buffers, the intermediates in the workspace.
  addBufferizationPasses(pm);
  bufferization::buildBufferDeallocationPipeline(pm);
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createNontemporalStores({options.nontemporalThreshold}));

  // Loops: linalg's parallel dimensions and the rows of the norm kernels
  // become scf.parallel, then OpenMP worksharing loops.
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToParallelLoopsPass());
  pm.addNestedPass<func::FuncOp>(createForallToParallelLoopPass());
  if (options.openmp)
    pm.addPass(createConvertSCFToOpenMPPass());
  else
    pm.addNestedPass<func::FuncOp>(createHoistLoopAllocas());

  // Everything -> LLVM.
  addLoweringToLLVMPasses(pm);
  ConvertFuncToLLVMPassOptions funcToLLVM;
  funcToLLVM.useBarePtrCallConv = true;
  pm.addPass(createConvertFuncToLLVMPass(funcToLLVM));
  // After func-to-llvm: this pass also converts functions, with descriptors.
  if (options.openmp)
    pm.addPass(createConvertOpenMPToLLVMPass());
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

void ndr::registerCpuLoweringExtensions(DialectRegistry &registry) {
  arith::registerBufferizableOpInterfaceExternalModels(registry);
  bufferization::func_ext::registerBufferizableOpInterfaceExternalModels(
      registry);
  linalg::registerBufferizableOpInterfaceExternalModels(registry);
  // Without it buffer-results-to-out-params cannot see that a result is a
  // fresh allocation, and copies it into the out-parameter.
  memref::registerAllocationOpInterfaceExternalModels(registry);
  scf::registerBufferizableOpInterfaceExternalModels(registry);
  tensor::registerBufferizableOpInterfaceExternalModels(registry);
  vector::registerBufferizableOpInterfaceExternalModels(registry);
  registerCpuTranslations(registry);
}
