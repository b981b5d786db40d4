//===- Passes.td - lowering of the ndr dialect to CPU code -*- tablegen -*-===//

#ifndef NDR_CODEGEN_PASSES_TD
#define NDR_CODEGEN_PASSES_TD

include "mlir/Pass/PassBase.td"

// The mode a model is lowered for: dropout and batch_norm depend on it.
def CodegenModeOption : Option<"mode", "mode", "::mlir::ndr::Mode",
    "::mlir::ndr::Mode::Infer", "infer or train", [{::llvm::cl::values(
      clEnumValN(::mlir::ndr::Mode::Infer, "infer", "inference"),
      clEnumValN(::mlir::ndr::Mode::Train, "train", "training"))}]>;

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
    reads it.
  }];
}

def LinearToBlas : Pass<"ndr-linear-to-blas", "::mlir::ModuleOp"> {
  let summary = "Lower f32 ndr.linear to a call of the runtime's BLAS linear";
  let description = [{
    Replaces each f32 `ndr.linear` by a call of `ndr_linear_f32` (runtime,
    OpenBLAS sgemm) on the buffers of its operands and a fresh result
    buffer. `ndrc` runs it when it links the runtime; without it `linear`
    lowers to generated loops, which the JIT tests use. Pointers travel as
    `index` (the aligned base plus the offset), the shapes as i64.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::memref::MemRefDialect"];
}

def LowerToLinalg : Pass<"ndr-lower-to-linalg", "::mlir::func::FuncOp"> {
  let summary = "Lower elementwise ops, activations, linear, dropout and "
                "batch_norm to linalg on tensors";
  let description = [{
    Each op becomes one or a few `linalg.generic`s whose bodies compute in f32
    (f16 and bf16 are extended on load and rounded once on store):
    `ndr.add` and `ndr.mul` with their broadcasting as indexing maps, the
    activations with PyTorch's formulas (gelu with exact erf or the tanh
    approximation), `ndr.linear` as a reduction over `[rows, out, in]` of the
    input collapsed to rows and the untransposed `[out, in]` weight plus a bias
    epilogue, `ndr.dropout` and `ndr.drop_connect` as the identity (infer) or
    a Philox4x32-10 mask computed inline from the element's flat index (train),
    `ndr.batch_norm` with running (infer) or batch (train) statistics.
  }];
  let options = [CodegenModeOption];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::vector::VectorDialect"];
}

def LowerNormRows : Pass<"ndr-lower-norms", "::mlir::func::FuncOp"> {
  let summary = "Lower layer_norm, rms_norm and fused_add_norm to vectorized "
                "row kernels";
  let description = [{
    Each norm becomes an `scf.forall` over its rows (the input collapsed to
    `[rows, row size]`). A row takes two sweeps of `vector<8xf32>` chunks, the
    last chunk masked when the row size is not a multiple of 8: the first
    accumulates the statistics, the second writes the output. Layer norm
    accumulates the sum and the sum of squares of `x - x[0]` (shifting by the
    row's first element keeps the f32 sums accurate for rows far from zero).
    `fused_add_norm` recomputes `s = residual + dropout(input + bias)` in both
    sweeps rather than storing it, so the dropout mask (train mode: Philox on
    8 lanes at once) is drawn twice but no scratch row is needed; its optional
    second result `s` is written in the first sweep.
  }];
  let options = [CodegenModeOption];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::vector::VectorDialect"];
}

#endif // NDR_CODEGEN_PASSES_TD
