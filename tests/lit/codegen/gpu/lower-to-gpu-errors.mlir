// RUN: ndr-opt %s --ndr-lower-to-gpu="mode=train" -split-input-file -verify-diagnostics

// Kernels are launched on the function's stream: without one (the lowering
// runs ndr-stream-argument first), nothing is lowered.
func.func @no_stream(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @below {{'ndr.fusion' op is lowered for CUDA in a function without a stream argument (ndr-stream-argument)}}
  %y = ndr.fusion ins(%x : tensor<4x8xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>):
    %0 = ndr.relu %a : tensor<4x8xf32>
    ndr.yield %0 : tensor<4x8xf32>
  }
  return %y : tensor<4x8xf32>
}

// -----

func.func @no_stream_linear(%x: tensor<4x8xf32>, %w: tensor<2x8xf32>) -> tensor<4x2xf32> {
  // expected-error @below {{'ndr.linear' op is lowered for CUDA in a function without a stream argument (ndr-stream-argument)}}
  %y = ndr.linear %x, %w : tensor<4x8xf32>, tensor<2x8xf32>
  return %y : tensor<4x2xf32>
}

// -----

// Train-mode dropout needs the run's seed, which only models get.
func.func @no_seed(%x: tensor<4x8xf32>, %s: !gpu.async.token {ndr.cuda_stream}) -> tensor<4x8xf32> {
  // expected-error @below {{'ndr.fusion' op draws a dropout mask in train mode but its function has no i64 seed argument: only functions marked 'ndr.model' get one (ndr-seed-argument)}}
  %y = ndr.fusion ins(%x : tensor<4x8xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>):
    %0 = ndr.dropout %a, p = 0.5, stream = 0 : tensor<4x8xf32>
    ndr.yield %0 : tensor<4x8xf32>
  }
  return %y : tensor<4x8xf32>
}

// -----

// The running statistics are updated in place: two arguments of the function.
func.func @stats_not_arguments(%x: tensor<4x3xf32>, %m: tensor<3xf32>, %s: !gpu.async.token {ndr.cuda_stream}) -> tensor<4x3xf32> {
  // expected-error @below {{'ndr.batch_norm' op in train mode updates its running statistics in place, so they must be two distinct arguments of the function}}
  %y = ndr.batch_norm %x stats(%m, %m : tensor<3xf32>) axis = -1 : tensor<4x3xf32>
  return %y : tensor<4x3xf32>
}
