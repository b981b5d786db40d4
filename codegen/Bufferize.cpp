//===- Bufferize.cpp - tensors to buffers, for both backends --------------===//

#include "codegen/Passes.h"
#include "codegen/Pipeline.h"

#include "mlir/Dialect/Bufferization/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::ndr;

void ndr::addBufferizationPasses(OpPassManager &pm) {
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  // The interface of a model stays in the ndr IR; LLVM needs none of it.
  pm.addPass(createDropInterfaceAttrs());
  // MLIR 22's out-parameter pass would erase a twice-returned allocation twice.
  pm.addNestedPass<func::FuncOp>(createDistinctReturns());
  bufferization::BufferResultsToOutParamsPassOptions outParams;
  outParams.hoistStaticAllocs = true;
  outParams.modifyPublicFunctions = true;
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
  pm.addNestedPass<func::FuncOp>(createFoldOutputCopies());
  pm.addPass(createSeedArgument());
  // Intermediates: views of one workspace, not an allocation per call.
  pm.addPass(createPlanWorkspace());
}
