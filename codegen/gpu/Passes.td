//===- Passes.td - lowering of the ndr dialect to CUDA ----*- tablegen -*-===//

#ifndef NDR_CODEGEN_GPU_PASSES_TD
#define NDR_CODEGEN_GPU_PASSES_TD

include "mlir/Pass/PassBase.td"
include "codegen/Options.td"

def StreamArgument : Pass<"ndr-stream-argument", "::mlir::ModuleOp"> {
  let summary = "Give every function a trailing stream, and pass it on to calls";
  let description = [{
    The work of a CUDA model is enqueued on the caller's stream. Every
    `func.func` with a body gets a last `!gpu.async.token` argument, marked
    `ndr.cuda_stream`, that `gpu-to-llvm` lowers to the `CUstream` pointer
    each launch, copy and runtime call is given; a call of such a function
    passes the caller's. Run again, it moves the argument back to the end
    (after the out-parameters, workspace and seed that later passes add).

    ```mlir
    func.func @m(%x: tensor<4xf32>, %seed: i64) -> tensor<4xf32>
    // becomes
    func.func @m(%x: tensor<4xf32>, %seed: i64, %stream: !gpu.async.token {ndr.cuda_stream}) -> tensor<4xf32>
    ```
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def LowerToGpu : Pass<"ndr-lower-to-gpu", "::mlir::ModuleOp"> {
  let summary = "Lower ndr ops to GPU kernels and their launches";
  let description = [{
    Every op of the `ndr` dialect becomes kernels in the module's
    `gpu.module @ndr_kernels` and their `gpu.launch_func`s on the function's
    stream, on the tensors' buffers (`bufferization.to_buffer` of the
    inputs, fresh `memref.alloc`s for the results): each `ndr.fusion` one
    kernel (a warp or a block per row with a norm, 128-bit chunks, warp
    shuffle reductions, dropout's Philox inline); `ndr.linear` a call of the
    runtime's `ndr_cuda_linear_<dtype>` (cuBLAS) and its bias a group of one
    add; `ndr.batch_norm` a normalizing kernel after, in train mode, the
    two-phase reductions of the batch statistics and the update of the
    running statistics. Then `math.exp`, `math.erfc` and `math.tanh` in the
    kernels become the polynomials the CPU uses. The whole dialect is
    illegal: an op left is an error.
  }];
  let options = [CodegenModeOption];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::gpu::GPUDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::vector::VectorDialect"];
}

def GpuHostMemory : Pass<"ndr-gpu-host-memory", "::mlir::ModuleOp"> {
  let summary = "Allocations and copies of host functions on the device";
  let description = [{
    After bufferization, every buffer of a CUDA model is device memory: in
    functions outside the `gpu.module`, `memref.alloc` and `memref.dealloc`
    become `gpu.alloc` and `gpu.dealloc`, and `memref.copy` a `gpu.memcpy`,
    all on the function's stream. (A model's intermediates are views of its
    workspace by then, so this is for init functions and results that are
    arguments.) Host code must not touch device memory: a load, store or
    other access to a buffer left there is an error.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def GpuPreciseSqrt : Pass<"ndr-gpu-precise-sqrt", "::mlir::gpu::GPUModuleOp"> {
  let summary = "f32 square roots in kernels rounded to nearest (sqrt.rn.f32)";
  let description = [{
    NVVM lowers `math.sqrt` to `sqrt.approx.f32`. The norms' `1 / sqrt(var +
    eps)` is an IEEE square root and an IEEE division on the CPU; this pass
    makes each scalar f32 `math.sqrt` in a kernel the `llvm.nvvm.sqrt.rn.f`
    intrinsic, so that the GPU computes the same correctly rounded value
    (`arith.divf` is already `div.rn.f32`).
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def EmulateGpuKernels : Pass<"ndr-emulate-gpu-kernels", "::mlir::ModuleOp"> {
  let summary = "Kernels as host functions for the runtime's CUDA emulator";
  let description = [{
    For testing without a GPU (`ndrc --gpu-emulate`, run with
    `NDR_CUDA_EMULATE=1`): each kernel of `gpu.module @ndr_kernels` becomes a
    host `func.func @ndr_emu_<kernel>` whose thread and block ids, barriers
    and warp shuffles are calls into the runtime's emulator
    (`ndr_emu_id`, `ndr_emu_barrier`, `ndr_emu_shuffle_xor`) and whose
    shared memory is a private global (the emulator runs one block at a
    time). The `gpu.module` becomes a `gpu.binary` whose image names them
    (`NDREMU`, then the module's key) instead of holding a cubin;
    `ndr-emulation-entry-points` registers them when the object loads.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::gpu::GPUDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::NVVM::NVVMDialect"];
}

def EmulationEntryPoints : Pass<"ndr-emulation-entry-points", "::mlir::ModuleOp"> {
  let summary = "Register emulated kernels with the runtime when the object loads";
  let description = [{
    On the LLVM dialect, after `ndr-emulate-gpu-kernels` and the lowering:
    each emulated kernel gets a wrapper `@<kernel>_packed(ptr params)` that
    calls it with the arguments `cuLaunchKernel`'s parameter array points
    at, and a global constructor registers every wrapper with the runtime's
    emulator (`ndr_emu_register(module key, kernel name, wrapper)`).
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

#endif // NDR_CODEGEN_GPU_PASSES_TD
