//===- ndrc.cpp - the NDR compiler driver -----------------------*- C++ -*-===//
//
// Loads a model (.ndr through the front end, .mlir through MLIR's parser),
// verifies it, runs the ndr-optimize pipeline for the chosen mode and emits
// the result. Three steps, three functions: loadModule, optimize, emit.
//
// Every failure prints one `ndrc: error:` line (errors in the source: one
// file:line:col diagnostic each, with the line and a caret) and exits with
// the code of its class, ExitCode below (docs/errors.md).
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
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Signals.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

#include <cstdlib>
#include <fmt/format.h>

using namespace mlir;
namespace cl = llvm::cl;

namespace {
enum class Target { Cpu, Cuda };
enum class EmitKind { Exe, Lib, Obj, Mlir, Llvm, Ptx };

/// ndrc's exit status, one per class of failure (docs/errors.md).
enum ExitCode : int {
  Success = 0,
  /// The command line: an unknown option or value, no input, an input that
  /// is neither .ndr nor .mlir, a --model the file lacks, several models
  /// and no --model. (llvm::cl exits with 1 too.)
  UsageError = 1,
  /// The model's source: syntax, names, types, shapes, the dialect's
  /// verifier, a file without a model, a model the C API cannot name.
  SourceError = 2,
  /// A valid model that ndrc cannot compile: a limitation (or a bug) of the
  /// optimizer, the lowering or LLVM's code generation.
  CompileError = 3,
  /// A file cannot be read or written: the input, an output, a temporary.
  IOError = 4,
  /// The host C compiler or linker (NDR_CC, NDR_CXX) failed or is missing.
  ToolchainError = 5,
};
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
                 "this machine's, e.g. x86-64-v3, skylake, znver4); with "
                 "AVX-512 the row kernels work in 16 lanes, else 8"),
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
        clEnumValN(EmitKind::Llvm, "llvm", "LLVM IR"),
        clEnumValN(EmitKind::Ptx, "ptx",
                   "the PTX of the model's GPU kernels (--target=cuda)")),
    cl::cat(ndrcCategory));

static cl::opt<std::string> gpuArch(
    "gpu-arch", cl::value_desc("sm_NN"),
    cl::desc("The NVIDIA GPU architecture to compile kernels for, with "
             "--target=cuda (default: sm_90; sm_80 and later)"),
    cl::init("sm_90"), cl::cat(ndrcCategory));

static cl::opt<bool> gpuEmulate(
    "gpu-emulate",
    cl::desc("With --target=cuda: compile the kernels for this CPU instead, "
             "to run under the runtime's CUDA emulator (NDR_CUDA_EMULATE=1); "
             "for testing the CUDA target without a GPU"),
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
                    "runtime's oneDNN sgemm call (slower; for comparison)"),
           cl::cat(ndrcCategory));

enum class Sanitizer { None, Thread };
static cl::opt<Sanitizer> sanitize(
    "sanitize",
    cl::desc("Instrument the generated code (with --emit=lib|obj; link the "
             "program that uses it with the same -fsanitize)"),
    cl::init(Sanitizer::None),
    cl::values(clEnumValN(Sanitizer::Thread, "thread",
                          "ThreadSanitizer: data races in and around runs")),
    cl::cat(ndrcCategory));

static cl::opt<bool>
    remarks("ndr-remarks",
            cl::desc("Say where a fusion or fold did not apply, and why"),
            cl::cat(ndrcCategory));

/// `ndrc: error: MESSAGE`, for what has no place in the source; returns
/// `code`. The message is formatted by {fmt}.
template <typename... Args>
static ExitCode fail(ExitCode code, fmt::format_string<Args...> format,
                     Args &&...args) {
  fmt::print(stderr, "ndrc: error: {}\n",
             fmt::format(format, std::forward<Args>(args)...));
  return code;
}

/// Errors reported through MLIR's diagnostics so far (the SourceMgr handler
/// prints them): a step that fails without reporting one gets a line of its
/// own from `failedStep`.
static unsigned reportedErrors = 0;

