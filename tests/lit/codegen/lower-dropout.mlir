// RUN: ndr-opt %s --pass-pipeline='builtin.module(func.func(ndr-lower-to-linalg{mode=infer}))' | FileCheck %s --check-prefix=INFER
// RUN: ndr-opt %s --pass-pipeline='builtin.module(func.func(ndr-lower-to-linalg{mode=train}))' | FileCheck %s --check-prefix=TRAIN

// Infer mode: the identity.
// INFER-LABEL: func.func @dropout(
// INFER-SAME: %[[X:[^:]*]]: tensor<2x5xf32>
// INFER-NOT: linalg.generic
// INFER: return %[[X]]

// Train mode, 10 elements (not whole blocks of 8): a generic in which the
// element's row-major flat index feeds Philox4x32-10 inline.
// TRAIN-LABEL: func.func @dropout(
// TRAIN-SAME: %[[SEED:[^:]*]]: i64
// TRAIN-DAG: %[[C5:.*]] = arith.constant 5 : index
// TRAIN-DAG: %[[T:.*]] = arith.constant 6554 : i32
// TRAIN-DAG: %[[SCALE:.*]] = arith.constant 1.11111116 : f32
// TRAIN: linalg.generic
// TRAIN: ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// TRAIN: %[[I0:.*]] = linalg.index 0 : index
// TRAIN: %[[I1:.*]] = linalg.index 1 : index
// TRAIN: %[[ROWSTART:.*]] = arith.muli %[[I0]], %[[C5]] : index
// TRAIN: %[[FLAT:.*]] = arith.addi %[[ROWSTART]], %[[I1]] : index
// TRAIN: %[[I64:.*]] = arith.index_cast %[[FLAT]] : index to i64
// The block is index / 8, its counter (block lo, block hi, stream, 0).
// TRAIN: arith.shrui %[[I64]], %{{.*}} : i64
// TRAIN: arith.trunci %[[SEED]] : i64 to i32
// TRAIN-COUNT-19: arith.mului_extended
// TRAIN: %[[KEEP:.*]] = arith.cmpi uge, %{{.*}}, %[[T]] : i32
// TRAIN: %[[SCALED:.*]] = arith.mulf %[[IN]], %[[SCALE]] : f32
// TRAIN: arith.select %[[KEEP]], %[[SCALED]], %{{.*}} : f32
func.func @dropout(%x: tensor<2x5xf32>, %seed: i64) -> tensor<2x5xf32> attributes {ndr.model} {
  %0 = ndr.dropout %x, p = 0.1, stream = 2 : tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// Whole blocks (2 x 12 = 3 x 8): an scf.forall over Philox blocks, one
// evaluation for a vector of 8 elements.
// INFER-LABEL: func.func @dropout_blocks
// INFER-NOT: scf.forall
// TRAIN-LABEL: func.func @dropout_blocks(
// TRAIN-SAME: %[[SEED:[^:]*]]: i64
// TRAIN-DAG: %[[HALVES:.*]] = arith.constant dense<[0, 16, 0, 16, 0, 16, 0, 16]> : vector<8xi32>
// TRAIN: %[[BLOCKS:.*]] = tensor.expand_shape %{{.*}} output_shape [3, 8] : tensor<24xf32> into tensor<3x8xf32>
// TRAIN: scf.forall (%[[B:.*]]) in (3) shared_outs(%[[OUT:.*]] = %{{.*}}) -> (tensor<3x8xf32>)
// TRAIN: %[[X:.*]] = vector.transfer_read %[[BLOCKS]][%[[B]], %{{.*}}], %{{.*}} {in_bounds = [true]} : tensor<3x8xf32>, vector<8xf32>
// TRAIN: %[[B64:.*]] = arith.index_cast %[[B]] : index to i64
// TRAIN: arith.trunci %[[B64]] : i64 to i32
// TRAIN-COUNT-19: arith.mului_extended {{.*}} : i32
// TRAIN: %[[WORDS:.*]] = vector.from_elements %[[W0:[^,]*]], %[[W0]], %[[W1:[^,]*]], %[[W1]], %[[W2:[^,]*]], %[[W2]], %[[W3:[^,]*]], %[[W3]] : vector<8xi32>
// TRAIN: arith.shrui %[[WORDS]], %[[HALVES]] : vector<8xi32>
// TRAIN: arith.cmpi uge, {{.*}} : vector<8xi32>
// TRAIN: vector.transfer_write
// TRAIN: tensor.parallel_insert_slice %{{.*}} into %[[OUT]][%[[B]], 0] [1, 8] [1, 1]
func.func @dropout_blocks(%x: tensor<2x12xf32>, %seed: i64) -> tensor<2x12xf32> attributes {ndr.model} {
  %0 = ndr.dropout %x, p = 0.1, stream = 2 : tensor<2x12xf32>
  return %0 : tensor<2x12xf32>
}

// drop_connect uses the same mask on a weight.
// INFER-LABEL: func.func @drop_connect
// INFER-NOT: linalg.generic
// TRAIN-LABEL: func.func @drop_connect
// TRAIN: scf.forall (%{{.*}}) in (16)
// TRAIN: arith.mului_extended
// TRAIN: arith.extf %{{.*}} : vector<8xf16> to vector<8xf32>
// TRAIN: arith.truncf %{{.*}} : vector<8xf32> to vector<8xf16>
func.func @drop_connect(%w: tensor<16x8xf16>, %seed: i64) -> tensor<16x8xf16> attributes {ndr.model} {
  %0 = ndr.drop_connect %w, p = 0.5, stream = 7 : tensor<16x8xf16>
  return %0 : tensor<16x8xf16>
}
