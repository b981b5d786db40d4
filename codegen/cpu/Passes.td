//===- Passes.td - lowering of the ndr dialect to CPU code -*- tablegen -*-===//

#ifndef NDR_CODEGEN_CPU_PASSES_TD
#define NDR_CODEGEN_CPU_PASSES_TD

include "mlir/Pass/PassBase.td"
include "codegen/Options.td"

def LinearToBlas : Pass<"ndr-linear-to-blas", "::mlir::ModuleOp"> {
  let summary = "Lower f32 ndr.linear to a call of the runtime's BLAS linear";
  let description = [{
    Replaces each f32 `ndr.linear` by a call of `ndr_linear_f32` (or
    `ndr_linear_bias_f32`; runtime, oneDNN's sgemm) on the buffers of its
    operands and a fresh result buffer. `ndrc` runs it when it links the
    runtime; without it `linear` lowers to generated loops, which the JIT
    tests use. Each buffer travels as a 0-d `memref<f32>` view of its first
    element, which the bare-pointer calling convention passes as a `float *`:
    the call uses the buffers (MLIR places deallocations after it, LLVM sees
    pointers), and one declaration fits every shape. Sizes travel as i64.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::memref::MemRefDialect"];
}

def SinkLinearBias : Pass<"ndr-sink-linear-bias", "::mlir::ModuleOp"> {
  let summary = "Move the bias of an f32 linear into the group that reads it";
  let description = [{
    An f32 `ndr.linear` with a bias whose only user is an `ndr.fusion` of
    the linear's shape (not one that broadcasts the result) loses its bias;
    the group reads the bias as one more operand (or the one it already has)
    and adds it to the linear's result before any other use.
    Why: `ndr_linear_bias_f32` writes the bias into the whole result before
    the GEMM accumulates onto it, an extra pass over the output on one
    thread, while a group reads every element of the result anyway (W6's
    `gelu(linear(x, w1, b1))` and `layer_norm(x + linear(h, w2, b2))`:
    0.98-0.99 of the time, bench/ab.py). A linear read by anything else, or
    by more than one op, keeps its bias. `ndrc` runs it before
    `ndr-linear-to-blas`.
  }];
}

def LowerToLinalg : Pass<"ndr-lower-to-linalg", "::mlir::ModuleOp"> {
  let summary = "Lower linear and batch_norm to linalg on tensors";
  let description = [{
    What is not elementwise or a norm (those are `ndr.fusion` groups, lowered
    by `ndr-lower-fusions`) becomes one or a few `linalg.generic`s whose bodies
    compute in f32 (f16 and bf16 are extended on load and rounded once on
    store): `ndr.linear` as a reduction over `[rows, out, in]` of the input
    collapsed to rows and the untransposed `[out, in]` weight plus a bias
    epilogue; `ndr.batch_norm` with batch statistics (train, for the f16/bf16
    batch norms that `ndr-decompose-train-batch-norm` leaves; the running
    statistics updated in place) or, for the f16/bf16 batch norms that
    `ndr-decompose-batch-norm` leaves, running statistics (infer).

    It is the last lowering of the `ndr` dialect, through a conversion target
    that makes the whole dialect illegal: an op left is an error. Runs of a
    model may overlap, so the train-mode update of the running statistics
    holds a spin lock, the module's `ndr_running_stats_lock` global.
  }];
  let options = [CodegenModeOption];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::vector::VectorDialect"];
}

def DecomposeTrainBatchNorm
    : Pass<"ndr-decompose-train-batch-norm", "::mlir::ModuleOp"> {
  let summary = "Train-mode f32 batch_norm as a vectorized reduction and a per-channel scale and shift";
  let description = [{
    Train mode only (`mode=train`). Each f32 `ndr.batch_norm` becomes:
    1. partial sums, in `vector<8xf32>` chunks, of `d = x - K` and `d * d`
       for each channel, `K` the channel's first element (shifted data: one
       sweep over `x`, exact for constant channels, accurate for channels far
       from zero). `x` is viewed as `[outer, channels, inner]`; with the
       channels last the rows are split into a fixed number of ranges (64,
       fewer where their partials would pass 16 MiB), each a vector sweep
       over its rows into `[2, channels]` partials; otherwise each
       `(outer, channel)` plane is swept with 4 partial sums. Both are
       `scf.forall`s, so the threads share them;
    2. the partials added in order per channel (the same result for every
       thread count): `mean = K + S / n`, biased `var = Q / n - (S / n)^2`
       (at least 0); the running statistics updated in place from them under
       the module's `ndr_running_stats_lock` (unbiased variance, as
       `ndr-lower-to-linalg` does);
    3. `y = ((x - K) - S / n) * (gamma / sqrt(var + eps)) + beta` as `ndr.add`
       and `ndr.mul` over per-channel tensors, for `ndr-fuse-elementwise` to
       group: one vectorized sweep.
    f16 and bf16 batch norms are left to `ndr-lower-to-linalg` (their per-channel
    constants would round to the storage type). Running statistics that are not
    two distinct function arguments are an error.
  }];
  let options = [CodegenModeOption];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::vector::VectorDialect"];
}

def LowerFusions : Pass<"ndr-lower-fusions", "::mlir::func::FuncOp"> {
  let summary = "Lower ndr.fusion groups to vectorized row kernels";
  let description = [{
    Each `ndr.fusion` becomes one `scf.forall` over the rows of its shape
    viewed as `[rows, size]` (the normalized dimensions of its norm; without a
    norm, trailing dimensions over which every operand reads as a row vector,
    a per-row value or a short row, or the flat tensor in rows of up to 4096
    when every operand is the full tensor). A row is swept in `vector<8xf32>`
    chunks (`vector<16xf32>` with `vector-bits=512`, except in a group that
    draws dropout masks over rows that are not multiples of 16), the last
    masked when the size is not a multiple of the lanes; each chunk evaluates
    the group's ops as f32 vector arithmetic (f16 and bf16 are extended on
    load and rounded once on store). With 16 lanes, rows of less than 8 KiB
    of prefetched operands prefetch further ahead (below).

    Each sweep steps over 4 chunks at a time (within spans of 256, one Philox
    evaluation, with dropout), then the remaining whole chunks, then the
    masked tail; a sum is
    kept in 4 partial sums, one per chunk of a step, so that its adds do not
    form one chain.

    With a norm, sweep 1 evaluates the prologue once per element, keeps the
    norm's input in a stack scratch row (rows up to 16384 elements whose
    operands fit in L1 with it, or whose prologue is costly to recompute;
    others recompute it), accumulates its sum (layer) or sum of squares (rms)
    and writes the prologue's results; layer norm then sums the squared
    deviations from the mean over the scratch row (two-pass variance); the
    last sweep normalizes and evaluates the epilogue. Each sweep prefetches
    its share (a third for layer norm, a half for rms; five parts to the
    others' one for a sweep that draws dropout masks, which takes about that
    much longer) of the next row of each operand read as a row vector, one
    or two lines per step, so that memory is kept busy at an even rate (with
    16 lanes and rows of less than 8 KiB of such operands, the row that far
    ahead, and a line more per step). Train-mode dropout draws
    Philox4x32-10 once per element: two blocks a lane of a chunk per
    evaluation (`vector<16xi64>` with 8 lanes, `vector<32xi64>` with 16; one
    block per i64 lane), after the span's prefetches, when rows are whole
    blocks; one block per lane when chunks straddle blocks.

    Then `math.exp` and `math.tanh` become polynomial
    approximations (vectorizable, no libm calls).
  }];
  let options = [CodegenModeOption,
    Option<"vectorBits", "vector-bits", "int64_t", "256",
           "the target's widest vectors: 512 (AVX-512) gives the row "
           "kernels vector<16xf32> chunks (8 in a group that draws dropout "
           "masks over rows that are not multiples of 16)">];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::vector::VectorDialect"];
}

