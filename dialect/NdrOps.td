//===- NdrOps.td - ops of the ndr dialect ------------------*- tablegen -*-===//

#ifndef NDR_OPS_TD
#define NDR_OPS_TD

include "dialect/NdrDialect.td"
include "dialect/NdrEnums.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Types, attributes and resources
//===----------------------------------------------------------------------===//

// Every dimension at least 1 and at most 2^47 bytes in all (dialect/Shapes.h,
// the rule the front end checks too).
def Ndr_Tensor : Type<
    And<[StaticShapeTensorOf<[F32, F16, BF16]>.predicate,
         CPred<"::mlir::ndr::isValidTensorType($_self)">]>,
    "static-shape tensor of f32, f16 or bf16 values, every dimension at least "
    "1, at most 2^47 bytes", "::mlir::RankedTensorType">;


// The 64-bit seed of a run, read by every op that draws random numbers.
def Ndr_RngSeed : Resource<"::mlir::ndr::RngSeedResource">;
// The running statistics of batch_norm, updated in place in train mode.
def Ndr_RunningStats : Resource<"::mlir::ndr::RunningStatsResource">;

//===----------------------------------------------------------------------===//
// Dropout
//===----------------------------------------------------------------------===//

class Ndr_DropoutLikeOp<string mnemonic, string what>
    : Ndr_Op<mnemonic, [SameOperandsAndResultType, MemoryEffects<[MemRead<Ndr_RngSeed>]>]> {
  let arguments = (ins Ndr_Tensor:$input, F32Attr:$p, UI32Attr:$stream);
  let results = (outs Ndr_Tensor:$result);
  let assemblyFormat = [{
    $input `,` `p` `=` $p `,` `stream` `=` $stream attr-dict `:` type($input)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
  let description = !strconcat([{
    Inverted dropout with drop probability `p` (0 <= p <= 1) applied to }], what, [{.
    In train mode `result = input * keep / (1 - p)`, where `keep` is drawn
    from Philox4x32-10 keyed by the run's seed, with counter stream `stream`
    (DESIGN.md section 5): an element is dropped iff its 16-bit draw is below
    `lround(p * 65536)`. `p = 1` gives zeros. In infer mode the op is the
    identity. `p = 0` is the identity in both modes and folds away.

    `stream` is unique per random op of a model; passes keep it, so fusion
    never changes a mask.

    Example:

    ```mlir
    %y = ndr.}], mnemonic, [{ %x, p = 1.000000e-01, stream = 0 : tensor<8x768xf32>
    ```
  }]);
}

def Ndr_DropoutOp : Ndr_DropoutLikeOp<"dropout", "an activation"> {
  let summary = "inverted dropout";
}

def Ndr_DropConnectOp : Ndr_DropoutLikeOp<"drop_connect",
    "a weight tensor (DropConnect, Wan et al. 2013)"> {
  let summary = "DropConnect: inverted dropout of a weight";
}

//===----------------------------------------------------------------------===//
// Elementwise arithmetic
//===----------------------------------------------------------------------===//

class Ndr_BroadcastBinaryOp<string mnemonic, string what>
    : Ndr_Op<mnemonic, [Pure, Commutative, InferTypeOpAdaptor]> {
  let summary = "elementwise " # what # " with broadcasting";
  let description = [{
    Elementwise }] # what # [{ of two tensors of one element type. Shapes
    broadcast as in NumPy and PyTorch: aligned at the trailing dimension, each
    pair of sizes equal or one of them 1. The result type is inferred.

    Example (a bias over the rows):

    ```mlir
    %y = ndr.}] # mnemonic # [{ %x, %bias : tensor<8x768xf32>, tensor<768xf32>
    ```
  }];
  let arguments = (ins Ndr_Tensor:$lhs, Ndr_Tensor:$rhs);
  let results = (outs Ndr_Tensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs)";
}

def Ndr_AddOp : Ndr_BroadcastBinaryOp<"add", "addition">;
def Ndr_MulOp : Ndr_BroadcastBinaryOp<"mul", "multiplication">;

//===----------------------------------------------------------------------===//
// Linear
//===----------------------------------------------------------------------===//

