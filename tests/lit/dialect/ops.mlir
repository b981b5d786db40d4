// RUN: ndr-opt %s | ndr-opt | FileCheck %s
// RUN: ndr-opt %s --mlir-print-op-generic | ndr-opt | FileCheck %s

// Every op of the ndr dialect parses, prints and parses again, in its custom
// form and in the generic form, with and without its optional parts.

// CHECK-LABEL: func @dropout
// CHECK: ndr.dropout %{{.*}}, p = 1.000000e-01, stream = 0 : tensor<8x768xf32>
// CHECK: ndr.dropout %{{.*}}, p = 1.000000e+00, stream = 4294967295 : tensor<3xbf16>
func.func @dropout(%x: tensor<8x768xf32>, %y: tensor<3xbf16>) -> (tensor<8x768xf32>, tensor<3xbf16>) {
  %0 = ndr.dropout %x, p = 0.1, stream = 0 : tensor<8x768xf32>
  %1 = ndr.dropout %y, p = 1.0, stream = 4294967295 : tensor<3xbf16>
  return %0, %1 : tensor<8x768xf32>, tensor<3xbf16>
}

// CHECK-LABEL: func @drop_connect
// CHECK: ndr.drop_connect %{{.*}}, p = 5.000000e-01, stream = 7 : tensor<16x8xf16>
func.func @drop_connect(%w: tensor<16x8xf16>) -> tensor<16x8xf16> {
  %0 = ndr.drop_connect %w, p = 0.5, stream = 7 : tensor<16x8xf16>
  return %0 : tensor<16x8xf16>
}

// CHECK-LABEL: func @add
// CHECK: ndr.add %{{.*}}, %{{.*}} : tensor<8x768xf32>, tensor<768xf32>
func.func @add(%x: tensor<8x768xf32>, %b: tensor<768xf32>) -> tensor<8x768xf32> {
  %0 = ndr.add %x, %b : tensor<8x768xf32>, tensor<768xf32>
  return %0 : tensor<8x768xf32>
}

// CHECK-LABEL: func @add_broadcast_both
// CHECK: %[[S:.*]] = ndr.add %{{.*}}, %{{.*}} : tensor<4x1x3xf32>, tensor<5x1xf32>
// CHECK: return %[[S]] : tensor<4x5x3xf32>
func.func @add_broadcast_both(%a: tensor<4x1x3xf32>, %b: tensor<5x1xf32>) -> tensor<4x5x3xf32> {
  %0 = ndr.add %a, %b : tensor<4x1x3xf32>, tensor<5x1xf32>
  return %0 : tensor<4x5x3xf32>
}

// CHECK-LABEL: func @mul
// CHECK: ndr.mul %{{.*}}, %{{.*}} : tensor<2x3xbf16>, tensor<2x3xbf16>
func.func @mul(%a: tensor<2x3xbf16>) -> tensor<2x3xbf16> {
  %0 = ndr.mul %a, %a : tensor<2x3xbf16>, tensor<2x3xbf16>
  return %0 : tensor<2x3xbf16>
}

// CHECK-LABEL: func @linear
// CHECK: %[[H:.*]] = ndr.linear %{{.*}}, %{{.*}}, %{{.*}} : tensor<2x8x768xf32>, tensor<3072x768xf32>, tensor<3072xf32>
// CHECK: ndr.linear %[[H]], %{{.*}} : tensor<2x8x3072xf32>, tensor<768x3072xf32>
// CHECK: return %{{.*}} : tensor<2x8x768xf32>
func.func @linear(%x: tensor<2x8x768xf32>, %w1: tensor<3072x768xf32>, %b1: tensor<3072xf32>, %w2: tensor<768x3072xf32>) -> tensor<2x8x768xf32> {
  %0 = ndr.linear %x, %w1, %b1 : tensor<2x8x768xf32>, tensor<3072x768xf32>, tensor<3072xf32>
  %1 = ndr.linear %0, %w2 : tensor<2x8x3072xf32>, tensor<768x3072xf32>
  return %1 : tensor<2x8x768xf32>
}

