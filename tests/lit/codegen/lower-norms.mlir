// RUN: ndr-opt %s --pass-pipeline='builtin.module(func.func(ndr-lower-norms{mode=train}))' | FileCheck %s

// A row of 11: one full chunk of 8 in an scf.for and a tail of 3 read and
// written under a constant mask; rows in an scf.forall.
// CHECK-LABEL: func.func @layer
// CHECK: scf.forall (%[[ROW:.*]]) in (4) shared_outs(%[[OUT:.*]] = %{{.*}}) -> (tensor<4x11xf32>)
// CHECK: %[[YROW:.*]] = tensor.extract_slice %[[OUT]][%[[ROW]], 0] [1, 11] [1, 1] : tensor<4x11xf32> to tensor<11xf32>
// CHECK: %[[MASK:.*]] = vector.constant_mask [3] : vector<8xi1>
// Sweep 1: sums of x - x[0] and of its squares.
// CHECK: %[[FIRST:.*]] = vector.transfer_read %arg0[%[[ROW]], %c0]
// CHECK: %[[SHIFT0:.*]] = vector.extract %[[FIRST]][0]
// CHECK: %[[SHIFT:.*]] = vector.broadcast %[[SHIFT0]] : f32 to vector<8xf32>
// CHECK: scf.for {{.*}} iter_args(%[[S2:.*]] = %{{.*}}, %[[S1:.*]] = %{{.*}}) -> (vector<8xf32>, vector<8xf32>)
// CHECK:   %[[V:.*]] = vector.transfer_read %arg0[%[[ROW]], %{{.*}}], %{{.*}} {in_bounds = [true]} : tensor<4x11xf32>, vector<8xf32>
// CHECK:   %[[D:.*]] = arith.subf %[[V]], %[[SHIFT]] : vector<8xf32>
// CHECK:   vector.fma %[[D]], %[[D]], %[[S2]] : vector<8xf32>
// CHECK:   arith.addf %[[S1]], %[[D]] : vector<8xf32>
// CHECK: %[[TAIL:.*]] = vector.transfer_read %arg0[%[[ROW]], %c8], %{{.*}}, %[[MASK]] {in_bounds = [true]} : tensor<4x11xf32>, vector<8xf32>
// CHECK: arith.select %[[MASK]]
// CHECK: vector.reduction <add>
// CHECK: vector.reduction <add>
// CHECK: math.sqrt
// Sweep 2: the output, through the row slice.
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[YROW]]) -> (tensor<11xf32>)
// CHECK:   vector.transfer_write %{{.*}}, %{{.*}}[%{{.*}}] {in_bounds = [true]} : vector<8xf32>, tensor<11xf32>
// CHECK: vector.transfer_write %{{.*}}, %{{.*}}[%c8], %[[MASK]] {in_bounds = [true]} : vector<8xf32>, tensor<11xf32>
// CHECK: scf.forall.in_parallel
// CHECK:   tensor.parallel_insert_slice %{{.*}} into %[[OUT]][%[[ROW]], 0] [1, 11] [1, 1]
func.func @layer(%x: tensor<4x11xf32>, %g: tensor<11xf32>, %b: tensor<11xf32>) -> tensor<4x11xf32> {
  %0 = ndr.layer_norm %x gamma(%g : tensor<11xf32>) beta(%b : tensor<11xf32>) : tensor<4x11xf32>
  return %0 : tensor<4x11xf32>
}

// RMS norm: no shift, no mean, only the sum of squares; a multiple of 8 has
// no tail. bf16 loads are extended and the stores rounded.
// CHECK-LABEL: func.func @rms_bf16
// CHECK-NOT: vector.constant_mask
// CHECK-NOT: vector.extract
// CHECK: scf.for {{.*}} -> (vector<8xf32>) {
// CHECK: vector.transfer_read {{.*}} : tensor<2x16xbf16>, vector<8xbf16>
// CHECK: arith.extf %{{.*}} : vector<8xbf16> to vector<8xf32>
// CHECK: arith.truncf %{{.*}} : vector<8xf32> to vector<8xbf16>
// CHECK: vector.transfer_write {{.*}} : vector<8xbf16>, tensor<16xbf16>
func.func @rms_bf16(%x: tensor<2x16xbf16>) -> tensor<2x16xbf16> {
  %0 = ndr.rms_norm %x : tensor<2x16xbf16>
  return %0 : tensor<2x16xbf16>
}

