// RUN: ndr-opt %s --pass-pipeline='builtin.module(ndr-lower-to-linalg)' | FileCheck %s

// The input collapses to [rows, in]; W [out, in] is read as stored; the
// accumulation is f32; the bias is added in an epilogue that rounds once.

// CHECK-DAG: #[[X:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[W:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[Y:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[BIAS:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @linear
// CHECK: %[[X2:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0, 1, 2]] : tensor<2x3x16xf16> into tensor<96xf16>
// CHECK: %[[ROWS:.*]] = tensor.expand_shape %[[X2]] {{\[}}[0, 1]] output_shape [6, 16] : tensor<96xf16> into tensor<6x16xf16>
// CHECK: %[[ZERO:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<6x8xf32>)
// CHECK: %[[ACC:.*]] = linalg.generic {indexing_maps = [#[[X]], #[[W]], #[[Y]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-SAME: ins(%[[ROWS]], %{{.*}} : tensor<6x16xf16>, tensor<8x16xf16>) outs(%[[ZERO]] : tensor<6x8xf32>)
// CHECK: arith.extf
// CHECK: arith.extf
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: linalg.generic {{.*}}ins(%[[ACC]], %{{.*}} : tensor<6x8xf32>, tensor<8xf16>) outs(%{{.*}} : tensor<6x8xf16>)
// CHECK: arith.truncf
// CHECK: tensor.expand_shape {{.*}} : tensor<48xf16> into tensor<2x3x8xf16>
func.func @linear(%x: tensor<2x3x16xf16>, %w: tensor<8x16xf16>, %b: tensor<8xf16>) -> tensor<2x3x8xf16> {
  %0 = ndr.linear %x, %w, %b : tensor<2x3x16xf16>, tensor<8x16xf16>, tensor<8xf16>
  return %0 : tensor<2x3x8xf16>
}
