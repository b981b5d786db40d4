//===- CodegenUtils.h - helpers shared by the lowering patterns -*- C++ -*-===//

#ifndef NDR_CODEGEN_CODEGENUTILS_H
#define NDR_CODEGEN_CODEGENUTILS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

namespace mlir::ndr {

/// Extends an f16/bf16 scalar or vector to f32; f32 passes through.
Value extendToF32(OpBuilder &b, Location loc, Value value);

/// Rounds an f32 scalar or vector to `elementType` (once, to nearest even).
Value truncateFromF32(OpBuilder &b, Location loc, Value value, Type elementType);

/// An f32 (or splat vector<..xf32>, as `like`'s shape) constant.
Value f32Constant(OpBuilder &b, Location loc, Type like, double value);

/// The run's seed: the i64 argument of the function enclosing `op`, or null.
Value lookupSeed(Operation *op);

/// The i32 value of dropout stream `stream` for `op`: the argument of its
/// kernel that stands for it (marked kStreamArgAttr), or a constant.
Value lookupStream(OpBuilder &b, Location loc, Operation *op, uint32_t stream);

/// Train-mode batch_norm updates its running statistics in place, in the
/// buffers of two distinct arguments of its function: an error on `op` (a
/// BatchNormOp) otherwise.
LogicalResult checkRunningStatsInPlace(Operation *op);

/// A batch_norm's input viewed as [outer, channels, inner] (the channel axis
/// in the middle).
struct BatchNormLayout {
  int64_t outer = 1, channels = 1, inner = 1;
  int64_t positions() const { return outer * inner; } // elements per channel
  int64_t count() const { return outer * channels * inner; }
};
BatchNormLayout batchNormLayout(Operation *op); // a BatchNormOp

/// The buffer of a tensor that a call or kernel only reads
/// (`bufferization.to_buffer read_only`, the tensor's shape, identity layout).
Value readOnlyBuffer(OpBuilder &b, Location loc, Value tensor);

/// A 0-d view of a buffer's first element (identity layout, so offset 0):
/// under the bare-pointer calling convention it is the buffer's own pointer,
/// one type for every shape, and the call that takes it is a use of the
/// buffer (deallocation stays after it; LLVM sees a pointer, not an integer).
Value firstElement(OpBuilder &b, Location loc, Value buffer);

/// `tensor.empty` of the given type.
Value emptyTensor(OpBuilder &b, Location loc, RankedTensorType type);

/// Reshapes `value` to `[rows, row size]`, where a row is its trailing
/// `rowRank` dimensions (a tensor that is one row gets one leading row).
Value reshapeToRows(OpBuilder &b, Location loc, Value value, int64_t rowRank);

/// Reshapes a tensor to one flat dimension.
Value reshapeToFlat(OpBuilder &b, Location loc, Value value);

/// Reshapes `value` (of the same number of elements) back to `type`.
Value reshapeTo(OpBuilder &b, Location loc, Value value, RankedTensorType type);


/// Computes one f32 value from the f32 values of a generic's inputs.
using ElementwiseBody =
    llvm::function_ref<Value(OpBuilder &, Location, ValueRange)>;

/// The indexing map of an operand broadcast to `resultShape` (NumPy rules:
/// aligned at the trailing dimension, a size-1 dimension repeats).
AffineMap broadcastMap(MLIRContext *context, ArrayRef<int64_t> operandShape,
                       ArrayRef<int64_t> resultShape);

/// A parallel `linalg.generic` producing `resultType` from `inputs` read
/// through `maps` (one per input; the result's map is the identity): the
/// inputs are extended to f32, `body` computes, the result is rounded once to
/// the result's element type.
Value buildElementwise(OpBuilder &b, Location loc, RankedTensorType resultType,
                       ValueRange inputs, ArrayRef<AffineMap> maps,
                       ElementwiseBody body);

} // namespace mlir::ndr

#endif // NDR_CODEGEN_CODEGENUTILS_H
