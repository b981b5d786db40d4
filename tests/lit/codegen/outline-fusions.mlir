// RUN: ndr-opt %s --pass-pipeline='builtin.module(func.func(ndr-fuse-elementwise),ndr-outline-fusions)' | FileCheck %s

// ndr-outline-fusions: each group of a model becomes a call of a private
// kernel; groups equal up to operands and dropout streams share one, with
// the streams as i32 arguments marked ndr.stream and the seed last.

// Two blocks of the same shape with streams 1 and 2: one kernel, called
// twice with each block's own stream; the relu is a kernel of its own.
// CHECK-LABEL: func.func @two_blocks(
// CHECK-SAME: %[[X1:[^:]*]]: tensor<4x8xf32>, %[[R1:[^:]*]]: tensor<4x8xf32>, %[[X2:[^:]*]]: tensor<4x8xf32>, %[[R2:[^:]*]]: tensor<4x8xf32>, %[[SEED:[^:]*]]: i64
// CHECK-NOT: ndr.fusion
// CHECK: %[[S1:.*]] = arith.constant 1 : i32
// CHECK: %[[Y1:.*]] = call @two_blocks_kernel(%[[R1]], %[[X1]], %[[S1]], %[[SEED]]) : (tensor<4x8xf32>, tensor<4x8xf32>, i32, i64) -> tensor<4x8xf32>
// CHECK: %[[S2:.*]] = arith.constant 2 : i32
// CHECK: %[[Y2:.*]] = call @two_blocks_kernel(%[[R2]], %[[X2]], %[[S2]], %[[SEED]])
// CHECK: %[[Z:.*]] = call @two_blocks_kernel_0(%[[X1]]) : (tensor<4x8xf32>) -> tensor<4x8xf32>
// CHECK: return %[[Y1]], %[[Y2]], %[[Z]]
// The kernels follow their model, private and internal to the object; the
// shared one names its stream by the first block's.
// CHECK: func.func private @two_blocks_kernel(%{{.*}}: tensor<4x8xf32>, %{{.*}}: tensor<4x8xf32>, %{{.*}}: i32 {ndr.stream = 1 : ui32}, %{{.*}}: i64 {ndr.seed}) -> tensor<4x8xf32> attributes {llvm.linkage = #llvm.linkage<internal>}
// CHECK:   ndr.fusion
// CHECK:     ndr.dropout %{{.*}}, p = 1.000000e-01, stream = 1
// CHECK:     ndr.layer_norm
// CHECK:   return
// CHECK: func.func private @two_blocks_kernel_0(%{{.*}}: tensor<4x8xf32>) -> tensor<4x8xf32>
// CHECK:   ndr.relu
// CHECK-NOT: func.func private @two_blocks
func.func @two_blocks(%x1: tensor<4x8xf32>, %r1: tensor<4x8xf32>, %x2: tensor<4x8xf32>, %r2: tensor<4x8xf32>, %seed: i64 {ndr.seed}) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) attributes {ndr.model} {
  %d1 = ndr.dropout %r1, p = 0.1, stream = 1 : tensor<4x8xf32>
  %s1 = ndr.add %x1, %d1 : tensor<4x8xf32>, tensor<4x8xf32>
  %y1 = ndr.layer_norm %s1 : tensor<4x8xf32>
  %d2 = ndr.dropout %r2, p = 0.1, stream = 2 : tensor<4x8xf32>
  %s2 = ndr.add %x2, %d2 : tensor<4x8xf32>, tensor<4x8xf32>
  %y2 = ndr.layer_norm %s2 : tensor<4x8xf32>
  %z = ndr.relu %x1 : tensor<4x8xf32>
  return %y1, %y2, %z : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
}

// Groups that differ in anything but their streams (here the dropout
// probability) get kernels of their own.
// CHECK-LABEL: func.func @different_p(
// CHECK: call @[[K1:different_p_kernel[_0-9]*]](
// CHECK: call @[[K2:different_p_kernel[_0-9]*]](
// CHECK: func.func private @[[K1]](
// CHECK: p = 1.000000e-01
// CHECK: func.func private @[[K2]](
// CHECK: p = 2.000000e-01
func.func @different_p(%x1: tensor<4x8xf32>, %x2: tensor<4x8xf32>, %seed: i64 {ndr.seed}) -> (tensor<4x8xf32>, tensor<4x8xf32>) attributes {ndr.model} {
  %a = ndr.dropout %x1, p = 0.1, stream = 1 : tensor<4x8xf32>
  %b = ndr.dropout %x2, p = 0.2, stream = 2 : tensor<4x8xf32>
  return %a, %b : tensor<4x8xf32>, tensor<4x8xf32>
}

// Must not fire: a function that is not a model keeps its groups.
// CHECK-LABEL: func.func @not_a_model(
// CHECK: ndr.fusion
// CHECK-NOT: call
// CHECK: return
func.func @not_a_model(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = ndr.relu %x : tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}
