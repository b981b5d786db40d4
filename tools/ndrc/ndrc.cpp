//===- ndrc.cpp - the NDR compiler driver -----------------------*- C++ -*-===//
//
// Loads a model (.ndr through the front end, .mlir through MLIR's parser),
// verifies it, runs the ndr-optimize pipeline for the chosen mode and emits
// the result. Three steps, three functions: loadModule, optimize, emit.
//
//===----------------------------------------------------------------------===//

#include "codegen/Pipeline.h"
#include "dialect/ModelAttrs.h"
#include "dialect/NdrDialect.h"
#include "frontend/Frontend.h"
#include "passes/Passes.h"
#include "tools/ndrc/ModelPackage.h"
#include "tools/ndrc/Toolchain.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;
namespace cl = llvm::cl;

namespace {
enum class Target { Cpu, Cuda };
enum class EmitKind { Exe, Lib, Obj, Mlir, Llvm };
} // namespace

static cl::OptionCategory ndrcCategory("ndrc options");

static cl::opt<std::string> inputFilename(cl::Positional, cl::Required,
                                          cl::desc("<MODEL.ndr|MODEL.mlir>"),
                                          cl::cat(ndrcCategory));

static cl::opt<std::string> outputFilename(
    "o", cl::value_desc("OUT"),
    cl::desc("Write the output here (default: standard output for mlir and "
             "llvm; the model's name for exe, NAME.so and NAME.h for lib, "
             "NAME.o and NAME.h for obj)"),
    cl::cat(ndrcCategory));

static cl::opt<std::string>
    cpu("cpu", cl::value_desc("NAME"),
        cl::desc("The CPU to generate code for, as LLVM names it (default: "
                 "this machine's, e.g. x86-64-v3, skylake, znver4)"),
        cl::cat(ndrcCategory));

static cl::opt<ndr::Mode> mode(
    "mode", cl::desc("What the model is compiled for (default: infer)"),
    cl::init(ndr::Mode::Infer), ndr::modeValues(), cl::cat(ndrcCategory));

static cl::opt<Target>
    target("target", cl::desc("Where the model runs (default: cpu)"),
           cl::init(Target::Cpu),
           cl::values(clEnumValN(Target::Cpu, "cpu", "this machine's CPU"),
                      clEnumValN(Target::Cuda, "cuda", "an NVIDIA GPU")),
           cl::cat(ndrcCategory));

static cl::opt<EmitKind> emitKind(
    "emit", cl::desc("What to produce (default: exe)"),
    cl::init(EmitKind::Exe),
    cl::values(
        clEnumValN(EmitKind::Exe, "exe", "an executable that runs the model"),
        clEnumValN(EmitKind::Lib, "lib",
                   "a shared library and a C header (OUT.so, OUT.h)"),
        clEnumValN(EmitKind::Obj, "obj", "an object file"),
        clEnumValN(EmitKind::Mlir, "mlir",
                   "the ndr IR after the fusion pipeline"),
        clEnumValN(EmitKind::Llvm, "llvm", "LLVM IR")),
    cl::cat(ndrcCategory));

static cl::opt<std::string>
    modelName("model", cl::value_desc("NAME"),
              cl::desc("Compile only the model NAME of the file"),
              cl::cat(ndrcCategory));

static cl::opt<bool> noOpt("no-opt",
                           cl::desc("Skip the fusion pipeline (ndr-optimize)"),
                           cl::cat(ndrcCategory));

static cl::opt<bool>
    noBlas("no-blas",
           cl::desc("Lower f32 linear to generated loops instead of the "
                    "runtime's OpenBLAS call (slower; for comparison)"),
           cl::cat(ndrcCategory));

static cl::opt<bool>
    remarks("ndr-remarks",
            cl::desc("Say where a fusion or fold did not apply, and why"),
            cl::cat(ndrcCategory));

/// `ndrc: error: MESSAGE`: for what has no place in the source.
static LogicalResult fail(const llvm::Twine &message) {
  llvm::errs() << "ndrc: error: " << message << "\n";
  return failure();
}

/// Keeps a written output, or says why it could not be written (a full
/// disk, say) and lets ToolOutputFile delete the partial file: one error
/// line instead of LLVM's fatal error when the stream is destroyed.
static LogicalResult keep(llvm::ToolOutputFile &output, StringRef path) {
  output.os().flush();
  if (std::error_code ec = output.os().error()) {
    output.os().clear_error();
    return fail("cannot write '" + path + "': " + ec.message());
  }
  output.keep();
  return success();
}