/// The result of a step that failed with `code`: nothing more to say when it
/// reported an error itself, else one line that `what` failed, and why that
/// is ndrc's fault.
static ExitCode failedStep(ExitCode code, unsigned errorsBefore,
                           StringRef what) {
  if (reportedErrors != errorsBefore)
    return code;
  return fail(code,
              "{} failed without saying why: an internal error of ndrc "
              "(please report it, with the model)",
              what.str());
}

/// LLVM's option parser reports a bad command line in lines of its own
/// ("ndrc: Unknown command line argument '--x'.  Try: 'ndrc --help'",
/// "ndrc: Did you mean '--emit'?"): one `ndrc: error:` line of them.
static ExitCode commandLineError(StringRef program, StringRef messages) {
  SmallVector<StringRef> lines;
  messages.split(lines, '\n', -1, /*KeepEmpty=*/false);
  std::string text;
  for (StringRef line : lines) {
    line.consume_front(program.str() + ": ");
    text += (text.empty() ? "" : " ") + line.trim().str();
  }
  // Option::error (a bad value, as in --emit=x) writes to stderr directly,
  // already one line.
  if (text.empty())
    return UsageError;
  return fail(UsageError, "{}", text);
}

/// The scratch folder of --emit=exe|lib|obj while it exists.
static std::string scratchFolder;

/// LLVM's fatal errors ("LLVM ERROR: ...", which would exit with 1, the
/// command line's code): one line and CompileError, without the scratch
/// folder.
static void llvmFatalError(void *, const char *reason, bool) {
  fmt::print(stderr,
             "ndrc: error: LLVM: {} (an internal error of ndrc; please report "
             "it, with the model)\n",
             reason);
  llvm::sys::RunInterruptHandlers();
  if (!scratchFolder.empty())
    (void)llvm::sys::fs::remove_directories(scratchFolder);
  std::exit(CompileError);
}

/// The subtarget of `cpuName` ("": the generic one) on this machine's
/// target; null where LLVM has no such target (emitObjectFile says so).
static std::unique_ptr<llvm::MCSubtargetInfo>
nativeSubtarget(llvm::StringRef cpuName) {
  llvm::InitializeNativeTarget();
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  std::string error;
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return nullptr;
  return std::unique_ptr<llvm::MCSubtargetInfo>(
      target->createMCSubtargetInfo(triple, cpuName, ""));
}

/// --cpu must name a CPU that LLVM knows for this machine's target: LLVM
/// itself would only warn, then fail deep in code generation.
static ExitCode checkCpu() {
  if (cpu.empty())
    return Success;
  std::unique_ptr<llvm::MCSubtargetInfo> info = nativeSubtarget("");
  if (!info || info->isCPUStringValid(cpu))
    return Success;
  return fail(UsageError,
              "--cpu: '{}' is not a CPU of {} that LLVM knows (e.g. x86-64-v3, "
              "skylake, znver4)",
              cpu.getValue(), llvm::sys::getDefaultTargetTriple());
}

/// The widest vectors of the CPU the code is for (--cpu, else this
/// machine's, as emitObjectFile chooses): 512 bits with AVX-512, else 256.
static int64_t targetVectorBits() {
  if (cpu.empty())
    return llvm::sys::getHostCPUFeatures().lookup("avx512f") ? 512 : 256;
  std::unique_ptr<llvm::MCSubtargetInfo> info = nativeSubtarget(cpu);
  return info && info->checkFeatures("+avx512f") ? 512 : 256;
}

/// Keeps a written output, or says why it could not be written (a full
/// disk, say) and lets ToolOutputFile delete the partial file: one error
/// line instead of LLVM's fatal error when the stream is destroyed.
static ExitCode keep(llvm::ToolOutputFile &output, StringRef path) {
  output.os().flush();
  if (std::error_code ec = output.os().error()) {
    output.os().clear_error();
    return fail(IOError, "cannot write '{}': {}", path.str(), ec.message());
  }
  output.keep();
  return Success;
}

