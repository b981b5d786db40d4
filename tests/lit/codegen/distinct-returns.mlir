// RUN: ndr-opt %s --ndr-distinct-returns --split-input-file | FileCheck %s

// An allocation returned twice: the second place gets a copy.
// CHECK-LABEL: func.func @twice
// CHECK: %[[A:.*]] = memref.alloc() : memref<4xf32>
// CHECK: %[[C:.*]] = memref.alloc() : memref<4xf32>
// CHECK: memref.copy %[[A]], %[[C]]
// CHECK: return %[[A]], %[[C]], %[[A]]
// CHECK-NOT: memref.copy
func.func @twice() -> (memref<4xf32>, memref<4xf32>, memref<4xf32>) {
  %a = memref.alloc() : memref<4xf32>
  return %a, %a, %a : memref<4xf32>, memref<4xf32>, memref<4xf32>
}

// -----

// Must not fire: distinct allocations, an argument returned twice (the
// out-parameter pass copies arguments), a dynamic shape (not hoisted).
// CHECK-LABEL: func.func @untouched
// CHECK-NOT: memref.copy
// CHECK: return
func.func @untouched(%arg: memref<4xf32>, %n: index)
    -> (memref<4xf32>, memref<4xf32>, memref<4xf32>, memref<4xf32>, memref<?xf32>, memref<?xf32>) {
  %a = memref.alloc() : memref<4xf32>
  %b = memref.alloc() : memref<4xf32>
  %d = memref.alloc(%n) : memref<?xf32>
  return %a, %b, %arg, %arg, %d, %d
      : memref<4xf32>, memref<4xf32>, memref<4xf32>, memref<4xf32>, memref<?xf32>, memref<?xf32>
}
