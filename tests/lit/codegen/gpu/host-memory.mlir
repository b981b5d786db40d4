// RUN: ndr-opt %s --ndr-gpu-host-memory -split-input-file -verify-diagnostics | FileCheck %s

// Host functions of a CUDA model: allocations and copies on the device and
// the function's stream; what is not returned is freed at the return.
// CHECK-LABEL: func.func @init
// CHECK-SAME: %[[P:[^:]*]]: memref<16xf32>, %[[D:[^:]*]]: memref<16xf32>, %[[S:[^:]*]]: !gpu.async.token
// CHECK: %[[T:.*]], %{{.*}} = gpu.alloc async [%[[S]]] () : memref<16xf32>
// CHECK: gpu.memcpy async [%[[S]]] %[[T]], %[[P]]
// CHECK: gpu.memcpy async [%[[S]]] %[[D]], %[[T]]
// CHECK: gpu.dealloc async [%[[S]]] %[[T]]
// CHECK-NEXT: return
// CHECK-NOT: memref.
module attributes {gpu.container_module} {
func.func @init(%p: memref<16xf32>, %d: memref<16xf32>, %s: !gpu.async.token {ndr.cuda_stream}) {
  %t = memref.alloc() : memref<16xf32>
  memref.copy %p, %t : memref<16xf32> to memref<16xf32>
  memref.copy %t, %d : memref<16xf32> to memref<16xf32>
  return
}

// A returned buffer is the caller's to free.
// CHECK-LABEL: func.func @returned
// CHECK: %[[T:.*]], %{{.*}} = gpu.alloc async
// CHECK-NOT: gpu.dealloc
// CHECK: return %[[T]]
func.func @returned(%s: !gpu.async.token {ndr.cuda_stream}) -> memref<4xf32> {
  %t = memref.alloc() : memref<4xf32>
  return %t : memref<4xf32>
}

// A launch without a token (an outlined linalg loop nest) goes on the
// stream too; views are metadata and stay.
// CHECK-LABEL: func.func @launch
// CHECK: memref.collapse_shape
// CHECK: gpu.launch_func async [%arg1] @k::@k
func.func @launch(%x: memref<2x2xf32>, %s: !gpu.async.token {ndr.cuda_stream}) {
  %c1 = arith.constant 1 : index
  %flat = memref.collapse_shape %x [[0, 1]] : memref<2x2xf32> into memref<4xf32>
  gpu.launch_func @k::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%flat : memref<4xf32>)
  return
}
gpu.module @k {
  gpu.func @k(%x: memref<4xf32>) kernel {
    gpu.return
  }
}
}

// -----

// Host code never reads device memory.
func.func @reads(%x: memref<4xf32>, %s: !gpu.async.token {ndr.cuda_stream}) -> f32 {
  %c0 = arith.constant 0 : index
  // expected-error @below {{'memref.load' op would access device memory from host code (an internal error of the CUDA lowering)}}
  %v = memref.load %x[%c0] : memref<4xf32>
  return %v : f32
}

// -----

func.func @no_stream() -> memref<4xf32> {
  // expected-error @below {{'memref.alloc' op in a CUDA host function without a stream argument}}
  %t = memref.alloc() : memref<4xf32>
  return %t : memref<4xf32>
}
