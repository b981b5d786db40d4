// RUN: ndr-opt %s --pass-pipeline='builtin.module(func.func(ndr-lower-to-linalg))' | FileCheck %s

// Broadcasting is in the indexing maps: a size-1 dimension reads index 0.
// CHECK-DAG: #[[A:.*]] = affine_map<(d0, d1, d2) -> (d0, 0, d2)>
// CHECK-DAG: #[[B:.*]] = affine_map<(d0, d1, d2) -> (d1, 0)>
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @add_broadcast
// CHECK: linalg.generic {indexing_maps = [#[[A]], #[[B]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel"]}
// CHECK-SAME: ins(%{{.*}}, %{{.*}} : tensor<4x1x3xf32>, tensor<5x1xf32>) outs(%{{.*}} : tensor<4x5x3xf32>)
// CHECK: arith.addf
func.func @add_broadcast(%a: tensor<4x1x3xf32>, %b: tensor<5x1xf32>) -> tensor<4x5x3xf32> {
  %0 = ndr.add %a, %b : tensor<4x1x3xf32>, tensor<5x1xf32>
  return %0 : tensor<4x5x3xf32>
}

// f16 and bf16 compute in f32 and round once.
// CHECK-LABEL: func.func @mul_bf16
// CHECK: ^bb0(%[[L:.*]]: bf16, %[[R:.*]]: bf16, %{{.*}}: bf16):
// CHECK: %[[LW:.*]] = arith.extf %[[L]] : bf16 to f32
// CHECK: %[[RW:.*]] = arith.extf %[[R]] : bf16 to f32
// CHECK: %[[P:.*]] = arith.mulf %[[LW]], %[[RW]] : f32
// CHECK: %[[T:.*]] = arith.truncf %[[P]] : f32 to bf16
// CHECK: linalg.yield %[[T]] : bf16
func.func @mul_bf16(%a: tensor<2x3xbf16>) -> tensor<2x3xbf16> {
  %0 = ndr.mul %a, %a : tensor<2x3xbf16>, tensor<2x3xbf16>
  return %0 : tensor<2x3xbf16>
}

// CHECK-LABEL: func.func @relu
// CHECK: arith.maximumf %{{.*}}, %{{.*}} : f32
func.func @relu(%x: tensor<8xf32>) -> tensor<8xf32> {
  %0 = ndr.relu %x : tensor<8xf32>
  return %0 : tensor<8xf32>
}

// gelu: 0.5 x erfc(-x / sqrt 2).
// CHECK-LABEL: func.func @gelu
// CHECK-DAG: %[[RSQRT2:.*]] = arith.constant -0.707106769 : f32
// CHECK: %[[S:.*]] = arith.mulf %{{.*}}, %[[RSQRT2]] : f32
// CHECK: math.erfc %[[S]] : f32
func.func @gelu(%x: tensor<8xf32>) -> tensor<8xf32> {
  %0 = ndr.gelu %x : tensor<8xf32>
  return %0 : tensor<8xf32>
}

// The tanh approximation as x * sigmoid(2 sqrt(2 / pi) (x + 0.044715 x^3)).
// CHECK-LABEL: func.func @gelu_tanh
// CHECK-DAG: arith.constant 4.471500e-02 : f32
// CHECK-DAG: arith.constant 1.59576917 : f32
// CHECK: math.exp
// CHECK-NOT: math.erf
func.func @gelu_tanh(%x: tensor<8xf32>) -> tensor<8xf32> {
  %0 = ndr.gelu %x approximate = tanh : tensor<8xf32>
  return %0 : tensor<8xf32>
}

// CHECK-LABEL: func.func @sigmoid_silu_tanh
// CHECK: arith.negf
// CHECK: math.exp
// CHECK: arith.divf
// CHECK: math.exp
// CHECK: arith.mulf
// CHECK: math.tanh
func.func @sigmoid_silu_tanh(%x: tensor<8xf32>) -> tensor<8xf32> {
  %0 = ndr.sigmoid %x : tensor<8xf32>
  %1 = ndr.silu %0 : tensor<8xf32>
  %2 = ndr.tanh %1 : tensor<8xf32>
  return %2 : tensor<8xf32>
}
