//===- Activations.h - the activations as f32 arithmetic --------*- C++ -*-===//
//
// PyTorch's formulas for the activations, on f32 scalars or vectors alike,
// written so that they do not cancel. `math` ops in them (erfc, exp, tanh)
// become polynomial approximations (vectorizable, no libm call) in the CPU
// pipeline.
//
//===----------------------------------------------------------------------===//

#ifndef NDR_CODEGEN_ACTIVATIONS_H
#define NDR_CODEGEN_ACTIVATIONS_H

#include "mlir/IR/Builders.h"

namespace mlir::ndr {

/// The activation computed by `op` (relu, gelu, tanh, sigmoid, silu) of the
/// f32 value `x`.
Value buildActivation(OpBuilder &b, Location loc, Operation *op, Value x);

} // namespace mlir::ndr

#endif // NDR_CODEGEN_ACTIVATIONS_H
