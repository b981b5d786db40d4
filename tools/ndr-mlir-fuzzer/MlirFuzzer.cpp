//===- MlirFuzzer.cpp - libFuzzer over ndr IR through ndrc's passes -------===//
//
// Parses arbitrary bytes as MLIR in the dialects of ndrc's pipeline (ndr,
// func, and what the passes produce or a hand-written model may hold: arith,
// math, tensor, linalg, scf, cf) and verifies it. A verified module then goes
// through what `ndrc --emit=llvm` does to it:
//
//   1. ndr-optimize (passes/Pipeline.cpp), with the verifier run after every
//      pass: a verified module that no longer verifies after a pass is a
//      finding, and so is a pass that fails without an error;
//   2. ndr-lower-cpu (codegen/Pipeline.cpp), verified after every pass the
//      same way, which must succeed or fail with an error;
//   3. when it succeeds, the translation to LLVM IR (which verifies the LLVM
//      module), which must succeed. Object emission (LLVM's O3 and
//      instruction selection) is left out: it is LLVM's, and would cost more
//      than everything above.
//
// Every diagnostic is swallowed; a finding prints the pass, the verifier's
// messages and the IR before the pass, then aborts. Nothing may crash, hang
// or touch memory it does not own.
//
// To see what happens to one input, run it with NDR_FUZZ_DEBUG=1 in the
// environment: diagnostics are then printed, and so is the IR after each
// pass.
//
// The options of both pipelines come from the input's first line when it is
// a comment, `// ndr-fuzz: WORD...`, so that the fuzzer can reach them:
// `train` (mode=train; default infer), `remarks` (remarks=true), `loops` (no
// BLAS call for linear; default blas=true, as ndrc), `serial` (openmp=false).
//
//===----------------------------------------------------------------------===//

#include "codegen/Pipeline.h"
#include "dialect/NdrDialect.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassInstrumentation.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <string>

using namespace mlir;

namespace {

/// The pipelines' options, from the first line of the input.
struct FuzzOptions {
  ndr::Mode mode = ndr::Mode::Infer;
  bool remarks = false, blas = true, openmp = true;
};

FuzzOptions parseOptions(llvm::StringRef text) {
  FuzzOptions options;
  llvm::StringRef first = text.split('\n').first;
  if (!first.consume_front("// ndr-fuzz:"))
    return options;
  llvm::SmallVector<llvm::StringRef> words;
  first.split(words, ' ', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef word : words) {
    word = word.trim();
    if (word == "train")
      options.mode = ndr::Mode::Train;
    else if (word == "remarks")
      options.remarks = true;
    else if (word == "loops")
      options.blas = false;
    else if (word == "serial")
      options.openmp = false;
  }
  return options;
}

const DialectRegistry &getRegistry() {
  static const DialectRegistry registry = [] {
    DialectRegistry registry;
    registry.insert<ndr::NdrDialect, arith::ArithDialect, cf::ControlFlowDialect,
                    func::FuncDialect, linalg::LinalgDialect, math::MathDialect,
                    scf::SCFDialect, tensor::TensorDialect>();
    ndr::registerCpuLoweringExtensions(registry);
    return registry;
  }();
  return registry;
}

/// NDR_FUZZ_DEBUG is set: print diagnostics and the IR after each pass.
bool debug() {
  static const bool set = std::getenv("NDR_FUZZ_DEBUG") != nullptr;
  return set;
}

/// Whether an error diagnostic was emitted since the last reset.
struct ErrorSeen {
  bool seen = false;
};

[[noreturn]] void finding(const std::string &what, const std::string &detail) {
  llvm::errs() << "ndr-mlir-fuzzer: " << what << "\n" << detail << "\n";
  llvm::errs().flush();
  std::abort();
}

/// The verifier's messages for `op`, which must fail to verify.
std::string verifierMessages(Operation *op) {
  std::string messages;
  llvm::raw_string_ostream os(messages);
  ScopedDiagnosticHandler capture(op->getContext(), [&](Diagnostic &diag) {
    os << diag << "\n";
    for (Diagnostic &note : diag.getNotes())
      os << "  note: " << note << "\n";
    return success();
  });
  (void)verify(op);
  return messages;
}

/// Verifies the IR after every pass that succeeds (the pass manager's own
/// verifier is off: it would turn a broken pass into a plain failure), and
/// checks that a pass that fails has said why.
class VerifyEachPass : public PassInstrumentation {
public:
  VerifyEachPass(const char *pipeline, ErrorSeen &errors)
      : pipeline(pipeline), errors(errors) {}

