//===- HostMemory.cpp - ndr-gpu-host-memory -------------------------------===//

#include "codegen/gpu/Kernels.h"
#include "codegen/gpu/Passes.h"

#include "mlir/IR/PatternMatch.h"

namespace mlir::ndr {
#define GEN_PASS_DEF_GPUHOSTMEMORY
#include "codegen/gpu/Passes.h.inc"
} // namespace mlir::ndr

using namespace mlir;
using namespace mlir::ndr;

namespace {

struct GpuHostMemoryPass : ndr::impl::GpuHostMemoryBase<GpuHostMemoryPass> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    Type token = rewriter.getType<gpu::AsyncTokenType>();
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      Value stream = gpu_kernels::lookupStream(func);
      SmallVector<Value> allocs;
      WalkResult walk = func.walk([&](Operation *op) {
        rewriter.setInsertionPoint(op);
        Location loc = op->getLoc();
        if (isa<memref::AllocOp, memref::DeallocOp, memref::CopyOp, gpu::LaunchFuncOp>(op) &&
            !stream) {
          op->emitOpError("in a CUDA host function without a stream argument");
          return WalkResult::interrupt();
        }
        if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
          auto gpuAlloc = gpu::AllocOp::create(
              rewriter, loc, alloc.getType(), token, ValueRange{stream},
              alloc.getDynamicSizes(), alloc.getSymbolOperands(), /*hostShared=*/false);
          rewriter.replaceOp(alloc, gpuAlloc.getMemref());
          allocs.push_back(gpuAlloc.getMemref());
        } else if (auto dealloc = dyn_cast<memref::DeallocOp>(op)) {
          gpu::DeallocOp::create(rewriter, loc, token, ValueRange{stream},
                                 dealloc.getMemref());
          rewriter.eraseOp(dealloc);
        } else if (auto copy = dyn_cast<memref::CopyOp>(op)) {
          gpu::MemcpyOp::create(rewriter, loc, token, ValueRange{stream},
                                copy.getTarget(), copy.getSource());
          rewriter.eraseOp(copy);
        } else if (auto launch = dyn_cast<gpu::LaunchFuncOp>(op);
                   launch && !launch.getAsyncToken()) {
          // An outlined linalg loop nest: on the stream too.
          gpu::LaunchFuncOp::create(
              rewriter, loc, launch.getKernelAttr(), launch.getGridSizeOperandValues(),
              launch.getBlockSizeOperandValues(), launch.getDynamicSharedMemorySize(),
              launch.getKernelOperands(), token, ValueRange{stream});
          rewriter.eraseOp(launch);
        } else if (isa<memref::LoadOp, memref::StoreOp, vector::LoadOp, vector::StoreOp,
                       vector::TransferReadOp, vector::TransferWriteOp,
                       memref::GetGlobalOp, linalg::LinalgOp>(op)) {
          // Everything the CUDA lowering produces runs in kernels.
          op->emitOpError("would access device memory from host code (an "
                          "internal error of the CUDA lowering)");
          return WalkResult::interrupt();
        }
        return WalkResult::advance();
      });
      if (walk.wasInterrupted())
        return signalPassFailure();
      // What is not returned is freed when the function's work is done
      // (bufferization's deallocation cannot see into launches).
      func.walk([&](func::ReturnOp ret) {
        rewriter.setInsertionPoint(ret);
        for (Value buffer : allocs)
          if (!llvm::is_contained(ret.getOperands(), buffer))
            gpu::DeallocOp::create(rewriter, ret.getLoc(), token, ValueRange{stream},
                                   buffer);
      });
    }
  }
};

} // namespace
