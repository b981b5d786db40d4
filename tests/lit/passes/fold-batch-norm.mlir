// RUN: ndr-opt %s --ndr-fold-batch-norm | FileCheck %s
// RUN: ndr-opt %s --ndr-fold-batch-norm --ndr-fold-batch-norm | FileCheck %s
// RUN: ndr-opt %s --ndr-fold-batch-norm=mode=train | FileCheck %s --check-prefix=TRAIN
// RUN: ndr-opt %s --ndr-fold-batch-norm=remarks=true -verify-diagnostics -o /dev/null

// In infer mode batch_norm(linear(x, W, b)) becomes linear(x, W', b') with
// s = gamma / sqrt(var + eps), W' = W * s per output row and
// b' = (b - mean) * s + beta.

// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[CH:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG: #[[VEC:.*]] = affine_map<(d0) -> (d0)>

// CHECK-LABEL: func @fold
// CHECK-SAME: (%[[X:.*]]: tensor<32x16xf32>, %[[W:.*]]: tensor<64x16xf32>, %[[B:.*]]: tensor<64xf32>, %[[M:.*]]: tensor<64xf32>, %[[V:.*]]: tensor<64xf32>, %[[G:.*]]: tensor<64xf32>, %[[BT:.*]]: tensor<64xf32>)
// CHECK: %[[EPS:.*]] = arith.constant 1.000000e-03 : f32
// CHECK: %[[W2:.*]] = linalg.generic {indexing_maps = [#[[ROW]], #[[CH]], #[[CH]], #[[ROW]]], iterator_types = ["parallel", "parallel"]} ins(%[[W]], %[[V]], %[[G]] : {{.*}})
// CHECK: ^bb0(%[[w:.*]]: f32, %[[v:.*]]: f32, %[[g:.*]]: f32, %{{.*}}: f32):
// CHECK:   %[[VE:.*]] = arith.addf %[[v]], %[[EPS]]
// CHECK:   %[[SD:.*]] = math.sqrt %[[VE]]
// CHECK:   %[[S:.*]] = arith.divf %[[g]], %[[SD]]
// CHECK:   %[[R:.*]] = arith.mulf %[[w]], %[[S]]
// CHECK:   linalg.yield %[[R]]
// CHECK: %[[B2:.*]] = linalg.generic {indexing_maps = [#[[VEC]], #[[VEC]], #[[VEC]], #[[VEC]], #[[VEC]], #[[VEC]]], iterator_types = ["parallel"]} ins(%[[M]], %[[V]], %[[G]], %[[BT]], %[[B]] : {{.*}})
// CHECK: ^bb0(%[[m:.*]]: f32, %[[v2:.*]]: f32, %[[g2:.*]]: f32, %[[bt:.*]]: f32, %[[b:.*]]: f32, %{{.*}}: f32):
// CHECK:   %[[C:.*]] = arith.subf %[[b]], %[[m]]
// CHECK:   %[[S2:.*]] = arith.divf %[[g2]], %{{.*}}
// CHECK:   %[[P:.*]] = arith.mulf %[[C]], %[[S2]]
// CHECK:   %[[Q:.*]] = arith.addf %[[P]], %[[bt]]
// CHECK:   linalg.yield %[[Q]]
// CHECK: %[[Y:.*]] = ndr.linear %[[X]], %[[W2]], %[[B2]]
// CHECK-NOT: ndr.batch_norm
// CHECK: return %[[Y]]
// TRAIN-LABEL: func @fold
// TRAIN: ndr.linear
// TRAIN: ndr.batch_norm
func.func @fold(%x: tensor<32x16xf32>, %w: tensor<64x16xf32>, %b: tensor<64xf32>, %m: tensor<64xf32>, %v: tensor<64xf32>, %g: tensor<64xf32>, %bt: tensor<64xf32>) -> tensor<32x64xf32> {
  %0 = ndr.linear %x, %w, %b : tensor<32x16xf32>, tensor<64x16xf32>, tensor<64xf32>
  %1 = ndr.batch_norm %0 stats(%m, %v : tensor<64xf32>) gamma(%g : tensor<64xf32>) beta(%bt : tensor<64xf32>) eps = 1.0e-3 : tensor<32x64xf32>
  return %1 : tensor<32x64xf32>
}

