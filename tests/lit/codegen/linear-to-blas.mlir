// RUN: ndr-opt %s --ndr-linear-to-blas | FileCheck %s
// RUN: ndr-opt %s --ndr-lower-cpu="mode=infer blas=true" | mlir-translate --mlir-to-llvmir | FileCheck %s --check-prefix=LLVM

// f32 linear becomes a call of the runtime's BLAS linear on the operands'
// buffers and a fresh result buffer; other element types stay for the
// generated loops. Each buffer is passed as a 0-d view of its first element
// (a float * under the bare-pointer calling convention), so one declaration
// per variant serves every shape.

// CHECK-DAG: func.func private @ndr_linear_bias_f32(memref<f32>, memref<f32>, memref<f32>, memref<f32>, i64, i64, i64)
// CHECK-DAG: func.func private @ndr_linear_f32(memref<f32>, memref<f32>, memref<f32>, i64, i64, i64)
// CHECK-NOT: func.func private @ndr_linear

// In LLVM IR the buffers reach the call as the function's own pointers (the
// result straight into the out-parameter), not as integers: LLVM sees what
// the call may read and write.
// LLVM-DAG: declare void @ndr_linear_f32(ptr, ptr, ptr, i64, i64, i64)
// LLVM-DAG: declare void @ndr_linear_bias_f32(ptr, ptr, ptr, ptr, i64, i64, i64)
// LLVM-LABEL: define void @with_bias(ptr %0, ptr %1, ptr %2, ptr %3)
// LLVM-NEXT: call void @ndr_linear_bias_f32(ptr %0, ptr %1, ptr %2, ptr %3, i64 6, i64 7, i64 5)
// LLVM-LABEL: define void @no_bias(ptr %0, ptr %1, ptr %2)
// LLVM-NEXT: call void @ndr_linear_f32(ptr %0, ptr %1, ptr %2, i64 4, i64 8, i64 2)

// CHECK-LABEL: func.func @with_bias
// CHECK: %[[Y:.*]] = memref.alloc() {alignment = 64 : i64} : memref<2x3x5xf32>
// CHECK: %[[X:.*]] = bufferization.to_buffer %arg0 read_only : tensor<2x3x7xf32> to memref<2x3x7xf32>
// CHECK: %[[XP:.*]] = memref.reinterpret_cast %[[X]] to offset: [0], sizes: [], strides: [] : memref<2x3x7xf32> to memref<f32>
// CHECK: %[[W:.*]] = bufferization.to_buffer %arg1 read_only : tensor<5x7xf32> to memref<5x7xf32>
// CHECK: %[[WP:.*]] = memref.reinterpret_cast %[[W]]
// CHECK: %[[B:.*]] = bufferization.to_buffer %arg2 read_only : tensor<5xf32> to memref<5xf32>
// CHECK: %[[BP:.*]] = memref.reinterpret_cast %[[B]]
// CHECK: %[[YP:.*]] = memref.reinterpret_cast %[[Y]]
// CHECK-DAG: %[[ROWS:.*]] = arith.constant 6 : i64
// CHECK-DAG: %[[IN:.*]] = arith.constant 7 : i64
// CHECK-DAG: %[[OUT:.*]] = arith.constant 5 : i64
// CHECK: call @ndr_linear_bias_f32(%[[XP]], %[[WP]], %[[BP]], %[[YP]], %[[ROWS]], %[[IN]], %[[OUT]])
// CHECK: %[[T:.*]] = bufferization.to_tensor %[[Y]] restrict writable : memref<2x3x5xf32> to tensor<2x3x5xf32>
// CHECK: return %[[T]]
func.func @with_bias(%x: tensor<2x3x7xf32>, %w: tensor<5x7xf32>, %b: tensor<5xf32>) -> tensor<2x3x5xf32> {
  %0 = ndr.linear %x, %w, %b : tensor<2x3x7xf32>, tensor<5x7xf32>, tensor<5xf32>
  return %0 : tensor<2x3x5xf32>
}

// Without a bias, the variant without one.
// CHECK-LABEL: func.func @no_bias
// CHECK: call @ndr_linear_f32(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : (memref<f32>, memref<f32>, memref<f32>, i64, i64, i64) -> ()
func.func @no_bias(%x: tensor<4x8xf32>, %w: tensor<2x8xf32>) -> tensor<4x2xf32> {
  %0 = ndr.linear %x, %w : tensor<4x8xf32>, tensor<2x8xf32>
  return %0 : tensor<4x2xf32>
}

// A second shape reuses the declarations.
// CHECK-LABEL: func.func @other_shape
// CHECK: call @ndr_linear_f32
func.func @other_shape(%x: tensor<3x5xf32>, %w: tensor<9x5xf32>) -> tensor<3x9xf32> {
  %0 = ndr.linear %x, %w : tensor<3x5xf32>, tensor<9x5xf32>
  return %0 : tensor<3x9xf32>
}

// f16 has no BLAS path.
// CHECK-LABEL: func.func @half
// CHECK: ndr.linear
// CHECK-NOT: call
func.func @half(%x: tensor<4x8xf16>, %w: tensor<2x8xf16>) -> tensor<4x2xf16> {
  %0 = ndr.linear %x, %w : tensor<4x8xf16>, tensor<2x8xf16>
  return %0 : tensor<4x2xf16>
}
