//===- ndr-opt.cpp - mlir-opt for the ndr dialect ---------------*- C++ -*-===//
//
// Parses, verifies, transforms and prints IR of the ndr dialect together with
// every upstream dialect and pass; the tool that lit tests drive.
//
//===----------------------------------------------------------------------===//

#include "codegen/Pipeline.h"
#include "dialect/NdrDialect.h"
#include "passes/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  mlir::ndr::registerAllNdrPasses();
  mlir::ndr::registerCodegenPasses();

  mlir::DialectRegistry registry;
  registry.insert<mlir::ndr::NdrDialect>();
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  // gpu-module-to-binary translates kernels to LLVM IR in process.
  mlir::ndr::registerCudaLoweringExtensions(registry);

  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "NDR optimizer driver\n", registry));
}
