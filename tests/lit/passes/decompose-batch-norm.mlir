// RUN: ndr-opt %s --ndr-decompose-batch-norm=mode=infer | FileCheck %s
// RUN: ndr-opt %s --ndr-decompose-batch-norm | FileCheck %s
// RUN: ndr-opt %s --ndr-decompose-batch-norm=mode=train | FileCheck %s --check-prefix=TRAIN

// At inference batch_norm becomes (x + (-mean)) * scale + beta with
// scale = gamma / sqrt(var + eps), the per-channel constants computed by
// linalg.generics on the parameters; channels followed by other dimensions
// get the constants shaped [C, 1, ...]. infer is the default mode. f16 and
// bf16 keep the op (their f32 formula), and train mode never fires (the
// statistics are the batch's).

// Channels last: the [C] constants broadcast over the rows as they are.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0) -> (d0)>
// CHECK-LABEL: func.func @channels_last(
// CHECK-SAME: %[[X:[^:]*]]: tensor<16x64xf32>, %[[M:[^:]*]]: tensor<64xf32>, %[[V:[^:]*]]: tensor<64xf32>, %[[G:[^:]*]]: tensor<64xf32>, %[[B:[^:]*]]: tensor<64xf32>)
// CHECK-DAG: %[[EPS:.*]] = arith.constant 1.000000e-03 : f32
// CHECK: %[[NM:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ID]]], iterator_types = ["parallel"]} ins(%[[M]] : tensor<64xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[NEG:.*]] = arith.negf %[[IN]] : f32
// CHECK-NEXT: linalg.yield %[[NEG]] : f32
// CHECK: %[[SCALE:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[ID]]], iterator_types = ["parallel"]} ins(%[[V]], %[[G]] : tensor<64xf32>, tensor<64xf32>)
// CHECK-NEXT: ^bb0(%[[VAR:.*]]: f32, %[[GAMMA:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[VE:.*]] = arith.addf %[[VAR]], %[[EPS]] : f32
// CHECK-NEXT: %[[SD:.*]] = math.sqrt %[[VE]] : f32
// CHECK-NEXT: %[[S:.*]] = arith.divf %[[GAMMA]], %[[SD]] : f32
// CHECK-NEXT: linalg.yield %[[S]] : f32
// CHECK: %[[C:.*]] = ndr.add %[[X]], %[[NM]] : tensor<16x64xf32>, tensor<64xf32>
// CHECK-NEXT: %[[Y:.*]] = ndr.mul %[[C]], %[[SCALE]] : tensor<16x64xf32>, tensor<64xf32>
// CHECK-NEXT: %[[Z:.*]] = ndr.add %[[Y]], %[[B]] : tensor<16x64xf32>, tensor<64xf32>
// CHECK-NEXT: return %[[Z]]
// CHECK-NOT: ndr.batch_norm
// TRAIN-LABEL: func.func @channels_last
// TRAIN-NEXT: ndr.batch_norm
// TRAIN-NOT: linalg.generic
func.func @channels_last(%x: tensor<16x64xf32>, %m: tensor<64xf32>, %v: tensor<64xf32>, %g: tensor<64xf32>, %b: tensor<64xf32>) -> tensor<16x64xf32> {
  %0 = ndr.batch_norm %x stats(%m, %v : tensor<64xf32>) gamma(%g : tensor<64xf32>) beta(%b : tensor<64xf32>) axis = -1 eps = 1.0e-3 : tensor<16x64xf32>
  return %0 : tensor<16x64xf32>
}

