//===- Kernels.h - building GPU kernels and their launches ------*- C++ -*-===//
//
// What every GPU lowering pattern does: a `gpu.func` kernel in the module's
// one `gpu.module`, whose arguments are flat buffers (bare pointers: static
// shapes, 128-bit accesses, read-only ones marked for ld.global.nc) and
// scalars; and, in the host function on tensors, its launch on the
// function's stream between `bufferization.to_buffer` of its inputs and
// `to_tensor` of its fresh results, as linear's BLAS call does on the CPU.
//
//===----------------------------------------------------------------------===//

#ifndef NDR_CODEGEN_GPU_KERNELS_H
#define NDR_CODEGEN_GPU_KERNELS_H

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::ndr::gpu_kernels {

/// Threads of a warp.
constexpr int64_t kWarp = 32;

/// The host function's stream: its `!gpu.async.token` argument marked
/// kCudaStreamAttr (ndr-stream-argument), or null.
Value lookupStream(Operation *op);

/// The arguments of a kernel and their launch, collected in order.
class Launch {
public:
  Launch(OpBuilder &b, Location loc) : b(b), loc(loc) {}

  /// A tensor the kernel reads, as a flat buffer; returns its argument index.
  unsigned read(Value tensor);
  /// A tensor argument of the function that the kernel updates in place (a
  /// running statistic).
  unsigned update(Value tensor);
  /// A fresh flat result buffer, of `type`'s elements; returns the index.
  unsigned result(RankedTensorType type);
  /// A scalar (i32, i64 or index).
  unsigned scalar(Value value);

  /// Creates the kernel `name` (made unique in the gpu.module) with these
  /// arguments and `block` threads, and lets `body` fill it, given a builder
  /// at its start and its arguments; the body ends in gpu.return. Launches
  /// it on `grid` blocks, on the stream. Returns the results as tensors of
  /// the types they were asked with.
  SmallVector<Value>
  build(StringRef name, int64_t grid, int64_t block,
        function_ref<void(OpBuilder &, Location, ValueRange)> body);

private:
  OpBuilder &b;
  Location loc;
  SmallVector<Value> operands;
  SmallVector<bool> readOnly;
  SmallVector<std::pair<unsigned, RankedTensorType>> results;
};

/// Workgroup (shared) memory of `count` f32 for the kernel being built.
Value workgroupBuffer(OpBuilder &b, Location loc, int64_t count);

/// The sum of the f32 `values` over the `threads` threads of a row (all of
/// them call it): a butterfly of warp shuffles, then, over several warps,
/// one partial per warp in `scratch` (workgroup memory, 32 f32 per value,
/// starting at `slot * 32`: distinct slots need no second barrier) added in
/// warp order, so that every thread gets the same sums.
SmallVector<Value> allReduce(OpBuilder &b, Location loc, ValueRange values,
                             int64_t threads, Value scratch, int64_t slot);

/// Constants.
Value index(OpBuilder &b, Location loc, int64_t value);

/// A vector<N x T> (N = `lanes` > 1) or T at `index` of a flat buffer, with
/// the alignment of its size up to 16 bytes.
Value loadChunk(OpBuilder &b, Location loc, Value buffer, Value index,
                int64_t lanes);
void storeChunk(OpBuilder &b, Location loc, Value value, Value buffer,
                Value index);

} // namespace mlir::ndr::gpu_kernels

#endif // NDR_CODEGEN_GPU_KERNELS_H
