// RUN: ndr-opt %s --split-input-file --ndr-decompose-train-batch-norm=mode=train -verify-diagnostics

// The running statistics are updated in place: they must be two distinct
// function arguments, not values computed in the function.
func.func @computed_stats(%x: tensor<4x3xf32>, %m: tensor<3xf32>, %v: tensor<3xf32>) -> tensor<4x3xf32> {
  %m2 = ndr.add %m, %m : tensor<3xf32>, tensor<3xf32>
  // expected-error @+1 {{'ndr.batch_norm' op in train mode updates its running statistics in place, so they must be two distinct arguments of the function}}
  %0 = ndr.batch_norm %x stats(%m2, %v : tensor<3xf32>) axis = -1 : tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

func.func @same_stats(%x: tensor<4x3xf32>, %s: tensor<3xf32>) -> tensor<4x3xf32> {
  // expected-error @+1 {{'ndr.batch_norm' op in train mode updates its running statistics in place, so they must be two distinct arguments of the function}}
  %0 = ndr.batch_norm %x stats(%s, %s : tensor<3xf32>) axis = -1 : tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}
