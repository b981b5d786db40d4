// RUN: ndr-opt %s --ndr-lower-to-gpu="mode=train" -split-input-file | FileCheck %s
// RUN: ndr-opt %s --ndr-lower-to-gpu="mode=infer" -split-input-file | FileCheck %s --check-prefix=INFER

// ndr-lower-to-gpu: every ndr op becomes kernels of gpu.module @ndr_kernels
// launched on the function's stream, between to_buffer of the inputs
// (flattened, read-only) and to_tensor of fresh results.

// A norm over rows of 64: a warp per row, 8 rows per block of 256 threads
// (2 blocks for 10 rows; a warp past the last row does nothing), chunks of
// 4 f32 (16 per row: lanes past them read the last chunk, add nothing and
// store nothing), the sums as butterflies of 5 shuffles.
// CHECK-LABEL: func.func @warp
// CHECK: %[[X:.*]] = bufferization.to_buffer %{{.*}} read_only : tensor<640xf32> to memref<640xf32>
// CHECK: %[[G:.*]] = bufferization.to_buffer %arg1 read_only : tensor<64xf32> to memref<64xf32>
// CHECK: %[[Y:.*]] = memref.alloc() {alignment = 64 : i64} : memref<640xf32>
// CHECK: gpu.launch_func async [%arg2] @ndr_kernels::@warp_norm blocks in (%c2, %c1, %c1) threads in (%c256, %c1, %c1) args(%[[X]] : memref<640xf32>, %[[G]] : memref<64xf32>, %[[Y]] : memref<640xf32>)
// CHECK: bufferization.to_tensor %[[Y]] restrict writable
// CHECK: gpu.module @ndr_kernels
// CHECK: gpu.func @warp_norm(%[[KX:.*]]: memref<640xf32> {llvm.noalias, llvm.readonly}, %{{.*}}: memref<64xf32> {llvm.noalias, llvm.readonly}, %[[KY:.*]]: memref<640xf32> {llvm.noalias}) kernel attributes {known_block_size = array<i32: 256, 1, 1>}
// CHECK: %[[LIVE:.*]] = arith.cmpi ult, %{{.*}}, %c10 : index
// CHECK: scf.if %[[LIVE]]
// CHECK: %[[IN:.*]] = arith.cmpi ult, %{{.*}}, %c16 : index
// CHECK: vector.load %[[KX]][%{{.*}}] {alignment = 16 : i64} : memref<640xf32>, vector<4xf32>
// CHECK: arith.select %[[IN]]
// CHECK-COUNT-5: gpu.shuffle xor
// CHECK-NOT: gpu.barrier
// CHECK: math.sqrt
// CHECK: scf.if %[[IN]]
// CHECK: vector.store %{{.*}}, %[[KY]][%{{.*}}] {alignment = 16 : i64} : memref<640xf32>, vector<4xf32>
func.func @warp(%x: tensor<10x64xf32>, %g: tensor<64xf32>, %stream: !gpu.async.token {ndr.cuda_stream}) -> tensor<10x64xf32> {
  %y = ndr.fusion ins(%x, %g : tensor<10x64xf32>, tensor<64xf32>) -> tensor<10x64xf32> {
  ^bb0(%a: tensor<10x64xf32>, %b: tensor<64xf32>):
    %0 = ndr.layer_norm %a gamma(%b : tensor<64xf32>) : tensor<10x64xf32>
    ndr.yield %0 : tensor<10x64xf32>
  }
  return %y : tensor<10x64xf32>
}

// -----

