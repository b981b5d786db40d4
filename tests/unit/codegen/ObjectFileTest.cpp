//===- ObjectFileTest.cpp - object files and the model's ABI --------------===//

#include "Harness.h"

#include "codegen/Pipeline.h"
#include "dialect/NdrDialect.h"

#include "mlir/Dialect/Func/Extensions/AllExtensions.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/IR/Function.h"
#include "llvm/Object/ObjectFile.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"

#include <gtest/gtest.h>

using namespace ndr::test;

namespace {

const char *kModel = R"mlir(
func.func @m(%x: tensor<4x8xf32> {ndr.input = "x"},
             %g: tensor<8xf32> {ndr.param = "g", ndr.init = "ones"})
    -> (tensor<4x8xf32> {ndr.output = "y"}, tensor<4x8xf32> {ndr.output = "d"})
    attributes {ndr.model} {
  %d = ndr.dropout %x, p = 0.1, stream = 0 : tensor<4x8xf32>
  %y = ndr.rms_norm %d gamma(%g : tensor<8xf32>) : tensor<4x8xf32>
  return %y, %d : tensor<4x8xf32>, tensor<4x8xf32>
}
)mlir";

mlir::OwningOpRef<mlir::ModuleOp> lowerModel(mlir::MLIRContext &context) {
  auto module = mlir::parseSourceString<mlir::ModuleOp>(kModel, &context);
  if (!module)
    return nullptr;
  mlir::PassManager pm(&context);
  mlir::ndr::CpuLoweringOptions options;
  options.mode = mlir::ndr::Mode::Train;
  mlir::ndr::buildCpuLoweringPipeline(pm, options);
  if (mlir::failed(pm.run(*module)))
    return nullptr;
  return module;
}

mlir::DialectRegistry registry() {
  mlir::DialectRegistry registry;
  registry.insert<mlir::ndr::NdrDialect, mlir::func::FuncDialect>();
  mlir::func::registerAllExtensions(registry);
  mlir::ndr::registerCpuLoweringExtensions(registry);
  return registry;
}

// void m(const float *x, const float *g, float *y, float *d, uint64_t seed)
TEST(AbiTest, PointersThenOutputsThenSeed) {
  mlir::MLIRContext context(registry());
  auto module = lowerModel(context);
  ASSERT_TRUE(module);
  llvm::LLVMContext llvmContext;
  auto llvmModule = mlir::ndr::translateToLLVMIR(*module, llvmContext);
  ASSERT_TRUE(llvmModule);
  llvm::Function *fn = llvmModule->getFunction("m");
  ASSERT_TRUE(fn);
  EXPECT_TRUE(fn->getReturnType()->isVoidTy());
  ASSERT_EQ(fn->arg_size(), 5u);
  for (unsigned i = 0; i < 4; ++i)
    EXPECT_TRUE(fn->getArg(i)->getType()->isPointerTy()) << "argument " << i;
  EXPECT_TRUE(fn->getArg(4)->getType()->isIntegerTy(64));
}

TEST(ObjectFileTest, DefinesTheModelSymbol) {
  for (const char *cpu : {"", "x86-64-v2"}) {
    mlir::MLIRContext context(registry());
    auto module = lowerModel(context);
    ASSERT_TRUE(module);
    llvm::SmallString<128> path;
    ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("ndr-codegen", "o", path));
    ASSERT_TRUE(mlir::succeeded(mlir::ndr::emitObjectFile(*module, path, cpu)))
        << "cpu '" << cpu << "'";
    auto buffer = llvm::MemoryBuffer::getFile(path);
    ASSERT_TRUE(bool(buffer));
    auto object = llvm::object::ObjectFile::createObjectFile(
        (*buffer)->getMemBufferRef());
    ASSERT_TRUE(bool(object)) << llvm::toString(object.takeError());
    bool found = false;
    for (const llvm::object::SymbolRef &symbol : (*object)->symbols()) {
      auto name = symbol.getName();
      auto flags = symbol.getFlags();
      if (name && flags && *name == "m" &&
          !(*flags & llvm::object::SymbolRef::SF_Undefined))
        found = true;
      if (!name)
        llvm::consumeError(name.takeError());
      if (!flags)
        llvm::consumeError(flags.takeError());
    }
    EXPECT_TRUE(found) << "no definition of m in the object for cpu '" << cpu
                       << "'";
    llvm::sys::fs::remove(path);
  }
}

} // namespace
