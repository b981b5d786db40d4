// RUN: ndr-opt %s --ndr-stream-argument -split-input-file | FileCheck %s
// RUN: ndr-opt %s --ndr-stream-argument --ndr-stream-argument -split-input-file | FileCheck %s

// Every function with a body gets a last !gpu.async.token, marked
// ndr.cuda_stream, and passes its own to the functions it calls; a
// declaration (the runtime's entry points take theirs explicitly) keeps its
// type. Run twice, nothing changes.

// CHECK-LABEL: func.func private @external(tensor<4xf32>) -> tensor<4xf32>
// CHECK-LABEL: func.func @model
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>, %{{.*}}: i64 {ndr.seed}, %[[S:.*]]: !gpu.async.token {ndr.cuda_stream})
// CHECK: call @kernel(%[[X]], %[[S]]) : (tensor<4xf32>, !gpu.async.token) -> tensor<4xf32>
// CHECK-LABEL: func.func private @kernel
// CHECK-SAME: (%{{.*}}: tensor<4xf32>, %{{.*}}: !gpu.async.token {ndr.cuda_stream})
func.func private @external(tensor<4xf32>) -> tensor<4xf32>
func.func @model(%x: tensor<4xf32>, %seed: i64 {ndr.seed}) -> tensor<4xf32> attributes {ndr.model} {
  %y = call @kernel(%x) : (tensor<4xf32>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}
func.func private @kernel(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

// -----

// After bufferization appended out-parameters (and the seed went last), the
// stream goes back to the end, in the functions and at their calls; one
// already last stays.
// CHECK-LABEL: func.func @model
// CHECK-SAME: (%[[X:.*]]: memref<4xf32>, %[[OUT:.*]]: memref<4xf32>, %{{.*}}: i64 {ndr.seed}, %[[S:.*]]: !gpu.async.token {ndr.cuda_stream})
// CHECK: call @kernel(%[[X]], %[[OUT]], %[[S]])
// CHECK-LABEL: func.func private @kernel
// CHECK-SAME: (%{{.*}}: memref<4xf32>, %{{.*}}: memref<4xf32>, %{{.*}}: !gpu.async.token {ndr.cuda_stream})
// CHECK-LABEL: func.func private @last
// CHECK-SAME: (%{{.*}}: memref<4xf32>, %{{.*}}: !gpu.async.token {ndr.cuda_stream})
func.func @model(%x: memref<4xf32>, %s: !gpu.async.token {ndr.cuda_stream}, %out: memref<4xf32>, %seed: i64 {ndr.seed}) attributes {ndr.model} {
  call @kernel(%x, %s, %out) : (memref<4xf32>, !gpu.async.token, memref<4xf32>) -> ()
  return
}
func.func private @kernel(%x: memref<4xf32>, %s: !gpu.async.token {ndr.cuda_stream}, %out: memref<4xf32>) {
  return
}
func.func private @last(%x: memref<4xf32>, %s: !gpu.async.token {ndr.cuda_stream}) {
  return
}
