//===- Passes.td - passes over the ndr dialect -------------*- tablegen -*-===//

#ifndef NDR_PASSES_TD
#define NDR_PASSES_TD

include "mlir/Pass/PassBase.td"

// The mode a model is compiled for, as a pass option.
class ModeOption<string what> : Option<"mode", "mode", "::mlir::ndr::Mode",
    "::mlir::ndr::Mode::Infer", what, [{::mlir::ndr::modeValues()}]>;

def RemarksOption : Option<"remarks", "remarks", "bool", "false",
    "emit a remark at each candidate that does not fuse or fold, saying why">;

def FoldDropout : Pass<"ndr-fold-dropout"> {
  let summary = "Remove dropout and drop_connect at inference";
  let description = [{
    In infer mode `ndr.dropout` and `ndr.drop_connect` are the identity: each
    is replaced by its input. In train mode the pass changes nothing.

    ```mlir
    %d = ndr.dropout %x, p = 1.000000e-01, stream = 0 : tensor<8x768xf32>
    %y = ndr.relu %d : tensor<8x768xf32>
    // becomes, with mode=infer
    %y = ndr.relu %x : tensor<8x768xf32>
    ```
  }];
  let options = [ModeOption<"fold only in infer mode">];
}

def FuseAddNorm : Pass<"ndr-fuse-add-norm"> {
  let summary = "Fuse a residual add (with bias and dropout) into the norm after it";
  let description = [{
    Rewrites `layer_norm` and `rms_norm` of an `ndr.add` into one
    `ndr.fused_add_norm` computing `residual + dropout(x + bias)` and the norm
    in one pass over each row:

    - `Norm(a + b)`: `a` becomes the residual, `b` the input (the add is exact
      in either order, so operand order does not matter);
    - `Norm(a + dropout(b))`, either operand order: the dropout's `p` and
      `stream` move into the fused op, so the mask is unchanged;
    - `Norm(a + (b + bias))`, either operand order, where `bias` is a suffix of
      the normalized row (it broadcasts over the rows), also under dropout:
      `Norm(a + dropout(b + bias))`;
    - the pre-norm form, where the sum is also used after the norm: the fused
      op returns the sum as its second result and those uses take it.

    A dropout or bias add is absorbed only when the sum is its only user. The
    pass does not fire when the residual add broadcasts (its operands and
    result differ in type), when a bias spans more than one normalized row,
    when element types differ, or, in the pre-norm form, when a user of the
    sum comes before the norm's gamma/beta are defined. With `remarks=true`
    it says at each norm left unfused why.

    ```mlir
    %d = ndr.dropout %h, p = 1.000000e-01, stream = 0 : tensor<8x768xf32>
    %s = ndr.add %x, %d : tensor<8x768xf32>, tensor<8x768xf32>
    %y = ndr.layer_norm %s gamma(%g : tensor<768xf32>) : tensor<8x768xf32>
    // becomes
    %y = ndr.fused_add_norm layer %h residual(%x : tensor<8x768xf32>)
        dropout(p = 1.000000e-01, stream = 0) gamma(%g : tensor<768xf32>)
        eps = 9.99999974E-6 : tensor<8x768xf32>
    ```
  }];
  let options = [RemarksOption];
}

def FoldBatchNorm : Pass<"ndr-fold-batch-norm"> {
  let summary = "Fold an inference batch_norm into the linear before it";
  let description = [{
    In infer mode `batch_norm(linear(x, W, b))`, with the channels on the
    linear's output features (the last dimension), becomes
    `linear(x, W', b')` with, per output feature c,
    `s = gamma / sqrt(var + eps)`, `W'[c] = W[c] * s[c]` and
    `b' = (b - mean) * s + beta` (a missing gamma is 1, a missing b or beta 0).
    The new weights are computed in f32 by `linalg.generic` ops on the
    parameters, which `ndr-hoist-params` moves into the init function; when
    every parameter involved is a constant, they are folded into constants.

    It does not fire in train mode (batch statistics), when the linear result
    has other users, or when the batch_norm's channels are another dimension.

    ```mlir
    %h = ndr.linear %x, %w, %b : tensor<32x16xf32>, tensor<64x16xf32>, tensor<64xf32>
    %y = ndr.batch_norm %h stats(%m, %v : tensor<64xf32>) : tensor<32x64xf32>
    // becomes
    %w2 = linalg.generic ... %w, %v ...  // W * 1 / sqrt(v + eps), per row
    %b2 = linalg.generic ... %b, %m, %v ...
    %y = ndr.linear %x, %w2, %b2 : ...
    ```
  }];
  let options = [ModeOption<"fold only in infer mode">, RemarksOption];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::tensor::TensorDialect"];
}

