//===- Pipeline.h - ndr models to LLVM and object files ---------*- C++ -*-===//
//
// The CPU lowering pipeline (`ndr-lower-cpu`), and the translation of its
// result to LLVM IR and to an object file. The ABI of a lowered model is in
// codegen/README.md.
//
//===----------------------------------------------------------------------===//

#ifndef NDR_CODEGEN_PIPELINE_H
#define NDR_CODEGEN_PIPELINE_H

#include "passes/Passes.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"

#include <memory>

namespace mlir {
class DialectRegistry;
namespace ndr {

/// Options of the `ndr-lower-cpu` pipeline.
struct CpuLoweringOptions : public PassPipelineOptions<CpuLoweringOptions> {
  Option<Mode> mode{*this, "mode", llvm::cl::desc("infer or train"),
                    llvm::cl::init(Mode::Infer), modeValues()};
  Option<bool> openmp{
      *this, "openmp",
      llvm::cl::desc("run parallel loops (norm rows, elementwise ops, linear) "
                     "on OpenMP threads; the object then needs libomp"),
      llvm::cl::init(true)};
  Option<bool> blas{
      *this, "blas",
      llvm::cl::desc("lower f32 linear to the runtime's sgemm call "
                     "(ndr_linear_f32) instead of generated loops; the object "
                     "then needs libndr_runtime and oneDNN"),
      llvm::cl::init(false)};
  Option<int64_t> nontemporalThreshold{
      *this, "nontemporal-threshold",
      llvm::cl::desc("outputs of at least this many bytes are written with "
                     "non-temporal stores (default 16 MiB, half this "
                     "machine's last-level cache)"),
      llvm::cl::init(16 << 20)};
  Option<int64_t> vectorBits{
      *this, "vector-bits",
      llvm::cl::desc("the target's widest vectors: 512 (AVX-512) gives the "
                     "row kernels 16-lane chunks (8 in a group that draws "
                     "dropout masks over rows that are not multiples of 16)"),
      llvm::cl::init(256)};
};

/// What both backends do after lowering ndr ops: tensors to buffers (one-shot
/// bufferization of whole functions), results as out-parameters written in
/// place, the seed back to the end, and a model's intermediates as views of
/// its workspace (ndr-plan-workspace).
void addBufferizationPasses(OpPassManager &pm);

/// Host code to the LLVM dialect, but for functions and calls (func-to-llvm
/// on the CPU, gpu-to-llvm for CUDA, which each backend adds after): bf16
/// rounding expanded to integer ops (no compiler-rt helper), memref, vector,
/// scf, math (what is not approximated through libm), arith, index and cf.
void addLoweringToLLVMPasses(OpPassManager &pm);

/// Lowers a module of ndr models (func.func over static tensors) to the LLVM
/// dialect.
void buildCpuLoweringPipeline(OpPassManager &pm,
                              const CpuLoweringOptions &options);

/// The CUDA toolkit NDR was configured with (CMake's NDR_CUDA_TOOLKIT,
/// default /usr/local/cuda).
std::string defaultCudaToolkit();

/// Options of the `ndr-lower-cuda` pipeline.
struct CudaLoweringOptions : public PassPipelineOptions<CudaLoweringOptions> {
  Option<Mode> mode{*this, "mode", llvm::cl::desc("infer or train"),
                    llvm::cl::init(Mode::Infer), modeValues()};
  Option<std::string> chip{*this, "chip",
                           llvm::cl::desc("the GPU architecture (sm_80, sm_90, ...)"),
                           llvm::cl::init("sm_90")};
  Option<std::string> format{
      *this, "format",
      llvm::cl::desc("what the kernels become: bin (a cubin, through ptxas) or "
                     "isa (PTX text, which the driver compiles when it loads)"),
      llvm::cl::init("bin")};
  Option<std::string> toolkit{
      *this, "toolkit",
      llvm::cl::desc("the CUDA toolkit whose ptxas and libdevice are used"),
      llvm::cl::init(defaultCudaToolkit())};
  Option<bool> emulate{
      *this, "emulate",
      llvm::cl::desc("compile the kernels for the host CPU, to run under the "
                     "runtime's emulator (NDR_CUDA_EMULATE=1) where there is "
                     "no GPU"),
      llvm::cl::init(false)};
};

/// Lowers a module of ndr models to the LLVM dialect for an NVIDIA GPU: host
/// code that launches kernels held as a cubin (or PTX, or emulated), with
/// the ABI of codegen/README.md plus a trailing CUstream.
void buildCudaLoweringPipeline(OpPassManager &pm,
                               const CudaLoweringOptions &options);

/// The PTX of the kernels of a module lowered with format=isa, one
/// `gpu.binary` object each.
std::string kernelAssembly(ModuleOp module);

/// Registers the codegen passes and the `ndr-lower-cpu` pipeline.
void registerCodegenPasses();

/// Registers the dialect translations `translateToLLVMIR` needs (builtin,
/// LLVM, OpenMP).
void registerCpuTranslations(DialectRegistry &registry);

/// Registers what a context running `buildCpuLoweringPipeline` needs beyond
/// the dialects: the bufferization models of the ops the lowering produces,
/// and the translations above. (ndr-opt gets them from registerAll*.)
void registerCpuLoweringExtensions(DialectRegistry &registry);

/// The same for `buildCudaLoweringPipeline`: also the NVVM target, the GPU
/// dialects' translations and the embedding of kernel binaries.
void registerCudaLoweringExtensions(DialectRegistry &registry);

/// Translates a module in the LLVM dialect to LLVM IR.
std::unique_ptr<llvm::Module> translateToLLVMIR(ModuleOp module,
                                                llvm::LLVMContext &context);

/// Translates, optimizes (O3) and compiles a module in the LLVM dialect to an
/// object file at `path`, for the host CPU (`cpu` empty) or the named CPU of
/// the host's architecture. With `threadSanitizer`, every function's memory
/// accesses are instrumented for ThreadSanitizer (the program that links the
/// object is linked with -fsanitize=thread).
LogicalResult emitObjectFile(ModuleOp module, llvm::StringRef path,
                             llvm::StringRef cpu = "",
                             bool threadSanitizer = false);

} // namespace ndr
} // namespace mlir

#endif // NDR_CODEGEN_PIPELINE_H