// Channels first, [N, C, L]: each constant is expanded to [C, 1] so that it
// broadcasts over L.
// CHECK-LABEL: func.func @channels_first(
// CHECK-SAME: %[[X:[^:]*]]: tensor<2x8x5xf32>, %{{[^:]*}}: tensor<8xf32>, %{{[^:]*}}: tensor<8xf32>, %{{[^:]*}}: tensor<8xf32>, %[[B:[^:]*]]: tensor<8xf32>)
// CHECK: %[[NM:.*]] = linalg.generic
// CHECK: arith.negf
// CHECK: %[[SCALE:.*]] = linalg.generic
// CHECK: math.sqrt
// CHECK: arith.divf
// CHECK: %[[NM1:.*]] = tensor.expand_shape %[[NM]] {{\[}}[0, 1]] output_shape [8, 1] : tensor<8xf32> into tensor<8x1xf32>
// CHECK-NEXT: %[[C:.*]] = ndr.add %[[X]], %[[NM1]] : tensor<2x8x5xf32>, tensor<8x1xf32>
// CHECK-NEXT: %[[SCALE1:.*]] = tensor.expand_shape %[[SCALE]] {{\[}}[0, 1]] output_shape [8, 1] : tensor<8xf32> into tensor<8x1xf32>
// CHECK-NEXT: %[[Y:.*]] = ndr.mul %[[C]], %[[SCALE1]] : tensor<2x8x5xf32>, tensor<8x1xf32>
// CHECK-NEXT: %[[B1:.*]] = tensor.expand_shape %[[B]] {{\[}}[0, 1]] output_shape [8, 1] : tensor<8xf32> into tensor<8x1xf32>
// CHECK-NEXT: %[[Z:.*]] = ndr.add %[[Y]], %[[B1]] : tensor<2x8x5xf32>, tensor<8x1xf32>
// CHECK-NEXT: return %[[Z]]
// TRAIN-LABEL: func.func @channels_first
// TRAIN-NEXT: ndr.batch_norm
func.func @channels_first(%x: tensor<2x8x5xf32>, %m: tensor<8xf32>, %v: tensor<8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<2x8x5xf32> {
  %0 = ndr.batch_norm %x stats(%m, %v : tensor<8xf32>) gamma(%g : tensor<8xf32>) beta(%b : tensor<8xf32>) : tensor<2x8x5xf32>
  return %0 : tensor<2x8x5xf32>
}

// NCHW, without gamma and beta: scale = 1 / sqrt(var + eps) (default eps),
// shaped [C, 1, 1]; no third op.
// CHECK-LABEL: func.func @nchw_no_affine(
// CHECK-SAME: %[[X:[^:]*]]: tensor<2x8x4x4xf32>, %[[M:[^:]*]]: tensor<8xf32>, %[[V:[^:]*]]: tensor<8xf32>)
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-DAG: %[[EPS:.*]] = arith.constant 9.99999974E-6 : f32
// CHECK: %[[NM:.*]] = linalg.generic {{.*}} ins(%[[M]] : tensor<8xf32>)
// CHECK: arith.negf
// CHECK: %[[SCALE:.*]] = linalg.generic {{.*}} ins(%[[V]] : tensor<8xf32>)
// CHECK-NEXT: ^bb0(%[[VAR:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[VE:.*]] = arith.addf %[[VAR]], %[[EPS]] : f32
// CHECK-NEXT: %[[SD:.*]] = math.sqrt %[[VE]] : f32
// CHECK-NEXT: %[[S:.*]] = arith.divf %[[ONE]], %[[SD]] : f32
// CHECK: %[[NM1:.*]] = tensor.expand_shape %[[NM]] {{\[}}[0, 1, 2]] output_shape [8, 1, 1] : tensor<8xf32> into tensor<8x1x1xf32>
// CHECK-NEXT: %[[C:.*]] = ndr.add %[[X]], %[[NM1]] : tensor<2x8x4x4xf32>, tensor<8x1x1xf32>
// CHECK-NEXT: %[[SCALE1:.*]] = tensor.expand_shape %[[SCALE]] {{\[}}[0, 1, 2]] output_shape [8, 1, 1]
// CHECK-NEXT: %[[Y:.*]] = ndr.mul %[[C]], %[[SCALE1]] : tensor<2x8x4x4xf32>, tensor<8x1x1xf32>
// CHECK-NEXT: return %[[Y]]
func.func @nchw_no_affine(%x: tensor<2x8x4x4xf32>, %m: tensor<8xf32>, %v: tensor<8xf32>) -> tensor<2x8x4x4xf32> {
  %0 = ndr.batch_norm %x stats(%m, %v : tensor<8xf32>) : tensor<2x8x4x4xf32>
  return %0 : tensor<2x8x4x4xf32>
}

// Must not fire: f16 keeps the batch_norm (constants rounded to f16 would
// differ from the f32 formula of the generic lowering); bf16 likewise.
// CHECK-LABEL: func.func @f16_kept
// CHECK-NEXT: %[[Y:.*]] = ndr.batch_norm %arg0 stats(%arg1, %arg2 : tensor<8xf16>) axis = -1 : tensor<4x8xf16>
// CHECK-NEXT: %[[Z:.*]] = ndr.batch_norm %arg3 stats(%arg4, %arg4 : tensor<3xbf16>) : tensor<2x3x5xbf16>
// CHECK-NEXT: return %[[Y]], %[[Z]]
func.func @f16_kept(%x: tensor<4x8xf16>, %m: tensor<8xf16>, %v: tensor<8xf16>, %img: tensor<2x3x5xbf16>, %s: tensor<3xbf16>) -> (tensor<4x8xf16>, tensor<2x3x5xbf16>) {
  %0 = ndr.batch_norm %x stats(%m, %v : tensor<8xf16>) axis = -1 : tensor<4x8xf16>
  %1 = ndr.batch_norm %img stats(%s, %s : tensor<3xbf16>) : tensor<2x3x5xbf16>
  return %0, %1 : tensor<4x8xf16>, tensor<2x3x5xbf16>
}

// Must not fire in train mode (checked for every function above by the TRAIN
// prefix): the batch statistics are not known until run time.
// TRAIN-LABEL: func.func @train_mode
// TRAIN-NEXT: %[[Y:.*]] = ndr.batch_norm %arg0 stats(%arg1, %arg2 : tensor<8xf32>) gamma(%arg3 : tensor<8xf32>) axis = -1 : tensor<4x8xf32>
// TRAIN-NEXT: return %[[Y]]
// TRAIN-NOT: linalg.generic
// TRAIN-NOT: ndr.add
func.func @train_mode(%x: tensor<4x8xf32>, %m: tensor<8xf32>, %v: tensor<8xf32>, %g: tensor<8xf32>) -> tensor<4x8xf32> {
  %0 = ndr.batch_norm %x stats(%m, %v : tensor<8xf32>) gamma(%g : tensor<8xf32>) axis = -1 : tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}