// Rows of several dimensions are collapsed to [rows, size] and back.
// CHECK-LABEL: func.func @rank2_rows
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0, 1]] output_shape [2, 15] : tensor<30xf32> into tensor<2x15xf32>
// CHECK: scf.forall (%{{.*}}) in (2)
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0, 1, 2]] output_shape [2, 3, 5] : tensor<30xf32> into tensor<2x3x5xf32>
func.func @rank2_rows(%x: tensor<2x3x5xf32>) -> tensor<2x3x5xf32> {
  %0 = ndr.layer_norm %x normalized_rank = 2 : tensor<2x3x5xf32>
  return %0 : tensor<2x3x5xf32>
}

// fused_add_norm: s = residual + dropout(x + bias) is recomputed in each
// sweep; with rows of 12, chunks straddle Philox blocks, so each lane runs
// Philox for its own flat index row * 12 + col + lane; s is stored in the
// first sweep when it is a result. Philox has 20 multiplies;
// the first round's M1 * stream folds to a constant.
// CHECK-LABEL: func.func @fused(
// CHECK-SAME: %[[SEED:[^:]*]]: i64
// CHECK: %[[LANES:.*]] = arith.constant dense<[0, 1, 2, 3, 4, 5, 6, 7]> : vector<8xi64>
// CHECK: scf.forall {{.*}} shared_outs(%[[Y:.*]] = %{{.*}}, %[[S:.*]] = %{{.*}}) -> (tensor<3x12xf32>, tensor<3x12xf32>)
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %{{.*}}, %[[SROW:.*]] = %{{.*}}) -> (vector<8xf32>, tensor<12xf32>)
// CHECK:   %[[X:.*]] = vector.transfer_read %arg0
// CHECK:   %[[BIAS:.*]] = vector.transfer_read %arg1
// CHECK:   arith.addf %[[X]], %[[BIAS]]
// CHECK:   arith.addi %{{.*}}, %[[LANES]] : vector<8xi64>
// CHECK:   arith.trunci %[[SEED]] : i64 to i32
// CHECK-COUNT-19: arith.mului_extended {{.*}} : vector<8xi32>
// CHECK:   arith.cmpi uge, %{{.*}}, %{{.*}} : vector<8xi32>
// CHECK:   arith.select
// CHECK:   vector.transfer_read %arg2
// CHECK:   vector.transfer_write %{{.*}}, %[[SROW]]
// CHECK: scf.for
// CHECK-COUNT-19: arith.mului_extended {{.*}} : vector<8xi32>
// CHECK: scf.forall.in_parallel
// CHECK:   tensor.parallel_insert_slice %{{.*}} into %[[Y]]
// CHECK:   tensor.parallel_insert_slice %{{.*}} into %[[S]]
func.func @fused(%x: tensor<3x12xf32>, %bias: tensor<12xf32>, %r: tensor<3x12xf32>, %g: tensor<12xf32>, %seed: i64) -> (tensor<3x12xf32>, tensor<3x12xf32>) attributes {ndr.model} {
  %y, %s = ndr.fused_add_norm rms %x bias(%bias : tensor<12xf32>) residual(%r : tensor<3x12xf32>) dropout(p = 0.1, stream = 3) gamma(%g : tensor<12xf32>) eps = 1.0e-6 : tensor<3x12xf32>, tensor<3x12xf32>
  return %y, %s : tensor<3x12xf32>, tensor<3x12xf32>
}

// Rows that are a multiple of 8: each chunk is one Philox block, evaluated
// once (scalar) for its 8 lanes.
// CHECK-LABEL: func.func @fused_blocks(
// CHECK: scf.forall
// CHECK: scf.for
// CHECK:   arith.shrui %{{.*}}, %{{.*}} : i64
// CHECK-COUNT-19: arith.mului_extended {{.*}} : i32
// CHECK:   vector.from_elements {{.*}} : vector<8xi32>
// CHECK:   arith.cmpi uge, {{.*}} : vector<8xi32>
func.func @fused_blocks(%x: tensor<3x16xf32>, %seed: i64) -> tensor<3x16xf32> attributes {ndr.model} {
  %y = ndr.fused_add_norm layer %x dropout(p = 0.1, stream = 3) eps = 1.0e-5 : tensor<3x16xf32>
  return %y : tensor<3x16xf32>
}

// A bias over part of the row is repeated over the whole row first.
// CHECK-LABEL: func.func @bias_suffix
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<4xf32>) outs(%{{.*}} : tensor<3x4xf32>)
// CHECK: scf.forall
func.func @bias_suffix(%x: tensor<2x3x4xf32>, %bias: tensor<4xf32>) -> tensor<2x3x4xf32> {
  %y = ndr.fused_add_norm layer %x bias(%bias : tensor<4xf32>) eps = 1.0e-5 normalized_rank = 2 : tensor<2x3x4xf32>
  return %y : tensor<2x3x4xf32>
}