// Rows of 2048: a block per row (64 threads, 4 chunks of 8 bf16 each,
// kept); across warps one partial per warp in shared memory and a barrier.
// CHECK-LABEL: func.func @block
// CHECK: gpu.launch_func async [%arg2] @ndr_kernels::@block_norm blocks in (%c3, %c1, %c1) threads in (%c64, %c1, %c1)
// CHECK: gpu.func @block_norm({{.*}}) workgroup(%[[SHARED:.*]] : memref<96xf32, #gpu.address_space<workgroup>>) kernel attributes {known_block_size = array<i32: 64, 1, 1>}
// CHECK-COUNT-4: vector.load %arg0[%{{.*}}] {alignment = 16 : i64} : memref<6144xbf16>, vector<8xbf16>
// CHECK-COUNT-5: gpu.shuffle xor
// CHECK: memref.store %{{.*}}, %[[SHARED]]
// CHECK: gpu.barrier
// CHECK: memref.load %[[SHARED]][%c0]
// CHECK: memref.load %[[SHARED]][%c1]
// CHECK: math.sqrt
// CHECK-NOT: vector.load %arg0
// CHECK: arith.truncf %{{.*}} : vector<8xf32> to vector<8xbf16>
// CHECK: vector.store %{{.*}}, %arg2[%{{.*}}] {alignment = 16 : i64} : memref<6144xbf16>, vector<8xbf16>
func.func @block(%x: tensor<3x2048xbf16>, %g: tensor<2048xbf16>, %stream: !gpu.async.token {ndr.cuda_stream}) -> tensor<3x2048xbf16> {
  %y = ndr.fusion ins(%x, %g : tensor<3x2048xbf16>, tensor<2048xbf16>) -> tensor<3x2048xbf16> {
  ^bb0(%a: tensor<3x2048xbf16>, %b: tensor<2048xbf16>):
    %0 = ndr.rms_norm %a gamma(%b : tensor<2048xbf16>) : tensor<3x2048xbf16>
    ndr.yield %0 : tensor<3x2048xbf16>
  }
  return %y : tensor<3x2048xbf16>
}

// -----

// Without a norm: a chunk per thread. Train-mode dropout gets its stream and
// the seed as arguments and draws a Philox block per chunk of 8; at
// inference the kernel has neither.
// CHECK-LABEL: func.func @drop
// CHECK: gpu.launch_func async [%arg3] @ndr_kernels::@drop_elementwise blocks in (%c1{{.*}}, %c1, %c1) threads in (%c128, %c1, %c1) args(%{{.*}} : memref<960xf32>, %{{.*}} : memref<40xf32>, %{{.*}} : memref<960xf32>, %c3_i32 : i32, %arg2 : i64)
// CHECK: gpu.func @drop_elementwise({{.*}}, %[[STREAM:.*]]: i32, %[[SEED:.*]]: i64) kernel
// CHECK: vector.load %arg0[%{{.*}}] {alignment = 16 : i64} : memref<960xf32>, vector<8xf32>
// CHECK: vector.load %arg1[%{{.*}}] {alignment = 16 : i64} : memref<40xf32>, vector<8xf32>
// CHECK: arith.trunci %[[SEED]]
// The first round multiplies counter words 0 and 2, the stream.
// CHECK: arith.mului_extended
// CHECK: arith.mului_extended %[[STREAM]]
// CHECK-COUNT-18: arith.mului_extended
// CHECK: arith.cmpi uge, %{{.*}}, %{{.*}} : vector<8xi32>
// CHECK: vector.store
// INFER-LABEL: func.func @drop
// INFER: args(%{{.*}} : memref<960xf32>, %{{.*}} : memref<40xf32>, %{{.*}} : memref<960xf32>)
// INFER: gpu.func @drop_elementwise
// INFER-NOT: mului_extended
func.func @drop(%x: tensor<4x6x40xf32>, %bias: tensor<40xf32>, %seed: i64 {ndr.seed}, %stream: !gpu.async.token {ndr.cuda_stream}) -> tensor<4x6x40xf32> {
  %y = ndr.fusion ins(%x, %bias : tensor<4x6x40xf32>, tensor<40xf32>) -> tensor<4x6x40xf32> {
  ^bb0(%a: tensor<4x6x40xf32>, %b: tensor<40xf32>):
    %0 = ndr.add %a, %b : tensor<4x6x40xf32>, tensor<40xf32>
    %1 = ndr.dropout %0, p = 0.25, stream = 3 : tensor<4x6x40xf32>
    ndr.yield %1 : tensor<4x6x40xf32>
  }
  return %y : tensor<4x6x40xf32>
}

// -----