/// Checks before compiling that `path` can be created: its folder exists
/// and is writable, and it is not a folder itself. The host linker would
/// otherwise fail at the end, with its own message and the toolchain's
/// exit code, for a mistyped -o.
static ExitCode checkOutputPath(StringRef path) {
  auto cannot = [&](const std::string &why) {
    return fail(IOError, "cannot write '{}': {}", path.str(), why);
  };
  if (llvm::sys::fs::is_directory(path))
    return cannot("it is a folder");
  StringRef folder = llvm::sys::path::parent_path(path);
  if (folder.empty())
    folder = ".";
  if (!llvm::sys::fs::is_directory(folder))
    return cannot(fmt::format("no folder '{}'", folder.str()));
  if (std::error_code ec =
          llvm::sys::fs::access(folder, llvm::sys::fs::AccessMode::Write))
    return cannot(ec.message());
  return Success;
}

/// Reads the input into `sourceMgr` (whose diagnostic handler then shows
/// source lines for every location in it), parses and verifies it.
static ExitCode loadModule(llvm::SourceMgr &sourceMgr, MLIRContext &context,
                           OwningOpRef<ModuleOp> &module) {
  StringRef extension = llvm::StringRef(inputFilename).rsplit('.').second;
  if (extension != "ndr" && extension != "mlir")
    return fail(UsageError, "'{}' is neither a .ndr nor a .mlir file",
                inputFilename.getValue());
  std::string error;
  std::unique_ptr<llvm::MemoryBuffer> file =
      openInputFile(inputFilename, &error);
  if (!file)
    return fail(IOError, "{}", error);
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());

  // The front end and MLIR's parser and verifier report every error
  // themselves, at its place in the source.
  module = extension == "ndr"
               ? ndr::frontend::importNdr(sourceMgr, &context, llvm::errs())
               : parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module || failed(verify(*module)))
    return SourceError;
  return Success;
}

/// The functions of the module that are models (ndr.model).
static SmallVector<func::FuncOp> modelsOf(ModuleOp module) {
  return llvm::to_vector(llvm::make_filter_range(
      module.getOps<func::FuncOp>(),
      [](func::FuncOp func) { return func->hasAttr(ndr::kModelAttr); }));
}

