// RUN: ndr-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(ndr-fuse-elementwise,ndr-lower-fusions{mode=train vector-bits=512}))' | FileCheck %s
// RUN: ndr-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(ndr-fuse-elementwise,ndr-lower-fusions{mode=train}))' | FileCheck %s --check-prefix=NARROW
// RUN: ndr-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(ndr-lower-fusions{vector-bits=384}))' --verify-diagnostics

// With vector-bits=512 (an AVX-512 target) a group that draws no dropout
// masks sweeps its rows in 16-lane chunks: a row of 43 is one step of 4
// chunks (64 > 43, so none), two whole chunks and a tail of 11.
// CHECK-LABEL: func.func @layer(
// CHECK: vector.constant_mask [11] : vector<16xi1>
// CHECK: vector.transfer_read {{.*}} : tensor<4x43xf32>, vector<16xf32>
// CHECK-NOT: vector<8xf32>
// CHECK: return
// By default (256 bits) the same group keeps 8 lanes: 43 = 5 * 8 + 3.
// NARROW-LABEL: func.func @layer(
// NARROW: vector.constant_mask [3] : vector<8xi1>
// NARROW-NOT: vector<16xf32>
// NARROW: return
// expected-error@+1 {{ndr-lower-fusions: vector-bits must be 256 or 512, not 384}}
func.func @layer(%x: tensor<4x43xf32>, %g: tensor<43xf32>, %b: tensor<43xf32>) -> tensor<4x43xf32> {
  %0 = ndr.layer_norm %x gamma(%g : tensor<43xf32>) beta(%b : tensor<43xf32>) : tensor<4x43xf32>
  return %0 : tensor<4x43xf32>
}

// -----

// A group that draws dropout masks takes 16 lanes where its rows are whole
// chunks of two Philox blocks (here the flat 80 elements): a span of 16
// lanes is 32 blocks, but the 80 elements fit in half of one, so 16 are
// drawn; each chunk loads its two blocks' 8 words from the span's draws.
// CHECK-LABEL: func.func @dropout_wide(
// CHECK: memref.alloca() {alignment = 64 : i64} : memref<128xi32>
// CHECK-COUNT-19: arith.muli {{.*}} : vector<16xi64>
// CHECK-NOT: arith.muli {{.*}} : vector<32xi64>
// CHECK: vector.store %{{.*}} : memref<128xi32>, vector<64xi32>
// CHECK: vector.load %{{.*}} : memref<128xi32>, vector<8xi32>
// CHECK: vector.bitcast %{{.*}} : vector<8xi32> to vector<16xi16>
// CHECK-NOT: vector<8xf32>
// CHECK: return
// expected-error@+1 {{ndr-lower-fusions: vector-bits must be 256 or 512, not 384}}
func.func @dropout_wide(%x: tensor<2x40xf32>, %seed: i64 {ndr.seed}) -> tensor<2x40xf32> attributes {ndr.model} {
  %0 = ndr.dropout %x, p = 0.1, stream = 2 : tensor<2x40xf32>
  return %0 : tensor<2x40xf32>
}

// -----

// Rows of 40 (five blocks) are not whole 16-lane chunks: a group that draws
// keeps 8 lanes, one block a chunk.
// CHECK-LABEL: func.func @dropout_narrow(
// CHECK-NOT: vector<16xf32>
// CHECK: vector.load %{{.*}} : memref<64xi32>, vector<4xi32>
// CHECK-NOT: vector<16xf32>
// CHECK: return
// expected-error@+1 {{ndr-lower-fusions: vector-bits must be 256 or 512, not 384}}
func.func @dropout_narrow(%x: tensor<3x40xf32>, %r: tensor<3x40xf32>, %seed: i64 {ndr.seed}) -> tensor<3x40xf32> attributes {ndr.model} {
  %d = ndr.dropout %r, p = 0.1, stream = 4 : tensor<3x40xf32>
  %s = ndr.add %x, %d : tensor<3x40xf32>, tensor<3x40xf32>
  %y = ndr.layer_norm %s : tensor<3x40xf32>
  return %y : tensor<3x40xf32>
}

// -----

