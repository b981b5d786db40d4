// RUN: ndr-opt %s --ndr-sink-linear-bias --split-input-file | FileCheck %s
// RUN: ndr-opt %s --ndr-lower-cpu="mode=infer blas=true" --split-input-file | FileCheck %s --check-prefix=PIPE

// A linear read only by a group gives its bias to the group: the GEMM writes
// its result once, and the group adds the bias to its operand before any
// other use (here the activation).
// ndr-lower-cpu runs it when linear goes to the runtime: the GEMM without a
// bias, the bias in the group's kernel.
// PIPE-LABEL: llvm.func @activation
// PIPE: llvm.call @ndr_linear_f32(
// PIPE-NOT: ndr_linear_bias_f32
// PIPE-LABEL: llvm.func @norm_and_sum
// PIPE: llvm.call @ndr_linear_f32(
// PIPE-LABEL: llvm.func @keeps
// PIPE-COUNT-3: llvm.call @ndr_linear_bias_f32(
// PIPE-NOT: llvm.call @ndr_linear_bias_f32(

// CHECK-LABEL: func.func @activation
// CHECK: %[[H:.*]] = ndr.linear %arg0, %arg1 : tensor<4x8xf32>, tensor<16x8xf32>
// CHECK: ndr.fusion ins(%[[H]], %arg2 : tensor<4x16xf32>, tensor<16xf32>)
// CHECK: ^bb0(%[[A:.*]]: tensor<4x16xf32>, %[[B:.*]]: tensor<16xf32>):
// CHECK-NEXT: %[[S:.*]] = ndr.add %[[A]], %[[B]] : tensor<4x16xf32>, tensor<16xf32>
// CHECK-NEXT: %[[G:.*]] = ndr.gelu %[[S]]
// CHECK-NEXT: ndr.yield %[[G]]
func.func @activation(%x: tensor<4x8xf32>, %w: tensor<16x8xf32>, %b: tensor<16xf32>) -> tensor<4x16xf32> {
  %h = ndr.linear %x, %w, %b : tensor<4x8xf32>, tensor<16x8xf32>, tensor<16xf32>
  %y = ndr.fusion ins(%h : tensor<4x16xf32>) -> tensor<4x16xf32> {
  ^bb0(%a: tensor<4x16xf32>):
    %0 = ndr.gelu %a : tensor<4x16xf32>
    ndr.yield %0 : tensor<4x16xf32>
  }
  return %y : tensor<4x16xf32>
}

// -----

// Every use of the operand in the group sees the bias: the norm's input and
// the sum the group also yields.
// CHECK-LABEL: func.func @norm_and_sum
// CHECK: %[[H:.*]] = ndr.linear %arg0, %arg1 : tensor<2x3x8xf32>, tensor<8x8xf32>
// CHECK: ndr.fusion ins(%arg0, %[[H]], %arg3, %arg2 : tensor<2x3x8xf32>, tensor<2x3x8xf32>, tensor<8xf32>, tensor<8xf32>)
// CHECK: ^bb0(%[[X:.*]]: tensor<2x3x8xf32>, %[[A:.*]]: tensor<2x3x8xf32>, %[[G:.*]]: tensor<8xf32>, %[[B:.*]]: tensor<8xf32>):
// CHECK-NEXT: %[[S:.*]] = ndr.add %[[A]], %[[B]]
// CHECK-NEXT: %[[R:.*]] = ndr.add %[[X]], %[[S]]
// CHECK-NEXT: %[[N:.*]] = ndr.layer_norm %[[R]] gamma(%[[G]]
// CHECK-NEXT: ndr.yield %[[N]], %[[R]]
func.func @norm_and_sum(%x: tensor<2x3x8xf32>, %w: tensor<8x8xf32>, %b: tensor<8xf32>, %g: tensor<8xf32>) -> (tensor<2x3x8xf32>, tensor<2x3x8xf32>) {
  %h = ndr.linear %x, %w, %b : tensor<2x3x8xf32>, tensor<8x8xf32>, tensor<8xf32>
  %y:2 = ndr.fusion ins(%x, %h, %g : tensor<2x3x8xf32>, tensor<2x3x8xf32>, tensor<8xf32>) -> tensor<2x3x8xf32>, tensor<2x3x8xf32> {
  ^bb0(%a: tensor<2x3x8xf32>, %c: tensor<2x3x8xf32>, %d: tensor<8xf32>):
    %0 = ndr.add %a, %c : tensor<2x3x8xf32>, tensor<2x3x8xf32>
    %1 = ndr.layer_norm %0 gamma(%d : tensor<8xf32>) : tensor<2x3x8xf32>
    ndr.yield %1, %0 : tensor<2x3x8xf32>, tensor<2x3x8xf32>
  }
  return %y#0, %y#1 : tensor<2x3x8xf32>, tensor<2x3x8xf32>
}

// -----