/// Keeps the model `name` (and its init function) and erases the others.
static ExitCode selectModel(ModuleOp module, StringRef name) {
  SmallVector<func::FuncOp> models = modelsOf(module);
  auto *kept = llvm::find_if(
      models, [&](func::FuncOp func) { return func.getSymName() == name; });
  if (kept == models.end()) {
    std::string names = llvm::join(
        llvm::map_range(models,
                        [](func::FuncOp func) { return func.getSymName(); }),
        ", ");
    return fail(UsageError, "no model named '{}' in '{}' (it has: {})",
                name.str(), inputFilename.getValue(),
                names.empty() ? "no models" : names);
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
  return Success;
}

static ExitCode optimize(ModuleOp module) {
  PassManager pm(module->getName());
  // --mlir-print-ir-after-all, --mlir-timing and the like.
  if (failed(applyPassManagerCLOptions(pm)))
    return UsageError;
  ndr::OptimizeOptions options;
  options.mode = mode;
  options.remarks = remarks;
  ndr::buildOptimizePipeline(pm, options);
  unsigned errors = reportedErrors;
  if (failed(pm.run(module)))
    return failedStep(CompileError, errors, "the fusion pipeline (ndr-optimize)");
  return Success;
}

/// Writes `print` to -o, or to standard output.
static ExitCode emitText(llvm::function_ref<void(llvm::raw_ostream &)> print) {
  std::string error;
  std::string path = outputFilename.empty() ? std::string("-") : outputFilename;
  std::unique_ptr<llvm::ToolOutputFile> output = openOutputFile(path, &error);
  if (!output)
    return fail(IOError, "{}", error);
  print(output->os());
  return keep(*output, path);
}

/// The one model that --emit=exe|lib|obj|llvm compiles.
static FailureOr<func::FuncOp> singleModel(ModuleOp module, ExitCode &code) {
  SmallVector<func::FuncOp> models = modelsOf(module);
  if (models.size() == 1)
    return models.front();
  if (models.empty()) {
    code = fail(SourceError,
                "'{}' has no model (a func.func with the ndr.model attribute)",
                inputFilename.getValue());
    return failure();
  }
  std::string names = llvm::join(
      llvm::map_range(models, [](func::FuncOp f) { return f.getSymName(); }),
      ", ");
  code = fail(UsageError, "'{}' has models {}: choose one with --model=NAME",
              inputFilename.getValue(), names);
  return failure();
}

/// The CUDA toolkit whose ptxas compiles the kernels: NDR_CUDA_TOOLKIT, or
/// the one NDR was configured with.
static std::string cudaToolkit() {
  const char *path = std::getenv("NDR_CUDA_TOOLKIT");
  return path && *path ? path : ndr::defaultCudaToolkit();
}

/// Lowers the module to the LLVM dialect for the CPU, or for CUDA (kernels
/// as a cubin, or as PTX with `ptx`).
static ExitCode lowerToLLVM(ModuleOp module, bool openmp, bool ptx = false) {
  PassManager pm(module->getName());
  if (failed(applyPassManagerCLOptions(pm)))
    return UsageError;
  if (target == Target::Cuda) {
    ndr::CudaLoweringOptions options;
    options.mode = mode;
    options.chip = gpuArch;
    options.emulate = gpuEmulate && !ptx;
    options.format = ptx ? "isa" : "bin";
    options.toolkit = cudaToolkit();
    ndr::buildCudaLoweringPipeline(pm, options);
  } else {
    ndr::CpuLoweringOptions options;
    options.mode = mode;
    options.openmp = openmp;
    // ndrc links the runtime, whose oneDNN linear beats generated loops
    // (README, "Benchmarks").
    options.blas = !noBlas;
    options.vectorBits = targetVectorBits();
    ndr::buildCpuLoweringPipeline(pm, options);
  }
  unsigned errors = reportedErrors;
  if (failed(pm.run(module)))
    return failedStep(CompileError, errors,
                      target == Target::Cuda ? "the lowering for CUDA"
                                             : "the lowering for the CPU");
  return Success;
}

/// ptxas must be there before a CUDA compile starts: the lowering would
/// only say that it failed.
static ExitCode checkCudaToolkit() {
  if (target != Target::Cuda || (gpuEmulate && emitKind != EmitKind::Ptx))
    return Success;
  std::string ptxas = cudaToolkit() + "/bin/ptxas";
  if (llvm::sys::fs::can_execute(ptxas))
    return Success;
  return fail(ToolchainError,
              "--target=cuda needs the CUDA toolkit's ptxas, not found at '{}' "
              "(set NDR_CUDA_TOOLKIT to the toolkit's folder)",
              ptxas);
}

static ExitCode writeFile(StringRef path, StringRef text) {
  std::string error;
  std::unique_ptr<llvm::ToolOutputFile> output = openOutputFile(path, &error);
  if (!output)
    return fail(IOError, "{}", error);
  output->os() << text;
  return keep(*output, path);
}

/// The host toolchain's steps report their failures themselves (the command
/// and the tool's own messages).
static ExitCode toolchainStep(LogicalResult result) {
  return failed(result) ? ToolchainError : Success;
}

/// The files --emit=exe|lib|obj writes: OUT (default: the model's name),
/// for lib and obj with the extension made .so or .o, plus the header.
/// Returns the base (OUT without .so or .o).
static std::string outputBase(StringRef modelName) {
  std::string base = outputFilename.empty() ? modelName.str() : outputFilename;
  StringRef extension = emitKind == EmitKind::Lib   ? ".so"
                        : emitKind == EmitKind::Obj ? ".o"
                                                    : "";
  if (!extension.empty() && StringRef(base).ends_with(extension))
    base.resize(base.size() - extension.size());
  return base;
}

/// exe, lib, obj and llvm: the model lowered, compiled, and packaged with
/// the runtime (tools/ndrc/ModelPackage.h).
static ExitCode emitNative(ModuleOp module) {
  ExitCode selected = Success;
  FailureOr<func::FuncOp> model = singleModel(module, selected);
  if (failed(model))
    return selected;
  // What the C API cannot name is an error at the model (prepareModel says
  // where).
  FailureOr<ndr::ModelInfo> info = ndr::prepareModel(*model);
  if (failed(info))
    return SourceError;
  // A bad -o fails now, not after the compilation.
  std::string base = outputBase(info->name);
  if (emitKind == EmitKind::Exe) {
    if (ExitCode code = checkOutputPath(base))
      return code;
  } else if (emitKind != EmitKind::Llvm && emitKind != EmitKind::Ptx) {
    StringRef extension = emitKind == EmitKind::Lib ? ".so" : ".o";
    if (ExitCode code = checkOutputPath(base + extension.str()))
      return code;
    if (ExitCode code = checkOutputPath(base + ".h"))
      return code;
  }
  ndr::Toolchain toolchain = ndr::Toolchain::fromEnvironment();
  info->cuda = target == Target::Cuda;
  if (ExitCode code = checkCudaToolkit())
    return code;
  if (ExitCode code = lowerToLLVM(module, !toolchain.libomp.empty(),
                                  emitKind == EmitKind::Ptx))
    return code;
  if (emitKind == EmitKind::Ptx)
    return emitText([&](llvm::raw_ostream &os) { os << ndr::kernelAssembly(module); });
  // The workspace that the lowering planned for the run's intermediates.
  if (Operation *run = module.lookupSymbol(info->runSymbol))
    if (auto bytes = run->getAttrOfType<IntegerAttr>(ndr::kWorkspaceAttr))
      info->workspaceBytes = bytes.getInt();

  if (emitKind == EmitKind::Llvm) {
    llvm::LLVMContext llvmContext;
    unsigned errors = reportedErrors;
    std::unique_ptr<llvm::Module> llvmModule =
        ndr::translateToLLVMIR(module, llvmContext);
    if (!llvmModule)
      return failedStep(CompileError, errors, "the translation to LLVM IR");
    return emitText([&](llvm::raw_ostream &os) { llvmModule->print(os, nullptr); });
  }

  // Build in a scratch folder; only the products go to OUT.
  SmallString<128> dir;
  if (std::error_code ec =
          llvm::sys::fs::createUniqueDirectory("ndrc-" + info->name, dir))
    return fail(IOError, "cannot create a temporary folder: {}", ec.message());
  scratchFolder = dir.str().str();
  llvm::scope_exit cleanup([&] {
    llvm::sys::fs::remove_directories(dir);
    scratchFolder.clear();
  });
  auto inDir = [&](StringRef name) {
    SmallString<128> path(dir);
    llvm::sys::path::append(path, name);
    return std::string(path);
  };
  std::string modelObject = inDir("model.o"), descObject = inDir("desc.o");
  // LLVM's code generation (emitObjectFile reports its errors).
  if (failed(ndr::emitObjectFile(module, modelObject, cpu,
                                 sanitize == Sanitizer::Thread)))
    return CompileError;

  bool library = emitKind != EmitKind::Exe;
  std::string header = ndr::generateModelHeader(*info);
  if (library)
    if (ExitCode code = writeFile(inDir(info->name + ".h"), header))
      return code;
  std::string source = ndr::generateModelSource(
      *info, emitKind == EmitKind::Exe   ? ndr::PackageKind::Executable
             : emitKind == EmitKind::Lib ? ndr::PackageKind::SharedLibrary
                                         : ndr::PackageKind::Object);
  if (ExitCode code =
          toolchainStep(toolchain.compileC(dir, "desc", source, descObject)))
    return code;

  switch (emitKind) {
  case EmitKind::Exe:
    return toolchainStep(
        toolchain.link({modelObject, descObject}, base, false));
  case EmitKind::Lib:
    if (ExitCode code = toolchainStep(
            toolchain.link({modelObject, descObject}, base + ".so", true)))
      return code;
    return writeFile(base + ".h", header);
  default:
    if (ExitCode code = toolchainStep(
            toolchain.mergeObjects({modelObject, descObject}, base + ".o")))
      return code;
    return writeFile(base + ".h", header);
  }
}

static ExitCode emitMlir(ModuleOp module) {
  return emitText([&](llvm::raw_ostream &os) { module.print(os); });
}

/// One case per --emit kind.
static ExitCode emit(ModuleOp module) {
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
  std::string commandLineErrors;
  llvm::raw_string_ostream commandLineErrorStream(commandLineErrors);
  if (!cl::ParseCommandLineOptions(
          argc, argv,
          "ndrc: the NDR compiler\n\n"
          "Compiles the models of a .ndr file (or of a .mlir file in the ndr "
          "dialect):\nchecks them, runs the fusion pipeline for --mode and "
          "emits --emit.\nErrors point into the source as file:line:col, with "
          "the line and a caret.\nMLIR's options (--mlir-print-debuginfo, "
          "--mlir-print-ir-after-all, ...) work too:\nsee --help-hidden.\n\n"
          "Exit status: 0; 1 a bad command line; 2 an error in the source; 3 a\n"
          "model ndrc cannot compile; 4 a file that cannot be read or written;\n"
          "5 the host C compiler or linker failed (docs/errors.md).\n",
          &commandLineErrorStream))
    return commandLineError(llvm::sys::path::filename(argv[0]),
                            commandLineErrors);

  if (target != Target::Cuda) {
    if (emitKind == EmitKind::Ptx)
      return fail(UsageError, "--emit=ptx shows GPU kernels: it needs --target=cuda");
    if (gpuEmulate || gpuArch.getNumOccurrences())
      return fail(UsageError, "--{} is for --target=cuda",
                  gpuEmulate ? "gpu-emulate" : "gpu-arch");
  } else {
    StringRef arch = gpuArch;
    unsigned version = 0;
    if (!arch.consume_front("sm_") || arch.consumeInteger(10, version) ||
        !(arch.empty() || arch == "a") || version < 80)
      return fail(UsageError,
                  "--gpu-arch: '{}' is not an NVIDIA architecture NDR compiles "
                  "for (sm_80, sm_86, sm_89, sm_90, sm_90a, ...)",
                  gpuArch.getValue());
    if (sanitize != Sanitizer::None)
      return fail(UsageError, "--sanitize=thread is for --target=cpu");
    if (noBlas)
      return fail(UsageError, "--no-blas is for --target=cpu (a CUDA linear "
                              "always runs through cuBLAS)");
  }
  if (sanitize != Sanitizer::None && emitKind != EmitKind::Lib &&
      emitKind != EmitKind::Obj)
    return fail(UsageError, "--sanitize=thread needs --emit=lib or --emit=obj: "
                            "the program that uses the model links the "
                            "sanitizer's runtime (-fsanitize=thread)");
  if (ExitCode code = checkCpu())
    return code;
  llvm::install_fatal_error_handler(llvmFatalError);

  DialectRegistry registry;
  registry.insert<ndr::NdrDialect, func::FuncDialect>();
  ndr::registerCudaLoweringExtensions(registry);
  MLIRContext context(registry);
  // Diagnostics show the source line; a dump of the op would only repeat it
  // in IR the user of a .ndr file never wrote.
  context.printOpOnDiagnostic(false);
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  // Registered last, so it sees each diagnostic first, counts the errors
  // and passes it on to be printed.
  context.getDiagEngine().registerHandler([](Diagnostic &diagnostic) {
    if (diagnostic.getSeverity() == DiagnosticSeverity::Error)
      ++reportedErrors;
    return failure();
  });

  OwningOpRef<ModuleOp> module;
  if (ExitCode code = loadModule(sourceMgr, context, module))
    return code;
  if (!modelName.empty())
    if (ExitCode code = selectModel(*module, modelName))
      return code;
  if (!noOpt)
    if (ExitCode code = optimize(*module))
      return code;
  return emit(*module);
}