/// Reads the input into `sourceMgr` (whose diagnostic handler then shows
/// source lines for every location in it), parses and verifies it.
static OwningOpRef<ModuleOp> loadModule(llvm::SourceMgr &sourceMgr,
                                        MLIRContext &context) {
  StringRef extension = llvm::StringRef(inputFilename).rsplit('.').second;
  if (extension != "ndr" && extension != "mlir") {
    (void)fail("'" + inputFilename + "' is neither a .ndr nor a .mlir file");
    return nullptr;
  }
  std::string error;
  std::unique_ptr<llvm::MemoryBuffer> file =
      openInputFile(inputFilename, &error);
  if (!file) {
    (void)fail(error);
    return nullptr;
  }
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());

  OwningOpRef<ModuleOp> module =
      extension == "ndr"
          ? ndr::frontend::importNdr(sourceMgr, &context, llvm::errs())
          : parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module || failed(verify(*module)))
    return nullptr;
  return module;
}

/// The functions of the module that are models (ndr.model).
static SmallVector<func::FuncOp> modelsOf(ModuleOp module) {
  return llvm::to_vector(llvm::make_filter_range(
      module.getOps<func::FuncOp>(),
      [](func::FuncOp func) { return func->hasAttr(ndr::kModelAttr); }));
}

/// Keeps the model `name` (and its init function) and erases the others.
static LogicalResult selectModel(ModuleOp module, StringRef name) {
  SmallVector<func::FuncOp> models = modelsOf(module);
  auto *kept = llvm::find_if(
      models, [&](func::FuncOp func) { return func.getSymName() == name; });
  if (kept == models.end()) {
    std::string names = llvm::join(
        llvm::map_range(models,
                        [](func::FuncOp func) { return func.getSymName(); }),
        ", ");
    return fail("no model named '" + name + "' in '" + inputFilename +
                "' (it has: " + (names.empty() ? "no models" : names) + ")");
  }

  auto initOf = [](func::FuncOp model) {
    auto init = model->getAttrOfType<FlatSymbolRefAttr>(ndr::kParamInitFuncAttr);
    return init ? init.getValue() : StringRef();
  };
  StringRef keptInit = initOf(*kept);
  SymbolTable symbols(module);
  for (func::FuncOp model : models) {
    if (model == *kept)
      continue;
    StringRef init = initOf(model);
    if (!init.empty() && init != keptInit)
      if (Operation *initFunc = symbols.lookup(init))
        symbols.erase(initFunc);
    symbols.erase(model);
  }
  return success();
}

static LogicalResult optimize(ModuleOp module) {
  PassManager pm(module->getName());
  // --mlir-print-ir-after-all, --mlir-timing and the like.
  if (failed(applyPassManagerCLOptions(pm)))
    return failure();
  ndr::OptimizeOptions options;
  options.mode = mode;
  options.remarks = remarks;
  ndr::buildOptimizePipeline(pm, options);
  return pm.run(module);
}

/// Writes `print` to -o, or to standard output.
static LogicalResult emitText(llvm::function_ref<void(llvm::raw_ostream &)> print) {
  std::string error;
  std::string path = outputFilename.empty() ? std::string("-") : outputFilename;
  std::unique_ptr<llvm::ToolOutputFile> output = openOutputFile(path, &error);
  if (!output)
    return fail(error);
  print(output->os());
  return keep(*output, path);
}

/// The one model that --emit=exe|lib|obj|llvm compiles.
static FailureOr<func::FuncOp> singleModel(ModuleOp module) {
  SmallVector<func::FuncOp> models = modelsOf(module);
  if (models.size() == 1)
    return models.front();
  if (models.empty())
    return fail("'" + inputFilename + "' has no model (a func.func with the "
                "ndr.model attribute)");
  std::string names = llvm::join(
      llvm::map_range(models, [](func::FuncOp f) { return f.getSymName(); }),
      ", ");
  return fail("'" + inputFilename + "' has models " + names +
              ": choose one with --model=NAME");
}

/// Lowers the module to the LLVM dialect for the CPU.
static LogicalResult lowerToLLVM(ModuleOp module, bool openmp) {
  PassManager pm(module->getName());
  if (failed(applyPassManagerCLOptions(pm)))
    return failure();
  ndr::CpuLoweringOptions options;
  options.mode = mode;
  options.openmp = openmp;
  // ndrc links the runtime, whose OpenBLAS linear beats generated loops
  // (README, "Benchmarks").
  options.blas = !noBlas;
  ndr::buildCpuLoweringPipeline(pm, options);
  return pm.run(module);
}

static LogicalResult writeFile(StringRef path, StringRef text) {
  std::string error;
  std::unique_ptr<llvm::ToolOutputFile> output = openOutputFile(path, &error);
  if (!output)
    return fail(error);
  output->os() << text;
  return keep(*output, path);
}

