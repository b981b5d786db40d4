//===- Activations.h - the activations as f32 arithmetic --------*- C++ -*-===//
//
// PyTorch's formulas for the activations, on f32 scalars or vectors alike,
// written so that they do not cancel. erfc and exp are NDR's own polynomials
// (no libm or libdevice call); math.tanh becomes MLIR's polynomial
// approximation in the CPU pipeline.
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
