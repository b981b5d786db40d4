//===- EmitObject.cpp - LLVM IR and object files --------------------------===//

#include "codegen/Pipeline.h"
#include "dialect/NdrDialect.h"

#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "mlir/Target/LLVMIR/LLVMTranslationInterface.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Transforms/Instrumentation/ThreadSanitizer.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"

using namespace mlir;

namespace {
/// The ndr attributes a lowered model keeps (ndr.model, ndr.workspace, the
/// ndr.seed mark) describe it to ndrc and mean nothing to LLVM: they
/// translate to nothing, and without a warning.
struct NdrToLLVMIRTranslation : LLVMTranslationDialectInterface {
  using LLVMTranslationDialectInterface::LLVMTranslationDialectInterface;
  LogicalResult
  convertParameterAttr(LLVM::LLVMFuncOp, int, NamedAttribute,
                       LLVM::ModuleTranslation &) const override {
    return success();
  }
};
} // namespace

void ndr::registerCpuTranslations(DialectRegistry &registry) {
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerOpenMPDialectTranslation(registry);
  registry.addExtension(+[](MLIRContext *, ndr::NdrDialect *dialect) {
    dialect->addInterfaces<NdrToLLVMIRTranslation>();
  });
}

std::unique_ptr<llvm::Module> ndr::translateToLLVMIR(ModuleOp module,
                                                     llvm::LLVMContext &context) {
  DialectRegistry registry;
  registerCpuTranslations(registry);
  module->getContext()->appendDialectRegistry(registry);
  return translateModuleToLLVMIR(module, context);
}

/// ThreadSanitizer's passes over every defined function, after optimization
/// as clang runs them, so that what it sees is the code that runs.
static void instrumentForThreadSanitizer(llvm::Module &module,
                                         llvm::TargetMachine *machine) {
  for (llvm::Function &function : module)
    if (!function.isDeclaration())
      function.addFnAttr(llvm::Attribute::SanitizeThread);
  llvm::LoopAnalysisManager loops;
  llvm::FunctionAnalysisManager functions;
  llvm::CGSCCAnalysisManager sccs;
  llvm::ModuleAnalysisManager modules;
  llvm::PassBuilder builder(machine);
  builder.registerModuleAnalyses(modules);
  builder.registerCGSCCAnalyses(sccs);
  builder.registerFunctionAnalyses(functions);
  builder.registerLoopAnalyses(loops);
  builder.crossRegisterProxies(loops, functions, sccs, modules);
  llvm::ModulePassManager passes;
  passes.addPass(llvm::ModuleThreadSanitizerPass());
  passes.addPass(
      llvm::createModuleToFunctionPassAdaptor(llvm::ThreadSanitizerPass()));
  passes.run(module, modules);
}

LogicalResult ndr::emitObjectFile(ModuleOp module, llvm::StringRef path,
                                  llvm::StringRef cpu, bool threadSanitizer) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();

  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  std::string error;
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return module.emitError("no target for ") << triple.str() << ": " << error;
  std::string cpuName = cpu.empty() ? llvm::sys::getHostCPUName().str() : cpu.str();
  std::string features;
  if (cpu.empty()) {
    llvm::SubtargetFeatures host;
    for (const auto &feature : llvm::sys::getHostCPUFeatures())
      host.AddFeature(feature.getKey(), feature.getValue());
    features = host.getString();
  }
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      triple, cpuName, features, llvm::TargetOptions(), llvm::Reloc::PIC_));
  if (!machine)
    return module.emitError("cannot create a target machine for cpu '")
           << cpuName << "'";

  llvm::LLVMContext context;
  std::unique_ptr<llvm::Module> llvmModule = translateToLLVMIR(module, context);
  if (!llvmModule)
    return module.emitError("translation to LLVM IR failed");
  llvmModule->setTargetTriple(triple);
  llvmModule->setDataLayout(machine->createDataLayout());
  if (llvm::Error err = makeOptimizingTransformer(3, 0, machine.get())(
          llvmModule.get()))
    return module.emitError("LLVM optimization failed: ")
           << llvm::toString(std::move(err));
  if (threadSanitizer)
    instrumentForThreadSanitizer(*llvmModule, machine.get());

  std::error_code ec;
  llvm::ToolOutputFile out(path, ec, llvm::sys::fs::OF_None);
  if (ec)
    return module.emitError("cannot open ") << path << ": " << ec.message();
  llvm::legacy::PassManager codegen;
  if (machine->addPassesToEmitFile(codegen, out.os(), nullptr,
                                   llvm::CodeGenFileType::ObjectFile))
    return module.emitError("the target cannot emit object files");
  codegen.run(*llvmModule);
  out.os().flush();
  // A full disk: one error, and no partial object left behind.
  if (std::error_code writeError = out.os().error()) {
    out.os().clear_error();
    return module.emitError("cannot write ") << path << ": " << writeError.message();
  }
  out.keep();
  return success();
}
