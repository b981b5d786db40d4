//===- Passes.td - codegen passes both backends share ----*- tablegen -*-===//

#ifndef NDR_CODEGEN_PASSES_TD
#define NDR_CODEGEN_PASSES_TD

include "mlir/Pass/PassBase.td"
include "codegen/Options.td"

def SeedArgument : Pass<"ndr-seed-argument", "::mlir::ModuleOp"> {
  let summary = "Give every model function a trailing i64 seed argument";
  let description = [{
    Dropout in train mode draws its masks from Philox keyed by the run's
    64-bit seed (DESIGN.md section 5), which the lowered model takes as an
    argument. For every `func.func` marked `ndr.model` this pass makes its only
    integer argument, an `i64`, the last one: it appends it when there is none
    and moves it back to the end when a later pass (results turned into
    out-parameters) appended arguments after it. Lowering patterns find the
    seed as the function's integer argument.

    ```mlir
    func.func @m(%x: tensor<4xf32>) -> tensor<4xf32> attributes {ndr.model}
    // becomes
    func.func @m(%x: tensor<4xf32>, %seed: i64) -> tensor<4xf32> attributes {ndr.model}
    ```
  }];
}

def DropInterfaceAttrs : Pass<"ndr-drop-interface-attrs", "::mlir::ModuleOp"> {
  let summary = "Drop the ndr attributes of function arguments and results";
  let description = [{
    When results become out-parameters their attributes move to the new
    arguments, where `ndr.output` is not valid, and LLVM has no use for the
    names of inputs and parameters. The lowering runs this pass just before:
    the interface of a model stays in the ndr IR, which is where `ndrc`
    reads it. `ndr.seed` and `ndr.cuda_stream` stay: the lowering still looks
    for the seed and the stream by them.
  }];
}

def OutlineFusions : Pass<"ndr-outline-fusions", "::mlir::ModuleOp"> {
  let summary = "Make each ndr.fusion of a model a call to a kernel, one per kind";
  let description = [{
    Every `ndr.fusion` of a function marked `ndr.model` becomes a
    `func.call` of a private kernel function that returns what the group
    computes. Groups of one model that are equal up to their operands and
    dropout streams share a kernel: the streams are passed as `i32`
    arguments, each marked `ndr.stream` with the stream the kernel's body
    names it by, and the seed as the last argument; `ndr-lower-fusions` reads
    them there. A 24-block model then compiles its block's kernels once, not
    24 times. Kernels follow their model, named `<model>_kernel[_N]`.

    ```mlir
    %y = func.call @m_kernel(%x, %r, %c3_i32, %seed)
        : (tensor<8x768xf32>, tensor<8x768xf32>, i32, i64) -> tensor<8x768xf32>
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::LLVM::LLVMDialect"];
}

def PlanWorkspace : Pass<"ndr-plan-workspace", "::mlir::ModuleOp"> {
  let summary = "Place a model's intermediates in one workspace argument";
  let description = [{
    After bufferization, before deallocation: each `memref.alloc` at the top
    level of a model (`ndr.model`) with a static, identity-layout type that
    the function does not return becomes a `memref.view` at a fixed offset
    of a new `memref<Nxi8>` argument, placed before the seed; the function
    gets `ndr.workspace = N`. Buffers whose lifetimes (first op to last use
    of the buffer or a view of it, in the function's block) do not overlap
    share bytes; offsets are multiples of 64. The runtime allocates the
    workspace once per model and concurrent run, so a call neither mallocs
    nor faults in fresh pages.

    ```mlir
    %h = memref.view %ws[%c0][] : memref<4096xi8> to memref<16x64xf32>
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect"];
}

def DistinctReturns : Pass<"ndr-distinct-returns", "::mlir::func::FuncOp"> {
  let summary = "Return each allocation at most once";
  let description = [{
    Before `buffer-results-to-out-params`: a `func.return` that returns one
    statically shaped `memref.alloc` several times returns a copy of it
    (`memref.alloc` + `memref.copy`) in each place after the first. With
    `hoist-static-allocs`, MLIR 22's `buffer-results-to-out-params` replaces
    a returned allocation by its out-parameter and erases it, once per
    operand: a second operand reads the erased op (a crash). A model never
    returns an allocation (its results come from kernel calls); a helper
    function in the same module can.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def FoldOutputCopies : Pass<"ndr-fold-output-copies", "::mlir::func::FuncOp"> {
  let summary = "Write reshaped results straight into their output arguments";
  let description = [{
    After `buffer-results-to-out-params`: a `memref.copy` from a chain of
    `memref.expand_shape`/`collapse_shape` of a `memref.alloc` into an
    argument of the function that nothing else uses (an output: a result
    returned as a reshape of the buffer a kernel wrote, say its `[rows, size]`
    view) is removed, and the allocation
    becomes the argument reshaped: no allocation, page faults or copy per
    call.
  }];
}

#endif // NDR_CODEGEN_PASSES_TD