// A group that already reads the bias adds it through its own argument.
// CHECK-LABEL: func.func @bias_already_read
// CHECK: ndr.fusion ins(%{{.*}}, %arg2 : tensor<4x16xf32>, tensor<16xf32>)
// CHECK: ^bb0(%[[A:.*]]: tensor<4x16xf32>, %[[B:.*]]: tensor<16xf32>):
// CHECK-NEXT: %[[S:.*]] = ndr.add %[[A]], %[[B]]
// CHECK-NEXT: ndr.mul %[[S]], %[[B]]
func.func @bias_already_read(%x: tensor<4x8xf32>, %w: tensor<16x8xf32>, %b: tensor<16xf32>) -> tensor<4x16xf32> {
  %h = ndr.linear %x, %w, %b : tensor<4x8xf32>, tensor<16x8xf32>, tensor<16xf32>
  %y = ndr.fusion ins(%h, %b : tensor<4x16xf32>, tensor<16xf32>) -> tensor<4x16xf32> {
  ^bb0(%a: tensor<4x16xf32>, %c: tensor<16xf32>):
    %0 = ndr.mul %a, %c : tensor<4x16xf32>, tensor<16xf32>
    ndr.yield %0 : tensor<4x16xf32>
  }
  return %y : tensor<4x16xf32>
}

// -----

// Must not fire: the result is also returned (a second use), returned alone,
// the linear has no bias, is not f32 (the generated loops add it in their
// own epilogue), or the group broadcasts it to a larger shape (its ops have
// the group's shape).
// CHECK-LABEL: func.func @keeps
// CHECK: ndr.linear %arg0, %arg1, %arg2 : tensor<4x8xf32>, tensor<16x8xf32>, tensor<16xf32>
// CHECK-NOT: ndr.add
// CHECK: ndr.linear %arg0, %arg1, %arg2 : tensor<4x8xf32>, tensor<16x8xf32>, tensor<16xf32>
// CHECK: ndr.linear %arg0, %arg1 : tensor<4x8xf32>, tensor<16x8xf32>
// CHECK: ndr.linear %arg3, %arg4, %arg5 : tensor<4x8xbf16>, tensor<16x8xbf16>, tensor<16xbf16>
// CHECK-NOT: ndr.add
// CHECK: ndr.linear %arg6, %arg1, %arg2 : tensor<8xf32>, tensor<16x8xf32>, tensor<16xf32>
// CHECK-NEXT: ndr.fusion ins(%arg7, %{{.*}} : tensor<4x16xf32>, tensor<16xf32>)
// CHECK-NEXT: ^bb0
// CHECK-NEXT: ndr.add %{{.*}}, %{{.*}} : tensor<4x16xf32>, tensor<16xf32>
// CHECK-NEXT: ndr.yield
func.func @keeps(%x: tensor<4x8xf32>, %w: tensor<16x8xf32>, %b: tensor<16xf32>,
                 %xh: tensor<4x8xbf16>, %wh: tensor<16x8xbf16>, %bh: tensor<16xbf16>,
                 %v: tensor<8xf32>, %r: tensor<4x16xf32>)
    -> (tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x16xbf16>, tensor<4x16xf32>) {
  %h = ndr.linear %x, %w, %b : tensor<4x8xf32>, tensor<16x8xf32>, tensor<16xf32>
  %y = ndr.fusion ins(%h : tensor<4x16xf32>) -> tensor<4x16xf32> {
  ^bb0(%a: tensor<4x16xf32>):
    %0 = ndr.relu %a : tensor<4x16xf32>
    ndr.yield %0 : tensor<4x16xf32>
  }
  %rr = ndr.linear %x, %w, %b : tensor<4x8xf32>, tensor<16x8xf32>, tensor<16xf32>
  %n = ndr.linear %x, %w : tensor<4x8xf32>, tensor<16x8xf32>
  %hh = ndr.linear %xh, %wh, %bh : tensor<4x8xbf16>, tensor<16x8xbf16>, tensor<16xbf16>
  %yh = ndr.fusion ins(%hh : tensor<4x16xbf16>) -> tensor<4x16xbf16> {
  ^bb0(%a: tensor<4x16xbf16>):
    %0 = ndr.relu %a : tensor<4x16xbf16>
    ndr.yield %0 : tensor<4x16xbf16>
  }
  %hv = ndr.linear %v, %w, %b : tensor<8xf32>, tensor<16x8xf32>, tensor<16xf32>
  %yv = ndr.fusion ins(%r, %hv : tensor<4x16xf32>, tensor<16xf32>) -> tensor<4x16xf32> {
  ^bb0(%a: tensor<4x16xf32>, %c: tensor<16xf32>):
    %0 = ndr.add %a, %c : tensor<4x16xf32>, tensor<16xf32>
    ndr.yield %0 : tensor<4x16xf32>
  }
  return %y, %h, %rr, %n, %yh, %yv : tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x16xbf16>, tensor<4x16xf32>
}
