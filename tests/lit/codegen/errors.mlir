// RUN: ndr-opt %s --ndr-lower-cpu=mode=train -split-input-file -verify-diagnostics

// Only model functions get the seed that train-mode dropout draws from.
func.func @not_a_model(%x: tensor<8xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{'ndr.dropout' op draws a dropout mask in train mode but its function has no i64 seed argument: only functions marked 'ndr.model' get one (ndr-seed-argument)}}
  %0 = ndr.dropout %x, p = 0.1, stream = 0 : tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

func.func @fused_not_a_model(%x: tensor<2x8xf32>, %r: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{'ndr.fused_add_norm' op draws a dropout mask in train mode}}
  %0 = ndr.fused_add_norm layer %x residual(%r : tensor<2x8xf32>) dropout(p = 0.1, stream = 0) eps = 1.0e-5 : tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

// Train-mode batch_norm writes its running statistics in place: one buffer
// cannot hold both.
func.func @shared_stats(%x: tensor<4x3xf32>, %s: tensor<3xf32>) -> tensor<4x3xf32> attributes {ndr.model} {
  // expected-error @+1 {{'ndr.batch_norm' op in train mode updates its running statistics in place, so they must be two distinct arguments of the function}}
  %0 = ndr.batch_norm %x stats(%s, %s : tensor<3xf32>) axis = -1 : tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

func.func @computed_stats(%x: tensor<4x3xf32>, %m: tensor<3xf32>, %v: tensor<3xf32>) -> tensor<4x3xf32> attributes {ndr.model} {
  %v2 = ndr.add %v, %v : tensor<3xf32>, tensor<3xf32>
  // expected-error @+1 {{'ndr.batch_norm' op in train mode updates its running statistics in place}}
  %0 = ndr.batch_norm %x stats(%m, %v2 : tensor<3xf32>) axis = -1 : tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

// The seed is found by its mark, so a model has no other integer argument.
// expected-error @+1 {{a model's one integer argument is its seed, marked 'ndr.seed'; argument 1 is another}}
func.func @unmarked_integer(%x: tensor<4xf32>, %n: i64) -> tensor<4xf32> attributes {ndr.model} {
  return %x : tensor<4xf32>
}