def HoistLoopAllocas : Pass<"ndr-hoist-loop-allocas", "::mlir::func::FuncOp"> {
  let summary = "Serial code: move the stack scratch of parallel loops to the entry";
  let description = [{
    Moves every statically shaped `memref.alloca` inside an `scf.parallel`
    (the scratch row of a norm kernel) to the entry block of its function.
    Only for serial code, where iterations run one at a time: the threaded
    pipeline gets a `memref.alloca_scope` per iteration from
    `convert-scf-to-openmp` instead.
  }];
}

def NontemporalStores : Pass<"ndr-nontemporal-stores", "::mlir::ModuleOp"> {
  let summary = "Non-temporal stores for outputs larger than the cache";
  let description = [{
    After bufferization: each unmasked, in-bounds 1-D `vector.transfer_write`
    of 16 bytes or more into a view of an output argument of at least
    `threshold` bytes becomes a non-temporal `vector.store` when its address
    is aligned to the vector (to 64 bytes for wider ones, which x86 stores as
    several registers), and an ordinary store otherwise: a loop whose stores
    stay aligned from step to step (a sweep over a row) is versioned
    once on its first stores' alignment, other stores check their own. An
    output is an argument of a function nothing in the module calls (the
    lowering writes no input), or of a kernel whose every call passes such
    an argument, not the model's workspace (`ndr.workspace`, ndr-plan-workspace):
    an intermediate the model reads again stays in the cache.
    An ordinary store reads the line for ownership first, a quarter of a norm
    kernel's traffic. A `seq_cst` fence before each return orders the stores.
  }];
  let options = [Option<"threshold", "threshold", "int64_t", "16 << 20",
                        "the smallest output, in bytes, stored non-temporally">];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect"];
}

#endif // NDR_CODEGEN_CPU_PASSES_TD