def DropRedundantBias : Pass<"ndr-drop-redundant-bias"> {
  let summary = "Remove a linear bias that a batch_norm's mean subtraction cancels";
  let description = [{
    A `linear` bias whose result feeds only a `batch_norm` over the same
    channels (the linear's output features) is removed. At inference the
    running mean was learned with the bias included, so it is folded into
    the mean: `mean' = mean - b` (a parameter-only `linalg.generic`, hoisted by
    `ndr-hoist-params`, or a constant). In train mode the batch mean cancels
    the bias in the output, but the running-mean update would change by the
    bias, so the pass does not fire there (with `remarks=true` it says so).

    ```mlir
    %h = ndr.linear %x, %w, %b : tensor<32x16xf32>, tensor<64x16xf32>, tensor<64xf32>
    %y = ndr.batch_norm %h stats(%m, %v : tensor<64xf32>) : tensor<32x64xf32>
    // becomes (infer mode)
    %m2 = linalg.generic ... %m - %b ...
    %h = ndr.linear %x, %w : tensor<32x16xf32>, tensor<64x16xf32>
    %y = ndr.batch_norm %h stats(%m2, %v : tensor<64xf32>) : tensor<32x64xf32>
    ```
  }];
  let options = [ModeOption<"the running mean is compensated in infer mode; train mode does not fire">,
                 RemarksOption];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

def HoistParams : Pass<"ndr-hoist-params", "::mlir::ModuleOp"> {
  let summary = "Move computation on parameters into the model's init function";
  let description = [{
    In each model (`ndr.model`), side-effect-free computation whose operands
    are only parameters (`ndr.param` arguments), derived values or constants
    runs once at load instead of on every call. It moves into the init
    function `@<model>_init` (named by `ndr.param_init` on the model), which
    takes every parameter of the model in order and returns the derived
    values; the model takes each derived value as a new argument marked
    `ndr.derived = "dN"`. Running the pass again extends the same init
    function. Random ops are never hoisted: they read the run's seed.
  }];
}

def CheckVarianceShift : Pass<"ndr-check-variance-shift"> {
  let summary = "Warn where dropout feeds a batch_norm (variance shift)";
  let description = [{
    Dropout scales kept activations by 1/(1-p) in training, so for
    zero-mean inputs the variance a later `batch_norm` sees at inference is
    (1-p) times the one its running statistics learned (Li et al., "Under-
    standing the Disharmony between Dropout and Batch Normalization by
    Variance Shift", CVPR 2019). The pass warns at each `dropout` or
    `drop_connect` whose output reaches a `batch_norm`, with a note at the
    batch_norm, naming p and the factor, and suggests moving dropout after
    the last batch_norm.

    The rule: the chain is followed through every user that carries the
    shifted variance forward: `add`, `mul`, the activations, other dropouts,
    and `linear` (through its input, or its weight for `drop_connect`). It
    stops at `layer_norm`, `rms_norm` and `fused_add_norm`, which
    re-standardize every row, and at the first `batch_norm` reached, which is
    where the warning points; a second batch_norm behind it is not reported.
  }];
}

def DecomposeBatchNorm : Pass<"ndr-decompose-batch-norm"> {
  let summary = "Inference batch_norm as a per-channel scale and shift";
  let description = [{
    In infer mode `batch_norm` is elementwise: with per-channel constants
    `scale = gamma / sqrt(var + eps)` and `shift = beta`, it is
    `(x + (-mean)) * scale + shift`. The constants are computed by
    `linalg.generic`s on the parameters (so `ndr-hoist-params` moves them to
    load time) and shaped `[C, 1, ...]` to broadcast over the dimensions after
    the channel; the three `ndr.add`/`ndr.mul` ops then fuse with whatever
    surrounds them. Subtracting the mean first keeps channels with a large
    mean as accurate as the original formula. Train mode does not fire (the
    statistics are the batch's).

    ```mlir
    %y = ndr.batch_norm %x stats(%m, %v : tensor<64xf32>) gamma(%g : tensor<64xf32>) : tensor<32x64xf32>
    // becomes, with mode=infer
    %nm = linalg.generic ... ins(%m ...)          // -mean
    %s = linalg.generic ... ins(%v, %g ...)       // gamma / sqrt(var + eps)
    %0 = ndr.add %x, %nm : tensor<32x64xf32>, tensor<64xf32>
    %y = ndr.mul %0, %s : tensor<32x64xf32>, tensor<64xf32>
    ```
  }];
  let options = [ModeOption<"decompose only in infer mode">];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::tensor::TensorDialect"];
}

def FuseElementwise : Pass<"ndr-fuse-elementwise"> {
  let summary = "Group elementwise ops around the norms into ndr.fusion ops";
  let description = [{
    Forms the groups that the backends compile to one kernel each
    (`ndr.fusion`), following the rules of TVM, IREE and Inductor:

    - each norm (`layer_norm`, `rms_norm`, `fused_add_norm`) roots a group;
    - its prologue grows backwards over elementwise producers (add, mul,
      activations, dropout) of the group's shape, whose other operands
      broadcast into the norm's rows without varying along part of a row and
      across rows at once;
    - its epilogue grows forwards over elementwise consumers of the same kind;
    - a value of the group used outside it becomes a result of the group
      (written once, never recomputed by another kernel), provided every such
      use comes after the group's last op; otherwise the op stays out;
    - two norms never share a group;
    - elementwise ops left over form groups of their own, connected through
      values of one shape;
    - an op whose result shape is smaller than its consumer's (a broadcast
      operand) stays out of that group: it would be recomputed per element.

    Ops already inside an `ndr.fusion` are left alone, so the pass is
    idempotent. With `remarks=true` it says at each producer or consumer of a
    norm that did not join, why.

    ```mlir
    %0 = ndr.add %x, %r : tensor<8x768xf32>, tensor<8x768xf32>
    %1 = ndr.add %0, %bias : tensor<8x768xf32>, tensor<768xf32>
    %y = ndr.layer_norm %1 : tensor<8x768xf32>
    // becomes
    %y = ndr.fusion ins(%x, %r, %bias : ...) -> tensor<8x768xf32> {
    ^bb0(%a: tensor<8x768xf32>, %b: tensor<8x768xf32>, %c: tensor<768xf32>):
      %0 = ndr.add %a, %b : tensor<8x768xf32>, tensor<8x768xf32>
      %1 = ndr.add %0, %c : tensor<8x768xf32>, tensor<768xf32>
      %2 = ndr.layer_norm %1 : tensor<8x768xf32>
      ndr.yield %2 : tensor<8x768xf32>
    }
    ```
  }];
  let options = [RemarksOption];
}

#endif // NDR_PASSES_TD
