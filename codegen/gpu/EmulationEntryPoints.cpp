//===- EmulationEntryPoints.cpp - ndr-emulation-entry-points --------------===//

#include "codegen/gpu/Passes.h"

#include "mlir/Dialect/LLVMIR/FunctionCallUtils.h"

namespace mlir::ndr {
#define GEN_PASS_DEF_EMULATIONENTRYPOINTS
#include "codegen/gpu/Passes.h.inc"
} // namespace mlir::ndr

using namespace mlir;
using namespace mlir::ndr;

namespace {

struct EmulationEntryPointsPass
    : ndr::impl::EmulationEntryPointsBase<EmulationEntryPointsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<LLVM::LLVMFuncOp> kernels;
    for (auto func : module.getOps<LLVM::LLVMFuncOp>())
      if (func->hasAttr(kEmulatedKernelAttr))
        kernels.push_back(func);
    if (kernels.empty())
      return;
    MLIRContext *context = &getContext();
    Location loc = module.getLoc();
    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    auto ptr = LLVM::LLVMPointerType::get(context);
    auto voidType = LLVM::LLVMVoidType::get(context);
    FailureOr<LLVM::LLVMFuncOp> registerFn = LLVM::lookupOrCreateFn(
        b, module, "ndr_emu_register", {ptr, ptr, ptr}, voidType);
    if (failed(registerFn))
      return signalPassFailure();

    // void <kernel>_packed(void **params): params[i] points at argument i.
    SmallVector<std::pair<LLVM::LLVMFuncOp, ArrayAttr>> wrappers;
    for (LLVM::LLVMFuncOp kernel : kernels) {
      b.setInsertionPointToEnd(module.getBody());
      auto wrapper = LLVM::LLVMFuncOp::create(
          b, loc, (kernel.getName() + "_packed").str(),
          LLVM::LLVMFunctionType::get(voidType, {ptr}));
      wrapper.setLinkage(LLVM::Linkage::Internal);
      Block *entry = wrapper.addEntryBlock(b);
      b.setInsertionPointToStart(entry);
      SmallVector<Value> args;
      for (auto [i, type] :
           llvm::enumerate(kernel.getFunctionType().getParams())) {
        Value slot = LLVM::GEPOp::create(b, loc, ptr, ptr, entry->getArgument(0),
                                         ArrayRef<LLVM::GEPArg>{int32_t(i)});
        Value at = LLVM::LoadOp::create(b, loc, ptr, slot);
        args.push_back(LLVM::LoadOp::create(b, loc, type, at));
      }
      LLVM::CallOp::create(b, loc, kernel, args);
      LLVM::ReturnOp::create(b, loc, ValueRange{});
      wrappers.push_back({wrapper, kernel->getAttrOfType<ArrayAttr>(kEmulatedKernelAttr)});
    }

    // The constructor that registers them.
    b.setInsertionPointToEnd(module.getBody());
    auto ctor = LLVM::LLVMFuncOp::create(b, loc, "ndr_emu_register_kernels",
                                         LLVM::LLVMFunctionType::get(voidType, {}));
    ctor.setLinkage(LLVM::Linkage::Internal);
    b.setInsertionPointToStart(ctor.addEntryBlock(b));
    for (auto [i, entry] : llvm::enumerate(wrappers)) {
      auto [wrapper, names] = entry;
      auto text = [&](unsigned which) {
        StringRef value = cast<StringAttr>(names[which]).getValue();
        return LLVM::createGlobalString(
            loc, b, ("ndr_emu_name_" + Twine(i) + "_" + Twine(which)).str(),
            (value + Twine('\0')).str(), LLVM::Linkage::Internal);
      };
      Value key = text(0), name = text(1);
      Value fn = LLVM::AddressOfOp::create(b, loc, wrapper);
      LLVM::CallOp::create(b, loc, *registerFn, ValueRange{key, name, fn});
    }
    LLVM::ReturnOp::create(b, loc, ValueRange{});
    b.setInsertionPointToEnd(module.getBody());
    LLVM::GlobalCtorsOp::create(
        b, loc, b.getArrayAttr({FlatSymbolRefAttr::get(ctor)}),
        b.getI32ArrayAttr({101}), b.getArrayAttr({LLVM::ZeroAttr::get(context)}));
  }
};

} // namespace