// linear: the runtime's cuBLAS call for its dtype on the buffers' first
// elements and the stream, then the bias as a kernel of one add.
// CHECK: func.func private @ndr_cuda_linear_bf16(memref<bf16>, memref<bf16>, memref<bf16>, i64, i64, i64, !gpu.async.token)
// CHECK-LABEL: func.func @linear
// CHECK: call @ndr_cuda_linear_bf16(%{{.*}}, %{{.*}}, %{{.*}}, %c6_i64, %c16_i64, %c8_i64, %arg3)
// CHECK: gpu.launch_func async [%arg3] @ndr_kernels::@linear_elementwise
func.func @linear(%x: tensor<6x16xbf16>, %w: tensor<8x16xbf16>, %b: tensor<8xbf16>, %stream: !gpu.async.token {ndr.cuda_stream}) -> tensor<6x8xbf16> {
  %y = ndr.linear %x, %w, %b : tensor<6x16xbf16>, tensor<8x16xbf16>, tensor<8xbf16>
  return %y : tensor<6x8xbf16>
}

// -----

// batch_norm, train: partial sums and their totals for the mean, then for
// the variance (whose totals also update the running statistics, the
// functions' own buffers), then the normalization; infer: the last only.
// CHECK-LABEL: func.func @bn
// CHECK: @ndr_kernels::@batch_norm_mean blocks
// CHECK: @ndr_kernels::@batch_norm_mean_final
// CHECK: @ndr_kernels::@batch_norm_var blocks
// CHECK: %[[RM:.*]] = bufferization.to_buffer %arg1 : tensor<3xf32> to memref<3xf32>
// CHECK: %[[RV:.*]] = bufferization.to_buffer %arg2 : tensor<3xf32> to memref<3xf32>
// CHECK: @ndr_kernels::@batch_norm_var_final {{.*}} args({{.*}}, %[[RM]] : memref<3xf32>, %[[RV]] : memref<3xf32>, %{{.*}} : memref<3xf32>)
// CHECK: @ndr_kernels::@batch_norm blocks
// CHECK: gpu.func @batch_norm_mean({{.*}}) workgroup({{.*}} : memref<256xf32, #gpu.address_space<workgroup>>)
// CHECK: scf.for
// CHECK: gpu.barrier
// INFER-LABEL: func.func @bn
// INFER-NOT: batch_norm_mean
// INFER: @ndr_kernels::@batch_norm blocks
func.func @bn(%x: tensor<4x3x5xf32>, %m: tensor<3xf32>, %v: tensor<3xf32>, %stream: !gpu.async.token {ndr.cuda_stream}) -> tensor<4x3x5xf32> {
  %y = ndr.batch_norm %x stats(%m, %v : tensor<3xf32>) : tensor<4x3x5xf32>
  return %y : tensor<4x3x5xf32>
}

// -----

// Equal kernels are one: both biases launch the first one's; another shape
// gets its own.
// CHECK-LABEL: func.func @two_linears
// CHECK: @ndr_kernels::@two_linears_elementwise blocks
// CHECK: @ndr_kernels::@two_linears_elementwise blocks
// CHECK: @ndr_kernels::@two_linears_elementwise_1 blocks
// CHECK: gpu.func @two_linears_elementwise(
// CHECK-NOT: gpu.func @two_linears_elementwise(
// CHECK: gpu.func @two_linears_elementwise_1(
func.func @two_linears(%x: tensor<6x16xf32>, %w: tensor<16x16xf32>, %b: tensor<16xf32>, %w2: tensor<8x16xf32>, %b2: tensor<8xf32>, %stream: !gpu.async.token {ndr.cuda_stream}) -> tensor<6x8xf32> {
  %0 = ndr.linear %x, %w, %b : tensor<6x16xf32>, tensor<16x16xf32>, tensor<16xf32>
  %1 = ndr.linear %0, %w, %b : tensor<6x16xf32>, tensor<16x16xf32>, tensor<16xf32>
  %2 = ndr.linear %1, %w2, %b2 : tensor<6x16xf32>, tensor<8x16xf32>, tensor<8xf32>
  return %2 : tensor<6x8xf32>
}