  void runBeforePass(Pass *pass, Operation *op) override {
    errors.seen = false;
  }

  void runAfterPass(Pass *pass, Operation *op) override {
    if (debug()) {
      llvm::errs() << "// ----- " << pipeline << ": after " << pass->getName()
                   << "\n";
      op->print(llvm::errs(), OpPrintingFlags().assumeVerified());
      llvm::errs() << "\n";
    }
    if (succeeded(verify(op, /*verifyRecursively=*/true)))
      return;
    std::string messages = verifierMessages(op);
    std::string ir;
    llvm::raw_string_ostream os(ir);
    op->print(os, OpPrintingFlags().assumeVerified());
    finding(std::string(pipeline) + ": the IR no longer verifies after pass '" +
                pass->getArgument().str() + "'",
            messages + "IR after the pass:\n" + ir);
  }

  void runAfterPassFailed(Pass *pass, Operation *op) override {
    if (!errors.seen && !pass->getArgument().empty())
      finding(std::string(pipeline) + ": pass '" + pass->getArgument().str() +
                  "' failed without an error",
              "");
  }

private:
  const char *pipeline;
  ErrorSeen &errors;
};

/// Runs `build`'s pipeline on `module` with VerifyEachPass; failure means
/// that a pass failed with an error.
template <typename Build>
LogicalResult runPipeline(ModuleOp module, const char *name, ErrorSeen &errors,
                          Build build) {
  PassManager pm(module->getContext(), ModuleOp::getOperationName());
  pm.enableVerifier(false);
  pm.addInstrumentation(std::make_unique<VerifyEachPass>(name, errors));
  build(pm);
  return pm.run(module);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  FuzzOptions options = parseOptions(text);

  MLIRContext context(getRegistry(), MLIRContext::Threading::DISABLED);
  context.printOpOnDiagnostic(false);
  context.printStackTraceOnDiagnostic(false);
  ErrorSeen errors;
  ScopedDiagnosticHandler swallow(&context, [&](Diagnostic &diag) {
    if (diag.getSeverity() == DiagnosticSeverity::Error)
      errors.seen = true;
    if (debug())
      llvm::errs() << diag.getLocation() << ": " << diag << "\n";
    return success();
  });

  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(text, "fuzz.mlir"), llvm::SMLoc());
  // Parsing verifies.
  OwningOpRef<ModuleOp> module =
      parseSourceFile<ModuleOp>(sourceMgr, ParserConfig(&context));
  if (!module)
    return 0;

  errors.seen = false;
  if (failed(runPipeline(*module, "ndr-optimize", errors, [&](PassManager &pm) {
        ndr::OptimizeOptions optimize;
        optimize.mode = options.mode;
        optimize.remarks = options.remarks;
        ndr::buildOptimizePipeline(pm, optimize);
      })))
    return 0;

  errors.seen = false;
  if (failed(runPipeline(*module, "ndr-lower-cpu", errors, [&](PassManager &pm) {
        ndr::CpuLoweringOptions lowering;
        lowering.mode = options.mode;
        lowering.blas = options.blas;
        lowering.openmp = options.openmp;
        ndr::buildCpuLoweringPipeline(pm, lowering);
      })))
    return 0;

  errors.seen = false;
  llvm::LLVMContext llvmContext;
  if (!ndr::translateToLLVMIR(*module, llvmContext)) {
    std::string ir;
    llvm::raw_string_ostream os(ir);
    module->print(os);
    finding("the lowered module does not translate to LLVM IR" +
                std::string(errors.seen ? "" : " (and no error says why)"),
            "lowered module:\n" + ir);
  }
  return 0;
}
