// RUN: ndr-opt %s --ndr-linear-to-blas | FileCheck %s

// f32 linear becomes a call of the runtime's OpenBLAS linear on the operands'
// buffers and a fresh result buffer; other element types stay for the
// generated loops. One declaration serves every call.

// CHECK: func.func private @ndr_linear_f32(index, index, index, index, i64, i64, i64)
// CHECK-NOT: func.func private @ndr_linear_f32

// CHECK-LABEL: func.func @with_bias
// CHECK: %[[Y:.*]] = memref.alloc() {alignment = 64 : i64} : memref<2x3x5xf32>
// CHECK: %[[B:.*]] = bufferization.to_buffer %arg2 read_only : tensor<5xf32> to memref<5xf32>
// CHECK: memref.extract_strided_metadata %[[B]]
// CHECK: %[[X:.*]] = bufferization.to_buffer %arg0 read_only : tensor<2x3x7xf32> to memref<2x3x7xf32>
// CHECK: %[[W:.*]] = bufferization.to_buffer %arg1 read_only : tensor<5x7xf32> to memref<5x7xf32>
// CHECK: memref.extract_strided_metadata %[[Y]]
// CHECK-DAG: %[[ROWS:.*]] = arith.constant 6 : i64
// CHECK-DAG: %[[IN:.*]] = arith.constant 7 : i64
// CHECK-DAG: %[[OUT:.*]] = arith.constant 5 : i64
// CHECK: call @ndr_linear_f32(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[ROWS]], %[[IN]], %[[OUT]])
// CHECK: %[[T:.*]] = bufferization.to_tensor %[[Y]] restrict writable : memref<2x3x5xf32> to tensor<2x3x5xf32>
// CHECK: return %[[T]]
func.func @with_bias(%x: tensor<2x3x7xf32>, %w: tensor<5x7xf32>, %b: tensor<5xf32>) -> tensor<2x3x5xf32> {
  %0 = ndr.linear %x, %w, %b : tensor<2x3x7xf32>, tensor<5x7xf32>, tensor<5xf32>
  return %0 : tensor<2x3x5xf32>
}

// Without a bias the bias pointer is 0.
// CHECK-LABEL: func.func @no_bias
// CHECK: %[[NULL:.*]] = arith.constant 0 : index
// CHECK: call @ndr_linear_f32(%{{.*}}, %{{.*}}, %[[NULL]], %{{.*}}
func.func @no_bias(%x: tensor<4x8xf32>, %w: tensor<2x8xf32>) -> tensor<4x2xf32> {
  %0 = ndr.linear %x, %w : tensor<4x8xf32>, tensor<2x8xf32>
  return %0 : tensor<4x2xf32>
}

// f16 has no BLAS path.
// CHECK-LABEL: func.func @half
// CHECK: ndr.linear
// CHECK-NOT: call
func.func @half(%x: tensor<4x8xf16>, %w: tensor<2x8xf16>) -> tensor<4x2xf16> {
  %0 = ndr.linear %x, %w : tensor<4x8xf16>, tensor<2x8xf16>
  return %0 : tensor<4x2xf16>
}
