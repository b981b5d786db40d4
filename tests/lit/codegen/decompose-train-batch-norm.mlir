// RUN: ndr-opt %s --split-input-file --ndr-decompose-train-batch-norm=mode=train | FileCheck %s
// RUN: ndr-opt %s --split-input-file --ndr-decompose-train-batch-norm=mode=infer | FileCheck %s --check-prefix=INFER

// Train mode, channels last: 64 row ranges would be more than the 6 rows,
// so 6 ranges, each summing d = x - K (K: row 0) and d * d into its own
// [2, 19] partials in vector<8xf32> chunks, the last 3 channels masked.
// CHECK: memref.global "private" @ndr_running_stats_lock
// CHECK-LABEL: func.func @channels_last(
// CHECK-SAME: %[[X:[^:]*]]: tensor<6x19xf32>, %[[MEAN:[^:]*]]: tensor<19xf32>, %[[VAR:[^:]*]]: tensor<19xf32>, %[[G:[^:]*]]: tensor<19xf32>, %[[B:[^:]*]]: tensor<19xf32>
// Momentum 0.1 times the unbiased variance's n / (n - 1) = 6 / 5:
// CHECK: %[[UNBIASED:.*]] = arith.constant 0.120000005 : f32
// CHECK: %[[K:.*]] = tensor.extract_slice %[[X]][0, 0] [1, 19] [1, 1] : tensor<6x19xf32> to tensor<19xf32>
// CHECK: %[[PARTS:.*]] = scf.forall (%{{.*}}) in (6) shared_outs(%{{.*}} = %{{.*}}) -> (tensor<6x2x19xf32>)
// The partials start at 0, chunks and then the masked tail.
// CHECK: vector.transfer_write %{{.*}} : vector<8xf32>, tensor<2x19xf32>
// CHECK: vector.constant_mask [3] : vector<8xi1>
// CHECK: scf.for %[[ROW:[^ ]*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args
// CHECK: scf.for %[[COL:[^ ]*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args
// CHECK: %[[XV:.*]] = vector.transfer_read %[[X]][%[[ROW]], %[[COL]]]
// CHECK: %[[KV:.*]] = vector.transfer_read %[[K]][%[[COL]]]
// CHECK: %[[D:.*]] = arith.subf %[[XV]], %[[KV]] : vector<8xf32>
// CHECK: arith.addf %{{.*}}, %[[D]] : vector<8xf32>
// CHECK: vector.fma %[[D]], %[[D]], %{{.*}} : vector<8xf32>
// CHECK: vector.constant_mask [3] : vector<8xi1>
// CHECK: tensor.parallel_insert_slice
// The ranges are added in order, the reduction innermost.
// CHECK: %[[SUMS:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[PARTS]] : tensor<6x2x19xf32>)
// -S / n, n = 6:
// CHECK: %[[NEGM:.*]] = linalg.generic {{.*}} ins(%[[SUMS]] : tensor<2x19xf32>)
// CHECK: arith.divf %{{.*}}, %{{.*}} : f32
// Var = Q / n - (S / n)^2, at least 0:
// CHECK: %[[BVAR:.*]] = linalg.generic {{.*}} ins(%[[SUMS]], %[[NEGM]] :
// CHECK: arith.maximumf
// CHECK: %[[BMEAN:.*]] = linalg.generic {{.*}} ins(%[[K]], %[[NEGM]] :
// CHECK: %[[NEGK:.*]] = linalg.generic {{.*}} ins(%[[K]] :
// CHECK: arith.negf
// CHECK: %[[SCALE:.*]] = linalg.generic {{.*}} ins(%[[BVAR]], %[[G]] :
// CHECK: math.sqrt
// The running statistics, under the lock, with the unbiased variance.
// CHECK: scf.while
// CHECK: linalg.generic {{.*}} ins(%[[MEAN]], %[[BMEAN]] :
// CHECK: bufferization.materialize_in_destination
// CHECK: linalg.generic {{.*}} ins(%[[VAR]], %[[BVAR]] :
// CHECK: arith.mulf %{{.*}}, %[[UNBIASED]] : f32
// CHECK: bufferization.materialize_in_destination
// CHECK: memref.atomic_rmw assign
// Then the per-channel scale and shift as elementwise ops.
// CHECK: %[[Y0:.*]] = ndr.add %[[X]], %[[NEGK]] : tensor<6x19xf32>, tensor<19xf32>
// CHECK: %[[Y1:.*]] = ndr.add %[[Y0]], %[[NEGM]] : tensor<6x19xf32>, tensor<19xf32>
// CHECK: %[[Y2:.*]] = ndr.mul %[[Y1]], %[[SCALE]] : tensor<6x19xf32>, tensor<19xf32>
// CHECK: %[[Y:.*]] = ndr.add %[[Y2]], %[[B]] : tensor<6x19xf32>, tensor<19xf32>
// CHECK-NOT: ndr.batch_norm
// CHECK: return %[[Y]]
// INFER-LABEL: func.func @channels_last(
// INFER: ndr.batch_norm
// INFER-NOT: scf.forall
func.func @channels_last(%x: tensor<6x19xf32>, %m: tensor<19xf32>, %v: tensor<19xf32>, %g: tensor<19xf32>, %b: tensor<19xf32>) -> tensor<6x19xf32> {
  %0 = ndr.batch_norm %x stats(%m, %v : tensor<19xf32>) gamma(%g : tensor<19xf32>) beta(%b : tensor<19xf32>) axis = -1 : tensor<6x19xf32>
  return %0 : tensor<6x19xf32>
}