def Ndr_LinearOp : Ndr_Op<"linear", [Pure, InferTypeOpAdaptor]> {
  let summary = "affine map of the last dimension: x W^T + b";
  let description = [{
    `result = input * weight^T + bias` over the last dimension of `input`, as
    PyTorch's `F.linear`: `weight` is `[out, in]`, `bias` (optional) is
    `[out]`, `input` is `[..., in]` and the result `[..., out]`.

    Example:

    ```mlir
    %h = ndr.linear %x, %w, %b : tensor<8x768xf32>, tensor<3072x768xf32>, tensor<3072xf32>
    ```
  }];
  let arguments = (ins Ndr_Tensor:$input, Ndr_Tensor:$weight,
                       Optional<Ndr_Tensor>:$bias);
  let results = (outs Ndr_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` type($input) `,` type($weight)
    (`,` type($bias)^)?
  }];
  let extraClassDeclaration = [{
    int64_t getInFeatures() { return getWeight().getType().getDimSize(1); }
    int64_t getOutFeatures() { return getWeight().getType().getDimSize(0); }
  }];
}

//===----------------------------------------------------------------------===//
// Activations
//===----------------------------------------------------------------------===//

class Ndr_ActivationOp<string mnemonic, string formula>
    : Ndr_Op<mnemonic, [Pure, SameOperandsAndResultType]> {
  let summary = mnemonic # " activation";
  let description = "Elementwise `" # formula # "`, as PyTorch.";
  let arguments = (ins Ndr_Tensor:$input);
  let results = (outs Ndr_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Ndr_ReluOp : Ndr_ActivationOp<"relu", "max(x, 0)">;
def Ndr_TanhOp : Ndr_ActivationOp<"tanh", "tanh(x)">;
def Ndr_SigmoidOp : Ndr_ActivationOp<"sigmoid", "1 / (1 + exp(-x))">;
def Ndr_SiluOp : Ndr_ActivationOp<"silu", "x * sigmoid(x)">;

def Ndr_GeluOp : Ndr_Op<"gelu", [Pure, SameOperandsAndResultType]> {
  let summary = "gelu activation";
  let description = [{
    `x * Phi(x)` with the exact Gaussian CDF (`approximate = none`, the
    default) or `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`
    (`approximate = tanh`), as PyTorch's `F.gelu`.

    ```mlir
    %y = ndr.gelu %x approximate = tanh : tensor<8x3072xf32>
    ```
  }];
  let arguments = (ins Ndr_Tensor:$input,
      DefaultValuedAttr<Ndr_GeluApproximate, "::mlir::ndr::GeluApproximate::None">:$approximate);
  let results = (outs Ndr_Tensor:$result);
  let assemblyFormat = [{
    $input (`approximate` `=` $approximate^)? attr-dict `:` type($input)
  }];
}

//===----------------------------------------------------------------------===//
// Norms
//===----------------------------------------------------------------------===//

def Ndr_LayerNormOp : Ndr_Op<"layer_norm", [Pure,
    AllTypesMatch<["input", "result"]>,
    DeclareOpInterfaceMethods<InferTypeOpInterface>, AttrSizedOperandSegments]> {
  let summary = "layer normalization";
  let description = [{
    `result = (x - mean) / sqrt(var + eps) * gamma + beta`, where mean and the
    biased variance are taken over each row: the trailing `normalized_rank`
    dimensions (default 1). `gamma` and `beta` are optional and, when present,
    have exactly the row's dimensions. `eps` defaults to 1e-5.

    ```mlir
    %y = ndr.layer_norm %x gamma(%g : tensor<768xf32>) beta(%b : tensor<768xf32>) : tensor<8x768xf32>
    ```
  }];
  let arguments = (ins Ndr_Tensor:$input, Optional<Ndr_Tensor>:$gamma,
      Optional<Ndr_Tensor>:$beta,
      DefaultValuedAttr<F32Attr, "1e-5f">:$eps,
      DefaultValuedAttr<I64Attr, "1">:$normalized_rank);
  let results = (outs Ndr_Tensor:$result);
  let assemblyFormat = [{
    $input (`gamma` `(` $gamma^ `:` type($gamma) `)`)?
    (`beta` `(` $beta^ `:` type($beta) `)`)?
    (`eps` `=` $eps^)? (`normalized_rank` `=` $normalized_rank^)?
    attr-dict `:` type($input)
  }];
  let builders = [
    OpBuilder<(ins "Value":$input, "Value":$gamma, "Value":$beta,
                   CArg<"float", "1e-5f">:$eps,
                   CArg<"int64_t", "1">:$normalizedRank), [{
      build($_builder, $_state, input, gamma, beta,
            $_builder.getF32FloatAttr(eps),
            $_builder.getI64IntegerAttr(normalizedRank));
    }]>
  ];
  let hasVerifier = 1;
}

def Ndr_RmsNormOp : Ndr_Op<"rms_norm", [Pure,
    AllTypesMatch<["input", "result"]>,
    DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "root-mean-square normalization";
  let description = [{
    `result = x / sqrt(mean(x^2) + eps) * gamma` over each row: the trailing
    `normalized_rank` dimensions (default 1). `gamma` is optional and has the
    row's dimensions. `eps` defaults to 1e-6.

    ```mlir
    %y = ndr.rms_norm %x gamma(%g : tensor<4096xf32>) : tensor<2x4096xf32>
    ```
  }];
  let arguments = (ins Ndr_Tensor:$input, Optional<Ndr_Tensor>:$gamma,
      DefaultValuedAttr<F32Attr, "1e-6f">:$eps,
      DefaultValuedAttr<I64Attr, "1">:$normalized_rank);
  let results = (outs Ndr_Tensor:$result);
  let assemblyFormat = [{
    $input (`gamma` `(` $gamma^ `:` type($gamma) `)`)?
    (`eps` `=` $eps^)? (`normalized_rank` `=` $normalized_rank^)?
    attr-dict `:` type($input)
  }];
  let builders = [
    OpBuilder<(ins "Value":$input, "Value":$gamma,
                   CArg<"float", "1e-6f">:$eps,
                   CArg<"int64_t", "1">:$normalizedRank), [{
      build($_builder, $_state, input, gamma, $_builder.getF32FloatAttr(eps),
            $_builder.getI64IntegerAttr(normalizedRank));
    }]>
  ];
  let hasVerifier = 1;
}

def Ndr_BatchNormOp : Ndr_Op<"batch_norm", [
    AllTypesMatch<["input", "result"]>,
    DeclareOpInterfaceMethods<InferTypeOpInterface>,
    AllTypesMatch<["running_mean", "running_var"]>,
    AttrSizedOperandSegments,
    MemoryEffects<[MemRead<Ndr_RunningStats>, MemWrite<Ndr_RunningStats>]>]> {
  let summary = "batch normalization";
  let description = [{
    Normalizes each channel `c` along `axis` (default 1, PyTorch's
    `[N, C, ...]`; -1 for channels last), as PyTorch's `F.batch_norm`:
    `result = (x - mean_c) / sqrt(var_c + eps) * gamma_c + beta_c`.

    In infer mode mean and var are `running_mean` and `running_var`. In train
    mode they are the batch statistics (biased variance), and the running
    statistics are updated in place:
    `running = (1 - momentum) * running + momentum * batch`, with the unbiased
    batch variance. Because that update is a side effect of train mode, the op
    reads and writes the running statistics in either mode.

    `running_mean`, `running_var`, `gamma` and `beta` are `[C]`; `gamma` and
    `beta` are optional. `eps` defaults to 1e-5 and `momentum` to 0.1.

    ```mlir
    %y = ndr.batch_norm %x stats(%mean, %var : tensor<64xf32>) gamma(%g : tensor<64xf32>) beta(%b : tensor<64xf32>) : tensor<32x64xf32>
    ```
  }];
  let arguments = (ins Ndr_Tensor:$input, Ndr_Tensor:$running_mean,
      Ndr_Tensor:$running_var, Optional<Ndr_Tensor>:$gamma,
      Optional<Ndr_Tensor>:$beta,
      DefaultValuedAttr<I64Attr, "1">:$axis,
      DefaultValuedAttr<F32Attr, "1e-5f">:$eps,
      DefaultValuedAttr<F32Attr, "0.1f">:$momentum);
  let results = (outs Ndr_Tensor:$result);
  let assemblyFormat = [{
    $input `stats` `(` $running_mean `,` $running_var `:` type($running_mean) `)`
    (`gamma` `(` $gamma^ `:` type($gamma) `)`)?
    (`beta` `(` $beta^ `:` type($beta) `)`)?
    (`axis` `=` $axis^)? (`eps` `=` $eps^)? (`momentum` `=` $momentum^)?
    attr-dict `:` type($input)
  }];
  let builders = [
    OpBuilder<(ins "Value":$input, "Value":$runningMean, "Value":$runningVar,
                   "Value":$gamma, "Value":$beta, CArg<"int64_t", "1">:$axis,
                   CArg<"float", "1e-5f">:$eps,
                   CArg<"float", "0.1f">:$momentum), [{
      build($_builder, $_state, input, runningMean, runningVar, gamma, beta,
            $_builder.getI64IntegerAttr(axis), $_builder.getF32FloatAttr(eps),
            $_builder.getF32FloatAttr(momentum));
    }]>
  ];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The channel dimension, `axis` made non-negative.
    int64_t getChannelDim() {
      int64_t axis = getAxis();
      return axis < 0 ? axis + getInput().getType().getRank() : axis;
    }
    int64_t getNumChannels() {
      return getInput().getType().getDimSize(getChannelDim());
    }
  }];
}

def Ndr_FusedAddNormOp : Ndr_Op<"fused_add_norm", [
    AllTypesMatch<["input", "result"]>, AttrSizedOperandSegments,
    DeclareOpInterfaceMethods<MemoryEffectsOpInterface>]> {
  let summary = "residual add, bias and dropout fused into a norm";
  let description = [{
    `sum = residual + dropout(input + bias)`, then `result = Norm(sum)`, where
    Norm is `layer` (with optional `gamma` and `beta`) or `rms` (optional
    `gamma`). `bias`, `residual` and dropout are optional; `bias` broadcasts
    over the leading dimensions of `input` (its shape is a suffix of the
    normalized row's, so it lies within one row), `residual` has the input's
    type. Dropout (with `p` and `stream`)
    draws its mask over the flat index of `input + bias`, exactly as
    `ndr.dropout` on that tensor would, and is the identity in infer mode.

    When the op has a second result, it is `sum` (pre-norm stacks, where the
    sum feeds the next block). Produced by `ndr-fuse-add-norm`; also legal to
    write by hand.

    ```mlir
    %y, %s = ndr.fused_add_norm layer %x bias(%b : tensor<768xf32>) residual(%r : tensor<8x768xf32>)
        dropout(p = 1.000000e-01, stream = 0) gamma(%g : tensor<768xf32>)
        : tensor<8x768xf32>, tensor<8x768xf32>
    ```
  }];
  let arguments = (ins Ndr_NormKind:$kind, Ndr_Tensor:$input,
      Optional<Ndr_Tensor>:$bias, Optional<Ndr_Tensor>:$residual,
      Optional<Ndr_Tensor>:$gamma, Optional<Ndr_Tensor>:$beta,
      OptionalAttr<F32Attr>:$p, OptionalAttr<UI32Attr>:$stream,
      F32Attr:$eps, DefaultValuedAttr<I64Attr, "1">:$normalized_rank);
  let results = (outs Ndr_Tensor:$result, Optional<Ndr_Tensor>:$sum);
  let assemblyFormat = [{
    $kind $input (`bias` `(` $bias^ `:` type($bias) `)`)?
    (`residual` `(` $residual^ `:` type($residual) `)`)?
    (`dropout` `(` `p` `=` $p^ `,` `stream` `=` $stream `)`)?
    (`gamma` `(` $gamma^ `:` type($gamma) `)`)?
    (`beta` `(` $beta^ `:` type($beta) `)`)?
    `eps` `=` $eps (`normalized_rank` `=` $normalized_rank^)?
    attr-dict `:` type($input) (`,` type($sum)^)?
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    bool hasDropout() { return getP().has_value(); }
  }];
}

//===----------------------------------------------------------------------===//
// Fusion groups
//===----------------------------------------------------------------------===//

def Ndr_FusionOp : Ndr_Op<"fusion", [IsolatedFromAbove, RecursiveMemoryEffects,
    SingleBlock]> {
  let summary = "a group of ops compiled into one loop nest";
  let description = [{
    Holds elementwise ops (`add`, `mul`, the activations, `dropout`,
    `drop_connect`) around at most one row reduction (`layer_norm`,
    `rms_norm`, `fused_add_norm`), all with the result shape of the group.
    The backends compile each group to one kernel: one loop over the group's
    rows, where the elementwise ops before the reduction are its prologue
    (evaluated once per element, in the sweep that gathers the statistics)
    and those after it its epilogue. The block's arguments are the group's
    operands, read through broadcasting; `ndr.yield` names its results, every
    value of the group used outside it. Formed by `ndr-fuse-elementwise`.

    ```mlir
    %y = ndr.fusion ins(%x, %r, %bias, %g : tensor<8x768xf32>, tensor<8x768xf32>,
                                            tensor<768xf32>, tensor<768xf32>)
        -> tensor<8x768xf32> {
    ^bb0(%a: tensor<8x768xf32>, %b: tensor<8x768xf32>, %c: tensor<768xf32>, %d: tensor<768xf32>):
      %0 = ndr.add %a, %b : tensor<8x768xf32>, tensor<8x768xf32>
      %1 = ndr.add %0, %c : tensor<8x768xf32>, tensor<768xf32>
      %2 = ndr.layer_norm %1 gamma(%d : tensor<768xf32>) : tensor<8x768xf32>
      ndr.yield %2 : tensor<8x768xf32>
    }
    ```
  }];
  let arguments = (ins Variadic<Ndr_Tensor>:$inputs);
  let results = (outs Variadic<Ndr_Tensor>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    `ins` `(` $inputs `:` type($inputs) `)` `->` type($results) attr-dict-with-keyword
    $body
  }];
  let hasVerifier = 1;
  let hasRegionVerifier = 1;
  let extraClassDeclaration = [{
    /// The row reduction of the group, or null.
    ::mlir::Operation *getRoot();
    /// The group's iteration shape: the shape of each of its ops' results.
    ::llvm::ArrayRef<int64_t> getShape();
  }];
}

def Ndr_YieldOp : Ndr_Op<"yield", [Pure, Terminator, HasParent<"FusionOp">]> {
  let summary = "the results of an ndr.fusion group";
  let arguments = (ins Variadic<Ndr_Tensor>:$values);
  let assemblyFormat = "$values attr-dict `:` type($values)";
}

#endif // NDR_OPS_TD
