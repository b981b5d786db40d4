// RUN: ndr-opt %s --ndr-drop-redundant-bias | FileCheck %s
// RUN: ndr-opt %s --ndr-drop-redundant-bias --ndr-drop-redundant-bias | FileCheck %s
// RUN: ndr-opt %s --ndr-drop-redundant-bias=mode=train | FileCheck %s --check-prefix=TRAIN
// RUN: ndr-opt %s --ndr-drop-redundant-bias=remarks=true -verify-diagnostics -o /dev/null
// RUN: ndr-opt %s --ndr-drop-redundant-bias="mode=train remarks=true" -o /dev/null 2>&1 | FileCheck %s --check-prefix=TRAIN-REMARK

// A linear bias that feeds only a batch_norm over its output features is
// removed; at inference the running mean, learned with the bias, absorbs it.

// CHECK-LABEL: func @drop
// CHECK: %[[H:.*]] = ndr.linear %arg0, %arg1 : tensor<32x16xf32>, tensor<64x16xf32>
// CHECK: %[[M2:.*]] = linalg.generic {{.*}} ins(%arg3, %arg2 : tensor<64xf32>, tensor<64xf32>)
// CHECK:   arith.subf %in, %in_0
// CHECK: ndr.batch_norm %[[H]] stats(%[[M2]], %arg4 : tensor<64xf32>)
// TRAIN-LABEL: func @drop
// TRAIN: ndr.linear %arg0, %arg1, %arg2
// TRAIN-REMARK: remark: linear bias kept: in train mode it shifts the running_mean update
func.func @drop(%x: tensor<32x16xf32>, %w: tensor<64x16xf32>, %b: tensor<64xf32>, %m: tensor<64xf32>, %v: tensor<64xf32>) -> tensor<32x64xf32> {
  %0 = ndr.linear %x, %w, %b : tensor<32x16xf32>, tensor<64x16xf32>, tensor<64xf32>
  %1 = ndr.batch_norm %0 stats(%m, %v : tensor<64xf32>) : tensor<32x64xf32>
  return %1 : tensor<32x64xf32>
}

// Constant bias and mean fold: [1, 2] - [0.5, 0.5].
// CHECK-LABEL: func @constants
// CHECK: %[[M:.*]] = arith.constant dense<[5.000000e-01, 1.500000e+00]> : tensor<2xf32>
// CHECK: ndr.linear %arg0, %arg1 : tensor<3x2xf32>, tensor<2x2xf32>
// CHECK: ndr.batch_norm %{{.*}} stats(%[[M]], %arg2 : tensor<2xf32>)
func.func @constants(%x: tensor<3x2xf32>, %w: tensor<2x2xf32>, %v: tensor<2xf32>) -> tensor<3x2xf32> {
  %b = arith.constant dense<[0.5, 0.5]> : tensor<2xf32>
  %m = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %0 = ndr.linear %x, %w, %b : tensor<3x2xf32>, tensor<2x2xf32>, tensor<2xf32>
  %1 = ndr.batch_norm %0 stats(%m, %v : tensor<2xf32>) : tensor<3x2xf32>
  return %1 : tensor<3x2xf32>
}

// Must not fire: the biased result is used elsewhere too.
// CHECK-LABEL: func @other_user
// CHECK: ndr.linear %arg0, %arg1, %arg2
func.func @other_user(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>, %b: tensor<8xf32>, %m: tensor<8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %0 = ndr.linear %x, %w, %b : tensor<4x8xf32>, tensor<8x8xf32>, tensor<8xf32>
  // expected-remark @+1 {{linear bias not dropped: the linear result has other users}}
  %1 = ndr.batch_norm %0 stats(%m, %m : tensor<8xf32>) : tensor<4x8xf32>
  return %0, %1 : tensor<4x8xf32>, tensor<4x8xf32>
}

// Must not fire: the batch_norm's channels are another dimension, over which
// the bias is not constant.
// CHECK-LABEL: func @other_channels
// CHECK: ndr.linear %arg0, %arg1, %arg2
func.func @other_channels(%x: tensor<2x3x4xf32>, %w: tensor<8x4xf32>, %b: tensor<8xf32>, %m: tensor<3xf32>) -> tensor<2x3x8xf32> {
  %0 = ndr.linear %x, %w, %b : tensor<2x3x4xf32>, tensor<8x4xf32>, tensor<8xf32>
  // expected-remark @+1 {{linear bias not dropped: its channels (axis 1) are not the linear's output features (the last dimension)}}
  %1 = ndr.batch_norm %0 stats(%m, %m : tensor<3xf32>) : tensor<2x3x8xf32>
  return %1 : tensor<2x3x8xf32>
}

// Nothing to do without a bias.
// CHECK-LABEL: func @no_bias
// CHECK-NOT: linalg.generic
// CHECK: ndr.linear %arg0, %arg1 :
func.func @no_bias(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>, %m: tensor<8xf32>) -> tensor<4x8xf32> {
  %0 = ndr.linear %x, %w : tensor<4x8xf32>, tensor<8x8xf32>
  %1 = ndr.batch_norm %0 stats(%m, %m : tensor<8xf32>) : tensor<4x8xf32>
  return %1 : tensor<4x8xf32>
}