// CHECK-LABEL: func @activations
// CHECK: ndr.relu %{{.*}} : tensor<4x3xf32>
// CHECK: ndr.gelu %{{.*}} : tensor<4x3xf32>
// CHECK: ndr.gelu %{{.*}} approximate = tanh : tensor<4x3xf32>
// CHECK: ndr.tanh %{{.*}} : tensor<4x3xf32>
// CHECK: ndr.sigmoid %{{.*}} : tensor<4x3xf32>
// CHECK: ndr.silu %{{.*}} : tensor<4x3xf32>
func.func @activations(%x: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %0 = ndr.relu %x : tensor<4x3xf32>
  %1 = ndr.gelu %0 : tensor<4x3xf32>
  %2 = ndr.gelu %1 approximate = tanh : tensor<4x3xf32>
  %3 = ndr.tanh %2 : tensor<4x3xf32>
  %4 = ndr.sigmoid %3 : tensor<4x3xf32>
  %5 = ndr.silu %4 : tensor<4x3xf32>
  return %5 : tensor<4x3xf32>
}

// CHECK-LABEL: func @layer_norm
// CHECK: ndr.layer_norm %{{.*}} gamma(%{{.*}} : tensor<768xf32>) beta(%{{.*}} : tensor<768xf32>) : tensor<8x768xf32>
// CHECK: ndr.layer_norm %{{.*}} beta(%{{.*}} : tensor<768xf32>) eps = 1.000000e-03 : tensor<8x768xf32>
// CHECK: ndr.layer_norm %{{.*}} : tensor<8x768xf32>
// CHECK: ndr.layer_norm %{{.*}} normalized_rank = 2 : tensor<8x768xf32>
func.func @layer_norm(%x: tensor<8x768xf32>, %g: tensor<768xf32>, %b: tensor<768xf32>) -> tensor<8x768xf32> {
  %0 = ndr.layer_norm %x gamma(%g : tensor<768xf32>) beta(%b : tensor<768xf32>) : tensor<8x768xf32>
  %1 = ndr.layer_norm %0 beta(%b : tensor<768xf32>) eps = 1.0e-3 : tensor<8x768xf32>
  %2 = ndr.layer_norm %1 eps = 1.0e-5 : tensor<8x768xf32>
  %3 = ndr.layer_norm %2 normalized_rank = 2 : tensor<8x768xf32>
  return %3 : tensor<8x768xf32>
}

// CHECK-LABEL: func @rms_norm
// CHECK: ndr.rms_norm %{{.*}} gamma(%{{.*}} : tensor<4096xf16>) : tensor<2x4096xf16>
// CHECK: ndr.rms_norm %{{.*}} eps = 9.99999974E-6 : tensor<2x4096xf16>
func.func @rms_norm(%x: tensor<2x4096xf16>, %g: tensor<4096xf16>) -> tensor<2x4096xf16> {
  %0 = ndr.rms_norm %x gamma(%g : tensor<4096xf16>) : tensor<2x4096xf16>
  %1 = ndr.rms_norm %0 eps = 1.0e-5 : tensor<2x4096xf16>
  return %1 : tensor<2x4096xf16>
}

// CHECK-LABEL: func @batch_norm
// CHECK: ndr.batch_norm %{{.*}} stats(%{{.*}}, %{{.*}} : tensor<64xf32>) gamma(%{{.*}} : tensor<64xf32>) beta(%{{.*}} : tensor<64xf32>) : tensor<32x64xf32>
// CHECK: ndr.batch_norm %{{.*}} stats(%{{.*}}, %{{.*}} : tensor<64xf32>) axis = -1 eps = 1.000000e-03 momentum = 0.000000e+00 : tensor<32x64xf32>
// CHECK: ndr.batch_norm %{{.*}} stats(%{{.*}}, %{{.*}} : tensor<3xf32>) : tensor<2x3x5x5xf32>
func.func @batch_norm(%x: tensor<32x64xf32>, %m: tensor<64xf32>, %v: tensor<64xf32>, %g: tensor<64xf32>, %b: tensor<64xf32>, %img: tensor<2x3x5x5xf32>, %c: tensor<3xf32>) -> (tensor<32x64xf32>, tensor<2x3x5x5xf32>) {
  %0 = ndr.batch_norm %x stats(%m, %v : tensor<64xf32>) gamma(%g : tensor<64xf32>) beta(%b : tensor<64xf32>) : tensor<32x64xf32>
  %1 = ndr.batch_norm %0 stats(%m, %v : tensor<64xf32>) axis = -1 eps = 1.0e-3 momentum = 0.0 : tensor<32x64xf32>
  %2 = ndr.batch_norm %img stats(%c, %c : tensor<3xf32>) : tensor<2x3x5x5xf32>
  return %1, %2 : tensor<32x64xf32>, tensor<2x3x5x5xf32>
}

