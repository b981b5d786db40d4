// RUN: ndr-opt %s --ndr-check-variance-shift -verify-diagnostics | FileCheck %s

// Dropout whose output reaches a batch_norm through ops that carry its
// variance is reported: a warning at the dropout, a note at the batch_norm.
// The pass only reports: the IR is unchanged.

// CHECK-LABEL: func @direct
// CHECK: ndr.dropout
// CHECK: ndr.batch_norm
func.func @direct(%x: tensor<4x8xf32>, %m: tensor<8xf32>) -> tensor<4x8xf32> {
  // expected-warning @+1 {{variance shift: ndr.dropout with p = 0.5 feeds a batch_norm; at inference the variance that batch_norm sees shrinks by a factor of 0.5 (1 - p) for zero-mean inputs, so its running statistics no longer match (Li et al., CVPR 2019); move dropout after the last batch_norm}}
  %0 = ndr.dropout %x, p = 0.5, stream = 0 : tensor<4x8xf32>
  // expected-note @+1 {{this batch_norm learned its running statistics with the dropout active}}
  %1 = ndr.batch_norm %0 stats(%m, %m : tensor<8xf32>) : tensor<4x8xf32>
  return %1 : tensor<4x8xf32>
}

// Through elementwise ops and a linear (Dropout -> Linear -> BN, the classic).
func.func @through_chain(%x: tensor<4x8xf32>, %b: tensor<8xf32>, %w: tensor<16x8xf32>, %m: tensor<16xf32>) -> tensor<4x16xf32> {
  // expected-warning @+1 {{ndr.dropout with p = 0.1 feeds a batch_norm; at inference the variance that batch_norm sees shrinks by a factor of 0.9 (1 - p)}}
  %0 = ndr.dropout %x, p = 0.1, stream = 0 : tensor<4x8xf32>
  %1 = ndr.add %0, %b : tensor<4x8xf32>, tensor<8xf32>
  %2 = ndr.gelu %1 : tensor<4x8xf32>
  %3 = ndr.mul %2, %2 : tensor<4x8xf32>, tensor<4x8xf32>
  %4 = ndr.linear %3, %w : tensor<4x8xf32>, tensor<16x8xf32>
  // expected-note @+1 {{this batch_norm learned its running statistics with the dropout active}}
  %5 = ndr.batch_norm %4 stats(%m, %m : tensor<16xf32>) : tensor<4x16xf32>
  return %5 : tensor<4x16xf32>
}

// DropConnect on a weight shifts the linear's output variance too; one
// warning, one note per batch_norm reached.
func.func @drop_connect_two_norms(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>, %m: tensor<8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  // expected-warning @+1 {{ndr.drop_connect with p = 0.25 feeds a batch_norm}}
  %0 = ndr.drop_connect %w, p = 0.25, stream = 0 : tensor<8x8xf32>
  %1 = ndr.linear %x, %0 : tensor<4x8xf32>, tensor<8x8xf32>
  // expected-note @+1 {{this batch_norm learned its running statistics}}
  %2 = ndr.batch_norm %1 stats(%m, %m : tensor<8xf32>) : tensor<4x8xf32>
  %3 = ndr.relu %1 : tensor<4x8xf32>
  // expected-note @+1 {{this batch_norm learned its running statistics}}
  %4 = ndr.batch_norm %3 stats(%m, %m : tensor<8xf32>) axis = -1 : tensor<4x8xf32>
  return %2, %4 : tensor<4x8xf32>, tensor<4x8xf32>
}

// Silent: a layer_norm or rms_norm re-standardizes every row first.
func.func @restandardized(%x: tensor<4x8xf32>, %m: tensor<8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %0 = ndr.dropout %x, p = 0.5, stream = 0 : tensor<4x8xf32>
  %1 = ndr.layer_norm %0 : tensor<4x8xf32>
  %2 = ndr.batch_norm %1 stats(%m, %m : tensor<8xf32>) : tensor<4x8xf32>
  %3 = ndr.rms_norm %0 : tensor<4x8xf32>
  %4 = ndr.batch_norm %3 stats(%m, %m : tensor<8xf32>) : tensor<4x8xf32>
  return %2, %4 : tensor<4x8xf32>, tensor<4x8xf32>
}

// Silent beyond the first batch_norm: dropout -> BN -> linear -> BN warns
// once, at the first.
func.func @batch_norm_in_between(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>, %m: tensor<8xf32>) -> tensor<4x8xf32> {
  // expected-warning @+1 {{ndr.dropout with p = 0.5 feeds a batch_norm}}
  %0 = ndr.dropout %x, p = 0.5, stream = 0 : tensor<4x8xf32>
  // expected-note @+1 {{this batch_norm learned its running statistics}}
  %1 = ndr.batch_norm %0 stats(%m, %m : tensor<8xf32>) : tensor<4x8xf32>
  %2 = ndr.linear %1, %w : tensor<4x8xf32>, tensor<8x8xf32>
  %3 = ndr.batch_norm %2 stats(%m, %m : tensor<8xf32>) : tensor<4x8xf32>
  return %3 : tensor<4x8xf32>
}

// Silent: dropout after the last batch_norm (the suggested order), dropout
// that only feeds a batch_norm's statistics operand, and p = 0.
func.func @silent(%x: tensor<4x8xf32>, %m: tensor<8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) {
  %0 = ndr.batch_norm %x stats(%m, %m : tensor<8xf32>) : tensor<4x8xf32>
  %1 = ndr.dropout %0, p = 0.5, stream = 0 : tensor<4x8xf32>
  %2 = ndr.dropout %m, p = 0.5, stream = 1 : tensor<8xf32>
  %3 = ndr.batch_norm %x stats(%2, %m : tensor<8xf32>) : tensor<4x8xf32>
  %4 = ndr.dropout %x, p = 0.0, stream = 2 : tensor<4x8xf32>
  %5 = ndr.batch_norm %4 stats(%m, %m : tensor<8xf32>) : tensor<4x8xf32>
  return %1, %3, %5 : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
}
