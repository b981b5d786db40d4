//===- NdrDialect.td - the ndr dialect ---------------------*- tablegen -*-===//
//
// Normalization, Dropout and Residual connections, with the linear layers and
// activations around them.
//
//===----------------------------------------------------------------------===//

#ifndef NDR_DIALECT_TD
#define NDR_DIALECT_TD

include "mlir/IR/OpBase.td"

def Ndr_Dialect : Dialect {
  let name = "ndr";
  let cppNamespace = "::mlir::ndr";
  // Model attributes on functions, their arguments and results (ModelAttrs.h).
  let hasOperationAttrVerify = 1;
  let hasRegionArgAttrVerify = 1;
  let hasRegionResultAttrVerify = 1;
  let summary = "Normalization, dropout and residual connections of neural networks";
  let description = [{
    The `ndr` dialect models the sublayers that every neural network repeats:
    normalization (LayerNorm, RMSNorm, BatchNorm), dropout (inverted dropout,
    DropConnect) and residual connections, with the linear layers and
    activations around them. Operands and results are statically shaped
    tensors of `f32`, `f16` or `bf16`, row-major; all arithmetic of norms,
    reductions and random numbers is done in `f32` and rounded once on store.

    Ops are independent of the mode a model is compiled for: `infer` or
    `train` is an option of the passes and of the lowering. Where an op's
    meaning depends on the mode (dropout, batch_norm) its side effects are the
    union of both modes, so that no mode-independent transformation can break
    either.
  }];
}

class Ndr_Op<string mnemonic, list<Trait> traits = []>
    : Op<Ndr_Dialect, mnemonic, traits>;

#endif // NDR_DIALECT_TD
