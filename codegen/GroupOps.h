//===- GroupOps.h - the ops of an ndr.fusion group as f32 code --*- C++ -*-===//
//
// What both backends do with the ops inside a group, whatever their unit of
// work (a vector of a CPU row, a chunk of a GPU thread): each op computed
// from the f32 values of its operands, the norm's input and parameters, and
// which values depend on the norm's statistics (the epilogue).
//
//===----------------------------------------------------------------------===//

#ifndef NDR_CODEGEN_GROUPOPS_H
#define NDR_CODEGEN_GROUPOPS_H

#include "dialect/NdrOps.h"

#include "llvm/ADT/DenseSet.h"

#include <utility>

namespace mlir::ndr {

/// Applies dropout with probability `p` and Philox stream `stream` to the f32
/// value `x` (the backend draws the mask of the current elements), or
/// returns `x` at inference.
using DropoutFn = function_ref<Value(Value x, APFloat p, uint32_t stream)>;

/// The f32 result of `op` (add, mul, an activation, dropout, drop_connect)
/// from the f32 values of its operands.
Value buildGroupOp(OpBuilder &b, Location loc, Operation *op, ValueRange operands,
                   DropoutFn dropout);

/// A norm root's input at the current elements: its operand, or for
/// fused_add_norm `residual + dropout(input + bias)`, from the f32 values
/// `eval` gives for its operands.
Value buildNormInput(OpBuilder &b, Location loc, Operation *root,
                     function_ref<Value(Value)> eval, DropoutFn dropout);

/// Layer norm (or fused_add_norm of that kind); else RMS norm.
bool isLayerNorm(Operation *root);
float normEps(Operation *root);
/// gamma and beta, null where absent.
std::pair<Value, Value> normParams(Operation *root);

/// The values of the group computed after the root's statistics: its
/// normalized result and what depends on it (not fused_add_norm's sum, known
/// before).
llvm::DenseSet<Value> valuesAfterRoot(FusionOp fusion, Operation *root);

} // namespace mlir::ndr

#endif // NDR_CODEGEN_GROUPOPS_H