// CHECK-LABEL: func @fused_add_norm
// CHECK: %[[Y:.*]], %[[S:.*]] = ndr.fused_add_norm layer %{{.*}} bias(%{{.*}} : tensor<768xf32>) residual(%{{.*}} : tensor<8x768xf32>) dropout(p = 1.000000e-01, stream = 3) gamma(%{{.*}} : tensor<768xf32>) beta(%{{.*}} : tensor<768xf32>) eps = 9.99999974E-6 : tensor<8x768xf32>, tensor<8x768xf32>
// CHECK: ndr.fused_add_norm rms %[[S]] residual(%[[Y]] : tensor<8x768xf32>) gamma(%{{.*}} : tensor<768xf32>) eps = 9.99999997E-7 : tensor<8x768xf32>
// CHECK: ndr.fused_add_norm layer %{{.*}} eps = 9.99999974E-6 normalized_rank = 2 : tensor<8x768xf32>
func.func @fused_add_norm(%x: tensor<8x768xf32>, %r: tensor<8x768xf32>, %bias: tensor<768xf32>, %g: tensor<768xf32>, %b: tensor<768xf32>) -> tensor<8x768xf32> {
  %y, %s = ndr.fused_add_norm layer %x bias(%bias : tensor<768xf32>) residual(%r : tensor<8x768xf32>) dropout(p = 0.1, stream = 3) gamma(%g : tensor<768xf32>) beta(%b : tensor<768xf32>) eps = 1.0e-5 : tensor<8x768xf32>, tensor<8x768xf32>
  %0 = ndr.fused_add_norm rms %s residual(%y : tensor<8x768xf32>) gamma(%g : tensor<768xf32>) eps = 1.0e-6 : tensor<8x768xf32>
  %1 = ndr.fused_add_norm layer %0 eps = 1.0e-5 normalized_rank = 2 : tensor<8x768xf32>
  return %1 : tensor<8x768xf32>
}

// A group with a norm: its operands become the block's arguments, read
// through broadcasting; ndr.yield names the result.
// CHECK-LABEL: func @fusion
// CHECK: %[[F:.*]] = ndr.fusion ins(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : tensor<8x768xf32>, tensor<8x768xf32>, tensor<768xf32>, tensor<768xf32>) -> tensor<8x768xf32> {
// CHECK-NEXT: ^bb0(%[[A:.*]]: tensor<8x768xf32>, %[[B:.*]]: tensor<8x768xf32>, %[[C:.*]]: tensor<768xf32>, %[[D:.*]]: tensor<768xf32>):
// CHECK-NEXT: %[[S:.*]] = ndr.add %[[A]], %[[B]] : tensor<8x768xf32>, tensor<8x768xf32>
// CHECK-NEXT: %[[T:.*]] = ndr.add %[[S]], %[[C]] : tensor<8x768xf32>, tensor<768xf32>
// CHECK-NEXT: %[[Y:.*]] = ndr.layer_norm %[[T]] gamma(%[[D]] : tensor<768xf32>) : tensor<8x768xf32>
// CHECK-NEXT: ndr.yield %[[Y]] : tensor<8x768xf32>
// CHECK-NEXT: }
// CHECK-NEXT: return %[[F]] : tensor<8x768xf32>
func.func @fusion(%x: tensor<8x768xf32>, %r: tensor<8x768xf32>, %bias: tensor<768xf32>, %g: tensor<768xf32>) -> tensor<8x768xf32> {
  %y = ndr.fusion ins(%x, %r, %bias, %g : tensor<8x768xf32>, tensor<8x768xf32>, tensor<768xf32>, tensor<768xf32>) -> tensor<8x768xf32> {
  ^bb0(%a: tensor<8x768xf32>, %b: tensor<8x768xf32>, %c: tensor<768xf32>, %d: tensor<768xf32>):
    %0 = ndr.add %a, %b : tensor<8x768xf32>, tensor<8x768xf32>
    %1 = ndr.add %0, %c : tensor<8x768xf32>, tensor<768xf32>
    %2 = ndr.layer_norm %1 gamma(%d : tensor<768xf32>) : tensor<8x768xf32>
    ndr.yield %2 : tensor<8x768xf32>
  }
  return %y : tensor<8x768xf32>
}