// -----

// Channels first, no affine: x as [6 planes, 25]; each plane is swept with
// 4 partial sums (the 25th element masked, and set to 0 since 0 - K is not),
// reduced to its two totals at [o, c] of the [2, 3, 2] partials.
// CHECK-LABEL: func.func @channels_first(
// CHECK-SAME: %[[X:[^:]*]]: tensor<2x3x5x5xf32>
// CHECK: %[[ROWS:.*]] = tensor.expand_shape %{{.*}} output_shape [6, 25] : tensor<150xf32> into tensor<6x25xf32>
// CHECK: %[[K:.*]] = tensor.extract_slice %[[ROWS]][0, 0] [3, 1] [1, 1] : tensor<6x25xf32> to tensor<3xf32>
// CHECK: scf.forall (%[[PLANE:[^)]*]]) in (6) shared_outs(%{{.*}} = %{{.*}}) -> (tensor<2x3x2xf32>)
// CHECK: %[[C:.*]] = arith.remui %[[PLANE]], %{{.*}} : index
// CHECK: %[[KS:.*]] = tensor.extract %[[ROWS]][%[[C]], %{{.*}}] : tensor<6x25xf32>
// CHECK: %[[KV:.*]] = vector.broadcast %[[KS]] : f32 to vector<8xf32>
// CHECK: arith.subf %{{.*}}, %[[KV]] : vector<8xf32>
// CHECK: vector.fma
// CHECK: %[[MASK:.*]] = vector.constant_mask [1] : vector<8xi1>
// CHECK: %[[TAIL:.*]] = arith.subf %{{.*}}, %[[KV]] : vector<8xf32>
// CHECK: arith.select %[[MASK]], %[[TAIL]], %{{.*}} : vector<8xi1>, vector<8xf32>
// CHECK: vector.reduction <add>
// CHECK: vector.reduction <add>
// CHECK: vector.transfer_write %{{.*}} : vector<2xf32>, tensor<2xf32>
// CHECK: tensor.parallel_insert_slice
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.*}} : tensor<2x3x2xf32>)
// [C] -> [C, 1, 1] for the elementwise ops; without gamma and beta, a scale and no shift.
// CHECK: %[[NEGK:.*]] = tensor.expand_shape %{{.*}} {{\[\[}}0, 1, 2]] output_shape [3, 1, 1]
// CHECK: %[[Y0:.*]] = ndr.add %[[X]], %[[NEGK]] : tensor<2x3x5x5xf32>, tensor<3x1x1xf32>
// CHECK: ndr.add %[[Y0]]
// CHECK: %[[Y:.*]] = ndr.mul
// CHECK-NOT: ndr.add
// CHECK: return %[[Y]]
func.func @channels_first(%x: tensor<2x3x5x5xf32>, %m: tensor<3xf32>, %v: tensor<3xf32>) -> tensor<2x3x5x5xf32> {
  %0 = ndr.batch_norm %x stats(%m, %v : tensor<3xf32>) : tensor<2x3x5x5xf32>
  return %0 : tensor<2x3x5x5xf32>
}

// -----

// Very many channels: the [ranges, 2, C] partials stay within 16 MiB, so
// 2^20 channels (8 MiB a range) get 2 ranges, not 64.
// CHECK-LABEL: func.func @many_channels(
// CHECK: scf.forall (%{{.*}}) in (2) shared_outs(%{{.*}} = %{{.*}}) -> (tensor<2x2x1048576xf32>)
func.func @many_channels(%x: tensor<128x1048576xf32>, %m: tensor<1048576xf32>, %v: tensor<1048576xf32>) -> tensor<128x1048576xf32> {
  %0 = ndr.batch_norm %x stats(%m, %v : tensor<1048576xf32>) axis = -1 : tensor<128x1048576xf32>
  return %0 : tensor<128x1048576xf32>
}

// -----

// bf16 is left to ndr-lower-to-linalg (its f32 formula), and so is the lock.
// CHECK-NOT: memref.global
// CHECK-LABEL: func.func @bf16(
// CHECK: ndr.batch_norm
// CHECK-NOT: scf.forall
func.func @bf16(%x: tensor<4x3x2xbf16>, %m: tensor<3xbf16>, %v: tensor<3xbf16>) -> tensor<4x3x2xbf16> {
  %0 = ndr.batch_norm %x stats(%m, %v : tensor<3xbf16>) : tensor<4x3x2xbf16>
  return %0 : tensor<4x3x2xbf16>
}
