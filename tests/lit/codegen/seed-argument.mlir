// RUN: ndr-opt %s --ndr-seed-argument --allow-unregistered-dialect | FileCheck %s

// A model gets a trailing i64 seed, marked ndr.seed; other functions are left
// alone.

// CHECK-LABEL: func.func @model
// CHECK-SAME: (%{{.*}}: tensor<4xf32>, %{{.*}}: tensor<4xf32>, %{{.*}}: i64 {ndr.seed})
func.func @model(%x: tensor<4xf32>, %w: tensor<4xf32>) -> tensor<4xf32> attributes {ndr.model} {
  return %x : tensor<4xf32>
}

// CHECK-LABEL: func.func @helper
// CHECK-SAME: (%{{.*}}: tensor<4xf32>) -> tensor<4xf32>
func.func @helper(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

// A seed that is no longer last (out-parameters came after it) moves back to
// the end, and its uses follow it.
// CHECK-LABEL: func.func @moved
// CHECK-SAME: (%{{.*}}: memref<4xf32>, %[[OUT:.*]]: memref<4xf32>, %[[SEED:.*]]: i64 {ndr.seed})
// CHECK: "test.use"(%[[SEED]], %[[OUT]])
func.func @moved(%x: memref<4xf32>, %seed: i64 {ndr.seed}, %out: memref<4xf32>) attributes {ndr.model} {
  "test.use"(%seed, %out) : (i64, memref<4xf32>) -> ()
  return
}
