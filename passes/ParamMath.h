//===- ParamMath.h - computation on parameters ------------------*- C++ -*-===//
//
// Folding a batch_norm rewrites parameters (W' = W * s, b' = ...). That math
// is built as linalg.generic ops on the parameter tensors, which
// ndr-hoist-params moves to load time, or folded to constants when every
// operand is a constant.
//
//===----------------------------------------------------------------------===//

#ifndef NDR_PASSES_PARAMMATH_H
#define NDR_PASSES_PARAMMATH_H

#include "dialect/NdrOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/PatternMatch.h"

#include <string>

namespace mlir::ndr {

/// Builds `result[i...] = body(operands at i...)` over `resultType`. Each
/// operand is either of the result's shape or a per-channel vector [C]
/// indexed by the first dimension. The body sees f32 scalars (operands are
/// extended from their storage type) and its f32 result is rounded once to
/// the result's element type. When every operand is a constant the result
/// is folded into an arith.constant.
using ScalarBody =
    function_ref<Value(OpBuilder &, Location, ArrayRef<Value> operands)>;
Value buildParamMap(RewriterBase &rewriter, Location loc,
                    RankedTensorType resultType, ArrayRef<Value> operands,
                    ScalarBody body);

/// `value` [C] as [C, 1, ..., 1] with `trailing` ones: a per-channel tensor
/// that broadcasts over the dimensions after the channel (itself when 0).
Value expandPerChannel(OpBuilder &b, Location loc, Value value, int64_t trailing);

/// The linear in `batch_norm(linear(...))` when the batch_norm's channels are
/// the linear's output features and the linear feeds nothing else; otherwise
/// null, with the reason in `why`.
LinearOp matchLinearIntoBatchNorm(BatchNormOp norm, std::string &why);

} // namespace mlir::ndr

#endif // NDR_PASSES_PARAMMATH_H
