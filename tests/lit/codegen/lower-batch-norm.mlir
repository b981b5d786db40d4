// RUN: ndr-opt %s --pass-pipeline='builtin.module(ndr-lower-to-linalg{mode=infer})' | FileCheck %s --check-prefix=INFER
// RUN: ndr-opt %s --pass-pipeline='builtin.module(ndr-lower-to-linalg{mode=train})' | FileCheck %s --check-prefix=TRAIN

// INFER-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// INFER-DAG: #[[CH:.*]] = affine_map<(d0, d1, d2, d3) -> (d1)>
// INFER-LABEL: func.func @batch_norm
// INFER: linalg.generic {indexing_maps = [#[[ID]], #[[CH]], #[[CH]], #[[CH]], #[[CH]], #[[ID]]]
// INFER: math.sqrt
// INFER: arith.divf
// INFER-NOT: bufferization.materialize_in_destination

// Train mode: batch mean, then the biased variance around it, reduced over
// every dimension but the channel's; the running statistics are written in
// place with the unbiased variance (n / (n - 1) = 8 / 7: 2 x 2 x 2 values
// per channel).
// TRAIN-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// TRAIN-DAG: #[[CH:.*]] = affine_map<(d0, d1, d2, d3) -> (d1)>
// Runs of a model may overlap: the running statistics' update holds the
// module's spin lock (atomic exchange 0 -> 1, then 0 again).
// TRAIN: memref.global "private" @ndr_running_stats_lock : memref<i32> = dense<0>
// TRAIN-LABEL: func.func @batch_norm(
// TRAIN-SAME: %[[X:[^:]*]]: tensor<2x3x2x2xf32>, %[[MEAN:[^:]*]]: tensor<3xf32>, %[[VAR:[^:]*]]: tensor<3xf32>
// momentum * 8 / 7:
// TRAIN: %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[CH]]], iterator_types = ["reduction", "parallel", "reduction", "reduction"]}
// TRAIN: %[[BMEAN:.*]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<3xf32>)
// TRAIN: %[[SQ:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[CH]], #[[CH]]], iterator_types = ["reduction", "parallel", "reduction", "reduction"]} ins(%[[X]], %[[BMEAN]] : tensor<2x3x2x2xf32>, tensor<3xf32>)
// TRAIN: %[[BVAR:.*]] = linalg.generic {{.*}} ins(%[[SQ]] : tensor<3xf32>)
// TRAIN: %[[Y:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[BMEAN]], %[[BVAR]], %{{.*}}, %{{.*}} :
// TRAIN: %[[LOCK:.*]] = memref.get_global @ndr_running_stats_lock : memref<i32>
// TRAIN: scf.while
// TRAIN: %[[OLD:.*]] = memref.atomic_rmw assign %{{.*}}, %[[LOCK]][] : (i32, memref<i32>) -> i32
// TRAIN: %[[HELD:.*]] = arith.cmpi ne, %[[OLD]]
// TRAIN: scf.condition(%[[HELD]])
// TRAIN: %[[NEWMEAN:.*]] = linalg.generic {{.*}} ins(%[[MEAN]], %[[BMEAN]] : tensor<3xf32>, tensor<3xf32>)
// TRAIN: %[[MEANBUF:.*]] = bufferization.to_buffer %[[MEAN]] : tensor<3xf32> to memref<3xf32>
// TRAIN: bufferization.materialize_in_destination %[[NEWMEAN]] in restrict writable %[[MEANBUF]]
// TRAIN: %[[NEWVAR:.*]] = linalg.generic {{.*}} ins(%[[VAR]], %[[BVAR]] : tensor<3xf32>, tensor<3xf32>)
// TRAIN: arith.constant 0.114285715 : f32
// TRAIN: %[[VARBUF:.*]] = bufferization.to_buffer %[[VAR]]
// TRAIN: bufferization.materialize_in_destination %[[NEWVAR]] in restrict writable %[[VARBUF]]
// TRAIN: %[[UNLOCK:.*]] = memref.get_global @ndr_running_stats_lock
// TRAIN: memref.atomic_rmw assign %{{.*}}, %[[UNLOCK]][]
// TRAIN: return %[[Y]]
func.func @batch_norm(%x: tensor<2x3x2x2xf32>, %m: tensor<3xf32>, %v: tensor<3xf32>, %g: tensor<3xf32>, %b: tensor<3xf32>) -> tensor<2x3x2x2xf32> {
  %0 = ndr.batch_norm %x stats(%m, %v : tensor<3xf32>) gamma(%g : tensor<3xf32>) beta(%b : tensor<3xf32>) : tensor<2x3x2x2xf32>
  return %0 : tensor<2x3x2x2xf32>
}