/// exe, lib, obj and llvm: the model lowered, compiled, and packaged with
/// the runtime (tools/ndrc/ModelPackage.h).
static LogicalResult emitNative(ModuleOp module) {
  FailureOr<func::FuncOp> model = singleModel(module);
  if (failed(model))
    return failure();
  FailureOr<ndr::ModelInfo> info = ndr::prepareModel(*model);
  ndr::Toolchain toolchain = ndr::Toolchain::fromEnvironment();
  if (failed(info) || failed(lowerToLLVM(module, !toolchain.libomp.empty())))
    return failure();

  if (emitKind == EmitKind::Llvm) {
    llvm::LLVMContext llvmContext;
    std::unique_ptr<llvm::Module> llvmModule =
        ndr::translateToLLVMIR(module, llvmContext);
    if (!llvmModule)
      return fail("translation to LLVM IR failed");
    return emitText([&](llvm::raw_ostream &os) { llvmModule->print(os, nullptr); });
  }

  // Build in a scratch folder; only the products go to OUT.
  SmallString<128> dir;
  if (std::error_code ec =
          llvm::sys::fs::createUniqueDirectory("ndrc-" + info->name, dir))
    return fail("cannot create a temporary folder: " + ec.message());
  llvm::scope_exit cleanup([&] { llvm::sys::fs::remove_directories(dir); });
  auto inDir = [&](StringRef name) {
    SmallString<128> path(dir);
    llvm::sys::path::append(path, name);
    return std::string(path);
  };
  std::string modelObject = inDir("model.o"), descObject = inDir("desc.o");
  if (failed(ndr::emitObjectFile(module, modelObject, cpu)))
    return failure();

  StringRef out = outputFilename;
  bool library = emitKind != EmitKind::Exe;
  std::string header = ndr::generateModelHeader(*info);
  if (library && failed(writeFile(inDir(info->name + ".h"), header)))
    return failure();
  std::string source = ndr::generateModelSource(
      *info, library ? ndr::PackageKind::Library : ndr::PackageKind::Executable);
  if (failed(toolchain.compileC(dir, "desc", source, descObject)))
    return failure();

  switch (emitKind) {
  case EmitKind::Exe:
    return toolchain.link({modelObject, descObject},
                          out.empty() ? info->name : out.str(), false);
  case EmitKind::Lib: {
    std::string base = out.empty() ? info->name : out.str();
    if (StringRef(base).ends_with(".so"))
      base.resize(base.size() - 3);
    if (failed(toolchain.link({modelObject, descObject}, base + ".so", true)))
      return failure();
    return writeFile(base + ".h", header);
  }
  default: {
    std::string base = out.empty() ? info->name : out.str();
    if (StringRef(base).ends_with(".o"))
      base.resize(base.size() - 2);
    if (failed(toolchain.mergeObjects({modelObject, descObject}, base + ".o")))
      return failure();
    return writeFile(base + ".h", header);
  }
  }
}

static LogicalResult emitMlir(ModuleOp module) {
  return emitText([&](llvm::raw_ostream &os) { module.print(os); });
}

/// One case per --emit kind.
static LogicalResult emit(ModuleOp module) {
  if (emitKind == EmitKind::Mlir)
    return emitMlir(module);
  return emitNative(module);
}

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  // --help lists ndrc's own options; --help-hidden also MLIR's and LLVM's.
  cl::HideUnrelatedOptions(ndrcCategory);
  cl::ParseCommandLineOptions(
      argc, argv,
      "ndrc: the NDR compiler\n\n"
      "Compiles the models of a .ndr file (or of a .mlir file in the ndr "
      "dialect):\nchecks them, runs the fusion pipeline for --mode and emits "
      "--emit.\nErrors point into the source as file:line:col, with the line "
      "and a caret.\nMLIR's options (--mlir-print-debuginfo, "
      "--mlir-print-ir-after-all, ...) work too:\nsee --help-hidden.\n");

  if (target == Target::Cuda)
    return failed(fail("--target=cuda is not available yet; use --target=cpu"));

  DialectRegistry registry;
  registry.insert<ndr::NdrDialect, func::FuncDialect>();
  ndr::registerCpuLoweringExtensions(registry);
  MLIRContext context(registry);
  // Diagnostics show the source line; a dump of the op would only repeat it
  // in IR the user of a .ndr file never wrote.
  context.printOpOnDiagnostic(false);
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);

  OwningOpRef<ModuleOp> module = loadModule(sourceMgr, context);
  if (!module)
    return 1;
  if (!modelName.empty() && failed(selectModel(*module, modelName)))
    return 1;
  if (!noOpt && failed(optimize(*module)))
    return 1;
  return failed(emit(*module)) ? 1 : 0;
}