// Without gamma, beta and bias: s = 1 / sqrt(var + eps), b' = (0 - mean) * s.
// Channels last on a 3-D activation fold too. f16 math is done in f32.
// CHECK-LABEL: func @minimal_f16_channels_last
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK: linalg.generic {{.*}} ins(%arg1, %arg3 : tensor<8x4xf16>, tensor<8xf16>)
// CHECK:   arith.extf
// CHECK:   arith.divf %[[ONE]],
// CHECK:   arith.truncf {{.*}} : f32 to f16
// CHECK: linalg.generic {{.*}} ins(%arg2, %arg3 : tensor<8xf16>, tensor<8xf16>)
// CHECK:   arith.subf %[[ZERO]],
// CHECK: ndr.linear %arg0, %{{.*}}, %{{.*}} : tensor<2x3x4xf16>, tensor<8x4xf16>, tensor<8xf16>
// CHECK-NOT: ndr.batch_norm
func.func @minimal_f16_channels_last(%x: tensor<2x3x4xf16>, %w: tensor<8x4xf16>, %m: tensor<8xf16>, %v: tensor<8xf16>) -> tensor<2x3x8xf16> {
  %0 = ndr.linear %x, %w : tensor<2x3x4xf16>, tensor<8x4xf16>
  %1 = ndr.batch_norm %0 stats(%m, %v : tensor<8xf16>) axis = -1 : tensor<2x3x8xf16>
  return %1 : tensor<2x3x8xf16>
}

// Constant parameters fold to constants: W = [[1, 2], [3, 4]], b = [1, 1],
// mean = [1, 3], var = [3, 15] (eps 1 makes the sqrt 2 and 4), gamma = [2, 8],
// beta = [0.5, 0.5]: s = [1, 2], W' = [[1, 2], [6, 8]], b' = [0.5, -3.5].
// CHECK-LABEL: func @constants
// CHECK-DAG: arith.constant dense<{{\[}}[1.000000e+00, 2.000000e+00], [6.000000e+00, 8.000000e+00]]> : tensor<2x2xf32>
// CHECK-DAG: arith.constant dense<[5.000000e-01, -3.500000e+00]> : tensor<2xf32>
// CHECK-NOT: linalg.generic
// CHECK-NOT: ndr.batch_norm
func.func @constants(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %b = arith.constant dense<[1.0, 1.0]> : tensor<2xf32>
  %m = arith.constant dense<[1.0, 3.0]> : tensor<2xf32>
  %v = arith.constant dense<[3.0, 15.0]> : tensor<2xf32>
  %g = arith.constant dense<[2.0, 8.0]> : tensor<2xf32>
  %bt = arith.constant dense<[0.5, 0.5]> : tensor<2xf32>
  %0 = ndr.linear %x, %w, %b : tensor<3x2xf32>, tensor<2x2xf32>, tensor<2xf32>
  %1 = ndr.batch_norm %0 stats(%m, %v : tensor<2xf32>) gamma(%g : tensor<2xf32>) beta(%bt : tensor<2xf32>) eps = 1.0 : tensor<3x2xf32>
  return %1 : tensor<3x2xf32>
}

// Must not fire: the linear result has another user.
// CHECK-LABEL: func @other_user
// CHECK: ndr.batch_norm
func.func @other_user(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>, %m: tensor<8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %0 = ndr.linear %x, %w : tensor<4x8xf32>, tensor<8x8xf32>
  // expected-remark @+1 {{batch_norm not folded into the linear: the linear result has other users}}
  %1 = ndr.batch_norm %0 stats(%m, %m : tensor<8xf32>) : tensor<4x8xf32>
  return %0, %1 : tensor<4x8xf32>, tensor<4x8xf32>
}

// Must not fire: the channels are not the linear's output features.
// CHECK-LABEL: func @other_channels
// CHECK: ndr.batch_norm
func.func @other_channels(%x: tensor<2x3x4xf32>, %w: tensor<8x4xf32>, %m: tensor<3xf32>) -> tensor<2x3x8xf32> {
  %0 = ndr.linear %x, %w : tensor<2x3x4xf32>, tensor<8x4xf32>
  // expected-remark @+1 {{batch_norm not folded into the linear: its channels (axis 1) are not the linear's output features (the last dimension)}}
  %1 = ndr.batch_norm %0 stats(%m, %m : tensor<3xf32>) : tensor<2x3x8xf32>
  return %1 : tensor<2x3x8xf32>
}

// Must not fire: no linear in front (no remark either).
// CHECK-LABEL: func @no_linear
// CHECK: ndr.batch_norm
func.func @no_linear(%x: tensor<4x8xf32>, %m: tensor<8xf32>) -> tensor<4x8xf32> {
  %0 = ndr.relu %x : tensor<4x8xf32>
  %1 = ndr.batch_norm %0 stats(%m, %m : tensor<8xf32>) : tensor<4x8xf32>
  return %1 : tensor<4x8xf32>
}