// Several results (the sum of a pre-norm block, the norm and its epilogue),
// fused_add_norm with dropout as the root, a per-channel [C, 1] operand, and
// discardable attributes after the result types.
// CHECK-LABEL: func @fusion_results
// CHECK: %[[F:.*]]:2 = ndr.fusion ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<2x4x8xbf16>, tensor<2x4x8xbf16>, tensor<4x1xbf16>) -> tensor<2x4x8xbf16>, tensor<2x4x8xbf16> attributes {note = "pre-norm"} {
// CHECK-NEXT: ^bb0(%[[A:.*]]: tensor<2x4x8xbf16>, %[[B:.*]]: tensor<2x4x8xbf16>, %[[C:.*]]: tensor<4x1xbf16>):
// CHECK-NEXT: %[[M:.*]] = ndr.mul %[[A]], %[[C]] : tensor<2x4x8xbf16>, tensor<4x1xbf16>
// CHECK-NEXT: %[[Y:.*]], %[[S:.*]] = ndr.fused_add_norm rms %[[M]] residual(%[[B]] : tensor<2x4x8xbf16>) dropout(p = 1.000000e-01, stream = 2) eps = 9.99999997E-7 : tensor<2x4x8xbf16>, tensor<2x4x8xbf16>
// CHECK-NEXT: %[[G:.*]] = ndr.gelu %[[Y]] approximate = tanh : tensor<2x4x8xbf16>
// CHECK-NEXT: ndr.yield %[[S]], %[[G]] : tensor<2x4x8xbf16>, tensor<2x4x8xbf16>
// CHECK-NEXT: }
// CHECK-NEXT: return %[[F]]#0, %[[F]]#1
func.func @fusion_results(%x: tensor<2x4x8xbf16>, %r: tensor<2x4x8xbf16>, %s: tensor<4x1xbf16>) -> (tensor<2x4x8xbf16>, tensor<2x4x8xbf16>) {
  %f:2 = ndr.fusion ins(%x, %r, %s : tensor<2x4x8xbf16>, tensor<2x4x8xbf16>, tensor<4x1xbf16>) -> tensor<2x4x8xbf16>, tensor<2x4x8xbf16> attributes {note = "pre-norm"} {
  ^bb0(%a: tensor<2x4x8xbf16>, %b: tensor<2x4x8xbf16>, %c: tensor<4x1xbf16>):
    %0 = ndr.mul %a, %c : tensor<2x4x8xbf16>, tensor<4x1xbf16>
    %y, %sum = ndr.fused_add_norm rms %0 residual(%b : tensor<2x4x8xbf16>) dropout(p = 0.1, stream = 2) eps = 1.0e-6 : tensor<2x4x8xbf16>, tensor<2x4x8xbf16>
    %1 = ndr.gelu %y approximate = tanh : tensor<2x4x8xbf16>
    ndr.yield %sum, %1 : tensor<2x4x8xbf16>, tensor<2x4x8xbf16>
  }
  return %f#0, %f#1 : tensor<2x4x8xbf16>, tensor<2x4x8xbf16>
}

// A group without a norm: only elementwise ops, including drop_connect.
// CHECK-LABEL: func @fusion_elementwise
// CHECK: ndr.fusion ins(%{{.*}} : tensor<16x8xf16>) -> tensor<16x8xf16> {
// CHECK-NEXT: ^bb0(%[[W:.*]]: tensor<16x8xf16>):
// CHECK-NEXT: %[[D:.*]] = ndr.drop_connect %[[W]], p = 5.000000e-01, stream = 7 : tensor<16x8xf16>
// CHECK-NEXT: %[[R:.*]] = ndr.relu %[[D]] : tensor<16x8xf16>
// CHECK-NEXT: %[[T:.*]] = ndr.tanh %[[R]] : tensor<16x8xf16>
// CHECK-NEXT: %[[S:.*]] = ndr.sigmoid %[[T]] : tensor<16x8xf16>
// CHECK-NEXT: %[[L:.*]] = ndr.silu %[[S]] : tensor<16x8xf16>
// CHECK-NEXT: %[[O:.*]] = ndr.dropout %[[L]], p = 1.000000e-01, stream = 8 : tensor<16x8xf16>
// CHECK-NEXT: ndr.yield %[[O]] : tensor<16x8xf16>
func.func @fusion_elementwise(%w: tensor<16x8xf16>) -> tensor<16x8xf16> {
  %0 = ndr.fusion ins(%w : tensor<16x8xf16>) -> tensor<16x8xf16> {
  ^bb0(%a: tensor<16x8xf16>):
    %1 = ndr.drop_connect %a, p = 0.5, stream = 7 : tensor<16x8xf16>
    %2 = ndr.relu %1 : tensor<16x8xf16>
    %3 = ndr.tanh %2 : tensor<16x8xf16>
    %4 = ndr.sigmoid %3 : tensor<16x8xf16>
    %5 = ndr.silu %4 : tensor<16x8xf16>
    %6 = ndr.dropout %5, p = 0.1, stream = 8 : tensor<16x8xf16>
    ndr.yield %6 : tensor<16x8xf16>
  }
  return %0 : tensor<16x8xf16>
}
