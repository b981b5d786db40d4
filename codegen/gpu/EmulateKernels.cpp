//===- EmulateKernels.cpp - ndr-emulate-gpu-kernels -----------------------===//
//
// The kernels of the gpu.module as host functions for the runtime's
// emulator (runtime/cuda_emulator.cpp); their launches are left as they are,
// so that the host code is the one a GPU runs.
//
//===----------------------------------------------------------------------===//

#include "codegen/gpu/Kernels.h"
#include "codegen/gpu/Passes.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/Hashing.h"
#include "llvm/Support/Format.h"

namespace mlir::ndr {
#define GEN_PASS_DEF_EMULATEGPUKERNELS
#include "codegen/gpu/Passes.h.inc"
} // namespace mlir::ndr

using namespace mlir;
using namespace mlir::ndr;

namespace {

constexpr StringLiteral kId = "ndr_emu_id", kBarrier = "ndr_emu_barrier",
                        kShuffle = "ndr_emu_shuffle_xor";

func::FuncOp declare(ModuleOp module, StringRef name, FunctionType type) {
  if (auto existing = module.lookupSymbol<func::FuncOp>(name))
    return existing;
  OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
  auto func = func::FuncOp::create(b, module.getLoc(), name, type);
  func.setPrivate();
  return func;
}

/// gpu.thread_id etc.: which = 3 * kind + dimension (the emulator's order).
int32_t idCode(Operation *op) {
  auto dim = [](gpu::Dimension d) { return static_cast<int32_t>(d); };
  if (auto id = dyn_cast<gpu::ThreadIdOp>(op))
    return dim(id.getDimension());
  if (auto id = dyn_cast<gpu::BlockIdOp>(op))
    return 3 + dim(id.getDimension());
  if (auto id = dyn_cast<gpu::BlockDimOp>(op))
    return 6 + dim(id.getDimension());
  if (auto id = dyn_cast<gpu::GridDimOp>(op))
    return 9 + dim(id.getDimension());
  return -1;
}

struct EmulateGpuKernelsPass
    : ndr::impl::EmulateGpuKernelsBase<EmulateGpuKernelsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    for (auto kernels : llvm::to_vector(module.getOps<gpu::GPUModuleOp>()))
      if (failed(emulate(module, kernels)))
        return signalPassFailure();
  }

  LogicalResult emulate(ModuleOp module, gpu::GPUModuleOp kernels) {
    MLIRContext *context = &getContext();
    OpBuilder b(context);
    // A key that tells this module's kernels from another library's.
    std::string text;
    llvm::raw_string_ostream os(text);
    kernels->print(os);
    std::string key = (kernels.getName() + "_" +
                       llvm::utohexstr(static_cast<uint64_t>(llvm::hash_value(text))))
                          .str();
    Type i32 = b.getI32Type(), i64 = b.getI64Type();
    func::FuncOp idFunc = declare(module, kId, b.getFunctionType({i32}, {i64}));
    func::FuncOp barrierFunc = declare(module, kBarrier, b.getFunctionType({}, {}));
    func::FuncOp shuffleFunc =
        declare(module, kShuffle, b.getFunctionType({i32, i32, i32}, {i32}));

    for (auto kernel : llvm::to_vector(kernels.getOps<gpu::GPUFuncOp>())) {
      b.setInsertionPoint(kernels);
      std::string name = ("ndr_emu_" + kernels.getName() + "_" + kernel.getName()).str();
      auto func = func::FuncOp::create(b, kernel.getLoc(), name,
                                       kernel.getFunctionType());
      func.setPrivate();
      func->setAttr(kEmulatedKernelAttr,
                    b.getStrArrayAttr({key, kernel.getName()}));
      for (unsigned i = 0; i < kernel.getNumArguments(); ++i)
        func.setArgAttrs(i, kernel.getArgAttrDict(i));
      IRMapping map;
      kernel.getBody().cloneInto(&func.getBody(), map);
      Block &entry = func.getBody().front();
      // Shared memory: one global per buffer, since blocks run one at a time.
      unsigned numArgs = kernel.getNumArguments();
      for (auto [i, attribution] : llvm::enumerate(kernel.getWorkgroupAttributions())) {
        auto type = cast<MemRefType>(attribution.getType());
        auto plain = MemRefType::get(type.getShape(), type.getElementType());
        std::string global = name + "_shared" + std::to_string(i);
        b.setInsertionPoint(kernels);
        memref::GlobalOp::create(b, kernel.getLoc(), global, b.getStringAttr("private"),
                                 plain, Attribute(), /*constant=*/false, IntegerAttr());
        b.setInsertionPointToStart(&entry);
        Value buffer = memref::GetGlobalOp::create(b, kernel.getLoc(), plain, global);
        BlockArgument arg = entry.getArgument(numArgs + i);
        arg.replaceAllUsesWith(buffer);
      }
      while (entry.getNumArguments() > numArgs)
        entry.eraseArgument(numArgs);

      SmallVector<Operation *> ops;
      func.walk([&](Operation *op) { ops.push_back(op); });
      for (Operation *op : ops) {
        b.setInsertionPoint(op);
        Location loc = op->getLoc();
        if (int32_t code = idCode(op); code >= 0) {
          Value id = func::CallOp::create(
                         b, loc, idFunc,
                         ValueRange{arith::ConstantIntOp::create(b, loc, code, 32)})
                         .getResult(0);
          op->replaceAllUsesWith(
              arith::IndexCastOp::create(b, loc, b.getIndexType(), id)->getResults());
          op->erase();
        } else if (isa<gpu::BarrierOp>(op)) {
          func::CallOp::create(b, loc, barrierFunc, ValueRange{});
          op->erase();
        } else if (auto shuffle = dyn_cast<gpu::ShuffleOp>(op)) {
          if (shuffle.getMode() != gpu::ShuffleMode::XOR ||
              !shuffle.getValue().getType().isF32())
            return shuffle.emitOpError("is not emulated (only f32 xor shuffles are)");
          Value bits = arith::BitcastOp::create(b, loc, i32, shuffle.getValue());
          Value result = func::CallOp::create(b, loc, shuffleFunc,
                                              ValueRange{bits, shuffle.getOffset(),
                                                         shuffle.getWidth()})
                             .getResult(0);
          shuffle.getShuffleResult().replaceAllUsesWith(
              arith::BitcastOp::create(b, loc, b.getF32Type(), result));
          shuffle.getValid().replaceAllUsesWith(
              arith::ConstantIntOp::create(b, loc, 1, 1));
          shuffle.erase();
        } else if (isa<gpu::ReturnOp>(op)) {
          func::ReturnOp::create(b, loc);
          op->erase();
        } else if (op->getDialect() && op->getDialect()->getNamespace() == "gpu") {
          return op->emitOpError("is not emulated");
        }
      }
    }

    // The image names the kernels instead of holding their code.
    std::string image = std::string("NDREMU") + '\0' + key + '\0';
    b.setInsertionPoint(kernels);
    auto target = NVVM::NVVMTargetAttr::get(context);
    auto object = gpu::ObjectAttr::get(context, target,
                                       gpu::CompilationTarget::Binary,
                                       b.getStringAttr(image), DictionaryAttr(),
                                       gpu::KernelTableAttr());
    gpu::BinaryOp::create(b, kernels.getLoc(), kernels.getName(), Attribute(),
                          ArrayRef<Attribute>{object});
    kernels.erase();
    return success();
  }
};

} // namespace
