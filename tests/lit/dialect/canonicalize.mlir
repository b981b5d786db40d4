// RUN: ndr-opt %s -canonicalize -cse | FileCheck %s

// Folders and side effects: what generic cleanups may and may not do to ndr ops.

// p = 0 drops nothing and scales nothing, in either mode.
// CHECK-LABEL: func @dropout_p_zero_folds
// CHECK-NOT: ndr.dropout
// CHECK-NOT: ndr.drop_connect
// CHECK: return %arg0, %arg1
func.func @dropout_p_zero_folds(%x: tensor<4xf32>, %w: tensor<2x4xf32>) -> (tensor<4xf32>, tensor<2x4xf32>) {
  %0 = ndr.dropout %x, p = 0.0, stream = 0 : tensor<4xf32>
  %1 = ndr.drop_connect %w, p = 0.0, stream = 1 : tensor<2x4xf32>
  return %0, %1 : tensor<4xf32>, tensor<2x4xf32>
}

// p = 1 is zeros in train mode but the identity in infer mode: no fold.
// CHECK-LABEL: func @dropout_p_one_kept
// CHECK: ndr.dropout %arg0, p = 1.000000e+00
func.func @dropout_p_one_kept(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = ndr.dropout %x, p = 1.0, stream = 0 : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// Dropout only reads the seed: unused, it is dead; the same stream twice is
// the same mask, so CSE may merge; different streams are different masks.
// CHECK-LABEL: func @dropout_effects
// CHECK: %[[A:.*]] = ndr.dropout %arg0, p = 5.000000e-01, stream = 1
// CHECK: %[[B:.*]] = ndr.dropout %arg0, p = 5.000000e-01, stream = 2
// CHECK-NOT: ndr.dropout
// CHECK: return %[[A]], %[[A]], %[[B]]
func.func @dropout_effects(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %dead = ndr.dropout %x, p = 0.5, stream = 0 : tensor<4xf32>
  %0 = ndr.dropout %x, p = 0.5, stream = 1 : tensor<4xf32>
  %1 = ndr.dropout %x, p = 0.5, stream = 1 : tensor<4xf32>
  %2 = ndr.dropout %x, p = 0.5, stream = 2 : tensor<4xf32>
  return %0, %1, %2 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// batch_norm updates its running statistics in train mode: never dead, never
// merged. Pure ops are both.
// CHECK-LABEL: func @batch_norm_effects
// CHECK-COUNT-2: ndr.batch_norm
// CHECK-NOT: ndr.batch_norm
// CHECK: ndr.layer_norm
// CHECK-NOT: ndr.layer_norm
// CHECK-NOT: ndr.relu
func.func @batch_norm_effects(%x: tensor<4x8xf32>, %m: tensor<8xf32>, %v: tensor<8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %0 = ndr.batch_norm %x stats(%m, %v : tensor<8xf32>) : tensor<4x8xf32>
  %1 = ndr.batch_norm %x stats(%m, %v : tensor<8xf32>) : tensor<4x8xf32>
  %2 = ndr.layer_norm %x : tensor<4x8xf32>
  %3 = ndr.layer_norm %x : tensor<4x8xf32>
  %4 = ndr.relu %x : tensor<4x8xf32>
  return %2, %3 : tensor<4x8xf32>, tensor<4x8xf32>
}

// A fused op with dropout reads the seed; without, it is pure.
// CHECK-LABEL: func @fused_effects
// CHECK-COUNT-1: ndr.fused_add_norm
// CHECK-NOT: ndr.fused_add_norm
func.func @fused_effects(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = ndr.fused_add_norm layer %x dropout(p = 0.5, stream = 0) eps = 1.0e-5 : tensor<4x8xf32>
  %1 = ndr.fused_add_norm layer %x eps = 1.0e-5 : tensor<4x8xf32>
  %2 = ndr.fused_add_norm layer %x dropout(p = 0.5, stream = 0) eps = 1.0e-5 : tensor<4x8xf32>
  return %2 : tensor<4x8xf32>
}