// With 16 lanes, rows of 6 KiB of prefetched operands (x and r) prefetch the
// row 8 KiB ahead, two rows, and three lines a step: two for the third of a
// 64-element step, and one more.
// CHECK-LABEL: func.func @short_rows(
// CHECK: %[[AHEAD:.*]] = arith.addi %{{.*}}, %c2 : index
// CHECK: %[[NEXT:.*]] = arith.minui %[[AHEAD]], %c3 : index
// CHECK: scf.for %[[C:.*]] = %c0 to %c768 step %c64
// CHECK: %[[THIRD:.*]] = arith.divui %[[C]], %c3 : index
// CHECK: memref.prefetch %{{.*}}[%[[NEXT]], %[[THIRD]]]
// CHECK: memref.prefetch %{{.*}}[%[[NEXT]], %[[THIRD]]]
// CHECK: memref.prefetch %{{.*}}[%[[NEXT]], %{{.*}}]
// CHECK: memref.prefetch %{{.*}}[%[[NEXT]], %{{.*}}]
// CHECK: memref.prefetch %{{.*}}[%[[NEXT]], %{{.*}}]
// CHECK: memref.prefetch %{{.*}}[%[[NEXT]], %{{.*}}]
// CHECK-NOT: memref.prefetch
// CHECK: vector.transfer_read
// With 8 lanes: the next row, one line a step.
// NARROW-LABEL: func.func @short_rows(
// NARROW: %[[AHEAD:.*]] = arith.addi %{{.*}}, %c1 : index
// NARROW: scf.for %{{.*}} = %c0 to %c768 step %c32
// NARROW: memref.prefetch
// NARROW: memref.prefetch
// NARROW-NOT: memref.prefetch
// NARROW: vector.transfer_read
// expected-error@+1 {{ndr-lower-fusions: vector-bits must be 256 or 512, not 384}}
func.func @short_rows(%x: tensor<4x768xf32>, %r: tensor<4x768xf32>) -> tensor<4x768xf32> {
  %s = ndr.add %x, %r : tensor<4x768xf32>, tensor<4x768xf32>
  %y = ndr.layer_norm %s : tensor<4x768xf32>
  return %y : tensor<4x768xf32>
}

// -----

// Rows of 32 KiB (x and r of 4096) are a lead of their own: the next row,
// and the lines the half of a step spans (two).
// CHECK-LABEL: func.func @long_rows(
// CHECK: %[[AHEAD:.*]] = arith.addi %{{.*}}, %c1 : index
// CHECK: scf.for %{{.*}} = %c0 to %c4096 step %c64
// CHECK-COUNT-4: memref.prefetch
// CHECK-NOT: memref.prefetch
// CHECK: vector.transfer_read
// expected-error@+1 {{ndr-lower-fusions: vector-bits must be 256 or 512, not 384}}
func.func @long_rows(%x: tensor<2x4096xf32>, %r: tensor<2x4096xf32>) -> tensor<2x4096xf32> {
  %s = ndr.add %x, %r : tensor<2x4096xf32>, tensor<2x4096xf32>
  %y = ndr.rms_norm %s : tensor<2x4096xf32>
  return %y : tensor<2x4096xf32>
}

// -----

// The sweep that draws (x + dropout(r), W2's shape) takes 4 of the 6 shares
// of the next row with 16 lanes (5 of 7 with 8): each step of 64 elements
// fetches from 4/6 of its column on, 4 lines of each operand (3 for 4/6 of
// a step, and one more for the lead of two rows). A span (256 elements, 32
// blocks, vector<32xi64>) issues its four steps' prefetches before its
// draw, and its chunks none.
// CHECK-LABEL: func.func @drawing_share(
// CHECK: scf.for %[[SPAN:.*]] = %c0 to %c768 step %c256
// CHECK-NEXT: %[[S:.*]] = arith.muli %[[SPAN]], %c4 : index
// CHECK-NEXT: arith.divui %[[S]], %c6 : index
// CHECK-COUNT-32: memref.prefetch
// CHECK-NOT: memref.prefetch
// CHECK: arith.muli {{.*}} : vector<32xi64>
// CHECK: scf.for %{{.*}} = %[[SPAN]] to %{{.*}} step %c64
// CHECK-NOT: memref.prefetch
// CHECK: scf.yield
// NARROW-LABEL: func.func @drawing_share(
// NARROW: scf.for %[[SPAN:.*]] = %c0 to %c768 step %c128
// NARROW-NEXT: %[[S:.*]] = arith.muli %[[SPAN]], %c5 : index
// NARROW-NEXT: arith.divui %[[S]], %c7 : index
// NARROW-COUNT-16: memref.prefetch
// NARROW-NOT: memref.prefetch
// NARROW: arith.muli {{.*}} : vector<16xi64>
// NARROW: scf.for %{{.*}} = %[[SPAN]] to %{{.*}} step %c32
// NARROW-NOT: memref.prefetch
// NARROW: scf.yield
// expected-error@+1 {{ndr-lower-fusions: vector-bits must be 256 or 512, not 384}}
func.func @drawing_share(%x: tensor<4x768xf32>, %r: tensor<4x768xf32>, %seed: i64 {ndr.seed}) -> tensor<4x768xf32> attributes {ndr.model} {
  %d = ndr.dropout %r, p = 0.1, stream = 0 : tensor<4x768xf32>
  %s = ndr.add %x, %d : tensor<4x768xf32>, tensor<4x768xf32>
  %y = ndr.layer_norm %s : tensor<4x768xf32>
  return %y : tensor<4x768xf32>
}
