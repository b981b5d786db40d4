// RUN: ndr-opt %s --ndr-fuse-elementwise | FileCheck %s
// RUN: ndr-opt %s --ndr-fuse-elementwise --ndr-fuse-elementwise | FileCheck %s
// RUN: ndr-opt %s --ndr-fuse-elementwise=remarks=true -verify-diagnostics -o /dev/null
// RUN: ndr-opt %s --ndr-fuse-elementwise | ndr-opt --ndr-fuse-elementwise | FileCheck %s

// The groups that ndr-fuse-elementwise forms around the norms and from the
// elementwise ops left over; every case that must not fuse; idempotence (ops
// inside an ndr.fusion are left alone, so a second run gives the same IR,
// also when the groups are printed and parsed in between: the last RUN line);
// with remarks=true every reason a neighbour of a norm stays out.

// LN(x + r + bias) as users write it, (x + r) + bias: both adds and the norm
// are one group; the bias and gamma are operands read through broadcasting.
// CHECK-LABEL: func @add_bias_layer_norm
// CHECK-NEXT: %[[F:.*]] = ndr.fusion ins(%arg0, %arg1, %arg2, %arg3 : tensor<8x768xf32>, tensor<8x768xf32>, tensor<768xf32>, tensor<768xf32>) -> tensor<8x768xf32> {
// CHECK-NEXT: ^bb0(%[[X:.*]]: tensor<8x768xf32>, %[[R:.*]]: tensor<8x768xf32>, %[[B:.*]]: tensor<768xf32>, %[[G:.*]]: tensor<768xf32>):
// CHECK-NEXT: %[[S:.*]] = ndr.add %[[X]], %[[R]] : tensor<8x768xf32>, tensor<8x768xf32>
// CHECK-NEXT: %[[SB:.*]] = ndr.add %[[S]], %[[B]] : tensor<8x768xf32>, tensor<768xf32>
// CHECK-NEXT: %[[Y:.*]] = ndr.layer_norm %[[SB]] gamma(%[[G]] : tensor<768xf32>) : tensor<8x768xf32>
// CHECK-NEXT: ndr.yield %[[Y]] : tensor<8x768xf32>
// CHECK-NEXT: }
// CHECK-NEXT: return %[[F]] : tensor<8x768xf32>
func.func @add_bias_layer_norm(%x: tensor<8x768xf32>, %r: tensor<8x768xf32>, %bias: tensor<768xf32>, %g: tensor<768xf32>) -> tensor<8x768xf32> {
  %0 = ndr.add %x, %r : tensor<8x768xf32>, tensor<8x768xf32>
  %1 = ndr.add %0, %bias : tensor<8x768xf32>, tensor<768xf32>
  %2 = ndr.layer_norm %1 gamma(%g : tensor<768xf32>) : tensor<8x768xf32>
  return %2 : tensor<8x768xf32>
}

// A prologue of activations and products: gelu(x) * s joins the rms_norm.
// CHECK-LABEL: func @gelu_mul_prologue
// CHECK-NEXT: %[[F:.*]] = ndr.fusion ins(%arg0, %arg1 : tensor<4x16xf32>, tensor<4x16xf32>) -> tensor<4x16xf32> {
// CHECK-NEXT: ^bb0(%[[X:.*]]: tensor<4x16xf32>, %[[S:.*]]: tensor<4x16xf32>):
// CHECK-NEXT: %[[A:.*]] = ndr.gelu %[[X]] : tensor<4x16xf32>
// CHECK-NEXT: %[[M:.*]] = ndr.mul %[[A]], %[[S]] : tensor<4x16xf32>, tensor<4x16xf32>
// CHECK-NEXT: %[[Y:.*]] = ndr.rms_norm %[[M]] : tensor<4x16xf32>
// CHECK-NEXT: ndr.yield %[[Y]] : tensor<4x16xf32>
// CHECK-NEXT: }
// CHECK-NEXT: return %[[F]]
func.func @gelu_mul_prologue(%x: tensor<4x16xf32>, %s: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %0 = ndr.gelu %x : tensor<4x16xf32>
  %1 = ndr.mul %0, %s : tensor<4x16xf32>, tensor<4x16xf32>
  %2 = ndr.rms_norm %1 : tensor<4x16xf32>
  return %2 : tensor<4x16xf32>
}

// An epilogue: the relu of the norm joins it; only the relu is a result,
// since the norm's value is not used outside.
// CHECK-LABEL: func @relu_epilogue
// CHECK-NEXT: %[[F:.*]] = ndr.fusion ins(%arg0 : tensor<4x16xf32>) -> tensor<4x16xf32> {
// CHECK-NEXT: ^bb0(%[[X:.*]]: tensor<4x16xf32>):
// CHECK-NEXT: %[[Y:.*]] = ndr.layer_norm %[[X]] : tensor<4x16xf32>
// CHECK-NEXT: %[[Z:.*]] = ndr.relu %[[Y]] : tensor<4x16xf32>
// CHECK-NEXT: ndr.yield %[[Z]] : tensor<4x16xf32>
// CHECK-NEXT: }
// CHECK-NEXT: return %[[F]]
func.func @relu_epilogue(%x: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %0 = ndr.layer_norm %x : tensor<4x16xf32>
  %1 = ndr.relu %0 : tensor<4x16xf32>
  return %1 : tensor<4x16xf32>
}

// Pre-norm: the sum is used after the norm too, so it becomes a second result
// of the group (written once by the kernel, never recomputed).
// CHECK-LABEL: func @sum_is_a_result
// CHECK-NEXT: %[[F:.*]]:2 = ndr.fusion ins(%arg0, %arg1 : tensor<4x16xf32>, tensor<4x16xf32>) -> tensor<4x16xf32>, tensor<4x16xf32> {
// CHECK-NEXT: ^bb0(%[[X:.*]]: tensor<4x16xf32>, %[[R:.*]]: tensor<4x16xf32>):
// CHECK-NEXT: %[[S:.*]] = ndr.add %[[X]], %[[R]]
// CHECK-NEXT: %[[Y:.*]] = ndr.layer_norm %[[S]]
// CHECK-NEXT: ndr.yield %[[S]], %[[Y]] : tensor<4x16xf32>, tensor<4x16xf32>
// CHECK-NEXT: }
// CHECK-NEXT: return %[[F]]#1, %[[F]]#0
func.func @sum_is_a_result(%x: tensor<4x16xf32>, %r: tensor<4x16xf32>) -> (tensor<4x16xf32>, tensor<4x16xf32>) {
  %s = ndr.add %x, %r : tensor<4x16xf32>, tensor<4x16xf32>
  %y = ndr.layer_norm %s : tensor<4x16xf32>
  return %y, %s : tensor<4x16xf32>, tensor<4x16xf32>
}

// The sum also feeds the residual add of the next sublayer, after a linear
// of the norm: the sum is a result; the next add cannot join (the linear,
// which uses the norm, would stand between the group's ops) and forms a group
// of its own after the linear.
// CHECK-LABEL: func @sum_used_by_next_block
// CHECK-NEXT: %[[F:.*]]:2 = ndr.fusion ins(%arg0, %arg1 : tensor<4x16xf32>, tensor<4x16xf32>) -> tensor<4x16xf32>, tensor<4x16xf32> {
// CHECK: ndr.yield %[[S:.*]], %[[Y:.*]] : tensor<4x16xf32>, tensor<4x16xf32>
// CHECK: %[[H:.*]] = ndr.linear %[[F]]#1, %arg2
// CHECK-NEXT: %[[O:.*]] = ndr.fusion ins(%[[F]]#0, %[[H]] : tensor<4x16xf32>, tensor<4x16xf32>) -> tensor<4x16xf32> {
// CHECK-NEXT: ^bb0(%[[A:.*]]: tensor<4x16xf32>, %[[B:.*]]: tensor<4x16xf32>):
// CHECK-NEXT: %[[T:.*]] = ndr.add %[[A]], %[[B]]
// CHECK-NEXT: ndr.yield %[[T]]
// CHECK-NEXT: }
// CHECK-NEXT: return %[[F]]#1, %[[O]]
func.func @sum_used_by_next_block(%x: tensor<4x16xf32>, %r: tensor<4x16xf32>, %w: tensor<16x16xf32>) -> (tensor<4x16xf32>, tensor<4x16xf32>) {
  %s = ndr.add %x, %r : tensor<4x16xf32>, tensor<4x16xf32>
  %y = ndr.layer_norm %s : tensor<4x16xf32>
  %h = ndr.linear %y, %w : tensor<4x16xf32>, tensor<16x16xf32>
  // expected-remark-re @+1 {{not fused with the ndr.layer_norm at loc({{.*}}): a value of the group would be used before the group ends}}
  %o = ndr.add %s, %h : tensor<4x16xf32>, tensor<4x16xf32>
  return %y, %o : tensor<4x16xf32>, tensor<4x16xf32>
}

// fused_add_norm roots a group too; the producers of its input and of its
// residual join it.
// CHECK-LABEL: func @fused_add_norm_root
// CHECK-NEXT: %[[F:.*]] = ndr.fusion ins(
// CHECK-NEXT: ^bb0(
// CHECK-DAG: %[[A:.*]] = ndr.gelu
// CHECK-DAG: %[[M:.*]] = ndr.mul
// CHECK: ndr.fused_add_norm rms
// CHECK-NEXT: ndr.yield
// CHECK-NEXT: }
// CHECK-NEXT: return %[[F]]
func.func @fused_add_norm_root(%h: tensor<4x16xf32>, %x: tensor<4x16xf32>, %s: tensor<4x16xf32>, %g: tensor<16xf32>) -> tensor<4x16xf32> {
  %a = ndr.gelu %h : tensor<4x16xf32>
  %m = ndr.mul %x, %s : tensor<4x16xf32>, tensor<4x16xf32>
  %y = ndr.fused_add_norm rms %a residual(%m : tensor<4x16xf32>) gamma(%g : tensor<16xf32>) eps = 1.0e-6 : tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// Without a norm: the bias add and the gelu after a linear are one group.
// CHECK-LABEL: func @bias_gelu
// CHECK-NEXT: %[[H:.*]] = ndr.linear %arg0, %arg1
// CHECK-NEXT: %[[F:.*]] = ndr.fusion ins(%[[H]], %arg2 : tensor<4x32xf32>, tensor<32xf32>) -> tensor<4x32xf32> {
// CHECK-NEXT: ^bb0(%[[A:.*]]: tensor<4x32xf32>, %[[B:.*]]: tensor<32xf32>):
// CHECK-NEXT: %[[S:.*]] = ndr.add %[[A]], %[[B]] : tensor<4x32xf32>, tensor<32xf32>
// CHECK-NEXT: %[[G:.*]] = ndr.gelu %[[S]] : tensor<4x32xf32>
// CHECK-NEXT: ndr.yield %[[G]] : tensor<4x32xf32>
// CHECK-NEXT: }
// CHECK-NEXT: return %[[F]]
func.func @bias_gelu(%x: tensor<4x16xf32>, %w: tensor<32x16xf32>, %b: tensor<32xf32>) -> tensor<4x32xf32> {
  %h = ndr.linear %x, %w : tensor<4x16xf32>, tensor<32x16xf32>
  %0 = ndr.add %h, %b : tensor<4x32xf32>, tensor<32xf32>
  %1 = ndr.gelu %0 : tensor<4x32xf32>
  return %1 : tensor<4x32xf32>
}

// A per-channel operand [C, 1] over [N, C, L] (a decomposed batch_norm) is
// one value per row of L: it fuses, without a norm and as a norm's prologue.
// CHECK-LABEL: func @per_channel
// CHECK-NEXT: %[[F:.*]] = ndr.fusion ins(%arg0, %arg1 : tensor<2x3x5xf32>, tensor<3x1xf32>) -> tensor<2x3x5xf32> {
// CHECK-NEXT: ^bb0(%[[X:.*]]: tensor<2x3x5xf32>, %[[S:.*]]: tensor<3x1xf32>):
// CHECK-NEXT: %[[M:.*]] = ndr.mul %[[X]], %[[S]] : tensor<2x3x5xf32>, tensor<3x1xf32>
// CHECK-NEXT: %[[R:.*]] = ndr.relu %[[M]] : tensor<2x3x5xf32>
// CHECK-NEXT: ndr.yield %[[R]]
// CHECK-NEXT: }
// CHECK-NEXT: return %[[F]]
func.func @per_channel(%x: tensor<2x3x5xf32>, %s: tensor<3x1xf32>) -> tensor<2x3x5xf32> {
  %0 = ndr.mul %x, %s : tensor<2x3x5xf32>, tensor<3x1xf32>
  %1 = ndr.relu %0 : tensor<2x3x5xf32>
  return %1 : tensor<2x3x5xf32>
}

// CHECK-LABEL: func @per_channel_prologue
// CHECK-NEXT: %[[F:.*]] = ndr.fusion ins(%arg0, %arg1 : tensor<2x3x5xf32>, tensor<3x1xf32>) -> tensor<2x3x5xf32> {
// CHECK-NEXT: ^bb0(
// CHECK-NEXT: %[[M:.*]] = ndr.add
// CHECK-NEXT: %[[Y:.*]] = ndr.layer_norm %[[M]] : tensor<2x3x5xf32>
// CHECK-NEXT: ndr.yield %[[Y]]
func.func @per_channel_prologue(%x: tensor<2x3x5xf32>, %s: tensor<3x1xf32>) -> tensor<2x3x5xf32> {
  %0 = ndr.add %x, %s : tensor<2x3x5xf32>, tensor<3x1xf32>
  %1 = ndr.layer_norm %0 : tensor<2x3x5xf32>
  return %1 : tensor<2x3x5xf32>
}

// Train-mode dropout moves into the group with its p and stream, so the
// kernel draws the same mask as the op would.
// CHECK-LABEL: func @dropout_in_group
// CHECK-NEXT: %[[F:.*]] = ndr.fusion ins(%arg1, %arg0 : tensor<4x16xf32>, tensor<4x16xf32>) -> tensor<4x16xf32> {
// CHECK-NEXT: ^bb0(%[[R:.*]]: tensor<4x16xf32>, %[[X:.*]]: tensor<4x16xf32>):
// CHECK-NEXT: %[[D:.*]] = ndr.dropout %[[R]], p = 1.000000e-01, stream = 5 : tensor<4x16xf32>
// CHECK-NEXT: %[[S:.*]] = ndr.add %[[X]], %[[D]]
// CHECK-NEXT: %[[Y:.*]] = ndr.layer_norm %[[S]]
// CHECK-NEXT: ndr.yield %[[Y]]
func.func @dropout_in_group(%x: tensor<4x16xf32>, %r: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %d = ndr.dropout %r, p = 0.1, stream = 5 : tensor<4x16xf32>
  %0 = ndr.add %x, %d : tensor<4x16xf32>, tensor<4x16xf32>
  %1 = ndr.layer_norm %0 : tensor<4x16xf32>
  return %1 : tensor<4x16xf32>
}

// Must not fuse: the relu of a [768] bias would run once per element of
// [4, 768] inside the group; it forms a group of its own, whose result the
// norm's group reads as an operand.
// CHECK-LABEL: func @smaller_shape_stays_out
// CHECK-NEXT: %[[B:.*]] = ndr.fusion ins(%arg1 : tensor<768xf32>) -> tensor<768xf32> {
// CHECK-NEXT: ^bb0(%[[A:.*]]: tensor<768xf32>):
// CHECK-NEXT: %[[R:.*]] = ndr.relu %[[A]] : tensor<768xf32>
// CHECK-NEXT: ndr.yield %[[R]] : tensor<768xf32>
// CHECK-NEXT: }
// CHECK-NEXT: %[[F:.*]] = ndr.fusion ins(%arg0, %[[B]] : tensor<4x768xf32>, tensor<768xf32>) -> tensor<4x768xf32> {
// CHECK-NEXT: ^bb0(
// CHECK-NEXT: ndr.add
// CHECK-NEXT: ndr.layer_norm
// CHECK-NEXT: ndr.yield
// CHECK-NEXT: }
// CHECK-NEXT: return %[[F]]
func.func @smaller_shape_stays_out(%x: tensor<4x768xf32>, %b: tensor<768xf32>) -> tensor<4x768xf32> {
  // expected-remark-re @+1 {{not fused with the ndr.layer_norm at loc({{.*}}): its result [768] is broadcast into the group's [4, 768], so it runs once, outside, instead of once per element}}
  %rb = ndr.relu %b : tensor<768xf32>
  %0 = ndr.add %x, %rb : tensor<4x768xf32>, tensor<768xf32>
  %1 = ndr.layer_norm %0 : tensor<4x768xf32>
  return %1 : tensor<4x768xf32>
}

// Must not share a group: two norms in a chain. The relu between them is the
// first norm's epilogue.
// CHECK-LABEL: func @two_norms
// CHECK-NEXT: %[[F1:.*]] = ndr.fusion ins(%arg0 : tensor<4x16xf32>) -> tensor<4x16xf32> {
// CHECK-NEXT: ^bb0(
// CHECK-NEXT: ndr.layer_norm
// CHECK-NEXT: ndr.relu
// CHECK-NEXT: ndr.yield
// CHECK-NEXT: }
// CHECK-NEXT: %[[F2:.*]] = ndr.fusion ins(%[[F1]] : tensor<4x16xf32>) -> tensor<4x16xf32> {
// CHECK-NEXT: ^bb0(
// CHECK-NEXT: ndr.rms_norm
// CHECK-NEXT: ndr.yield
// CHECK-NEXT: }
// CHECK-NEXT: return %[[F2]]
func.func @two_norms(%x: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %0 = ndr.layer_norm %x : tensor<4x16xf32>
  // expected-remark-re @+1 {{not fused with the ndr.rms_norm at loc({{.*}}): it belongs to another group (two norms never share one)}}
  %1 = ndr.relu %0 : tensor<4x16xf32>
  %2 = ndr.rms_norm %1 : tensor<4x16xf32>
  return %2 : tensor<4x16xf32>
}

// Must not fuse: the sum is used by a linear that comes before the norm, the
// group's last op; with the sum inside, the group would have to stand both
// before the linear and after it. The add that uses the linear joins the
// norm; the sum forms a group of its own.
// CHECK-LABEL: func @producer_used_early
// CHECK-NEXT: %[[S:.*]] = ndr.fusion ins(%arg0, %arg1 : tensor<4x16xf32>, tensor<4x16xf32>) -> tensor<4x16xf32> {
// CHECK-NEXT: ^bb0(
// CHECK-NEXT: ndr.add
// CHECK-NEXT: ndr.yield
// CHECK-NEXT: }
// CHECK-NEXT: %[[H:.*]] = ndr.linear %[[S]], %arg2
// CHECK-NEXT: %[[F:.*]] = ndr.fusion ins(%[[S]], %[[H]] : tensor<4x16xf32>, tensor<4x16xf32>) -> tensor<4x16xf32> {
// CHECK-NEXT: ^bb0(
// CHECK-NEXT: ndr.add
// CHECK-NEXT: ndr.layer_norm
// CHECK-NEXT: ndr.yield
// CHECK-NEXT: }
// CHECK-NEXT: return %[[F]]
func.func @producer_used_early(%x: tensor<4x16xf32>, %r: tensor<4x16xf32>, %w: tensor<16x16xf32>) -> tensor<4x16xf32> {
  // expected-remark-re @+1 {{not fused with the ndr.layer_norm at loc({{.*}}): a value of the group would be used before the group ends}}
  %s = ndr.add %x, %r : tensor<4x16xf32>, tensor<4x16xf32>
  %h = ndr.linear %s, %w : tensor<4x16xf32>, tensor<16x16xf32>
  %t = ndr.add %s, %h : tensor<4x16xf32>, tensor<4x16xf32>
  %y = ndr.layer_norm %t : tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// Must not fuse: with rows of [3, 4] (normalized_rank = 2), a [2, 3, 1]
// operand varies along part of each row and across rows, which a row kernel
// cannot read. Without the norm the mul's rows are the last dimension, over
// which the operand is one value per row: it forms a group of its own.
// CHECK-LABEL: func @mixed_operand
// CHECK-NEXT: %[[M:.*]] = ndr.fusion ins(%arg0, %arg1 : tensor<2x3x4xf32>, tensor<2x3x1xf32>) -> tensor<2x3x4xf32> {
// CHECK-NEXT: ^bb0(
// CHECK-NEXT: ndr.mul
// CHECK-NEXT: ndr.yield
// CHECK-NEXT: }
// CHECK-NEXT: %[[F:.*]] = ndr.fusion ins(%[[M]] : tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
// CHECK-NEXT: ^bb0(
// CHECK-NEXT: ndr.layer_norm %{{.*}} normalized_rank = 2
// CHECK-NEXT: ndr.yield
func.func @mixed_operand(%x: tensor<2x3x4xf32>, %s: tensor<2x3x1xf32>) -> tensor<2x3x4xf32> {
  // expected-remark-re @+1 {{not fused with the ndr.layer_norm at loc({{.*}}): operand #1 of shape [2, 3, 1] varies along part of each row and across rows}}
  %0 = ndr.mul %x, %s : tensor<2x3x4xf32>, tensor<2x3x1xf32>
  %1 = ndr.layer_norm %0 normalized_rank = 2 : tensor<2x3x4xf32>
  return %1 : tensor<2x3x4xf32>
}

// Ops that are not elementwise (linear, batch_norm) never join; no remark.
// CHECK-LABEL: func @batch_norm_stays_out
// CHECK-NEXT: %[[A:.*]] = ndr.fusion
// CHECK: %[[N:.*]] = ndr.batch_norm %[[A]]
// CHECK-NEXT: %[[R:.*]] = ndr.fusion ins(%[[N]] : tensor<4x8xf32>)
// CHECK-NEXT: ^bb0(
// CHECK-NEXT: ndr.relu
func.func @batch_norm_stays_out(%x: tensor<4x8xf32>, %m: tensor<8xf32>) -> tensor<4x8xf32> {
  %0 = ndr.add %x, %x : tensor<4x8xf32>, tensor<4x8xf32>
  %1 = ndr.batch_norm %0 stats(%m, %m : tensor<8xf32>) : tensor<4x8xf32>
  %2 = ndr.relu %1 : tensor<4x8xf32>
  return %2 : tensor<4x8xf32>
}

// Ops already inside an ndr.fusion are left alone: the group is kept as
// written (its relu is not regrouped with anything) and the relu after it
// forms a new group that reads its result.
// CHECK-LABEL: func @already_grouped
// CHECK-NEXT: %[[F:.*]] = ndr.fusion ins(%arg0, %arg1 : tensor<4x16xf32>, tensor<16xf32>) -> tensor<4x16xf32> attributes {tag = "by hand"} {
// CHECK-NEXT: ^bb0(%[[X:.*]]: tensor<4x16xf32>, %[[G:.*]]: tensor<16xf32>):
// CHECK-NEXT: %[[R:.*]] = ndr.relu %[[X]]
// CHECK-NEXT: %[[Y:.*]] = ndr.layer_norm %[[R]] gamma(%[[G]] : tensor<16xf32>)
// CHECK-NEXT: ndr.yield %[[Y]]
// CHECK-NEXT: }
// CHECK-NEXT: %[[T:.*]] = ndr.fusion ins(%[[F]] : tensor<4x16xf32>) -> tensor<4x16xf32> {
// CHECK-NEXT: ^bb0(%[[A:.*]]: tensor<4x16xf32>):
// CHECK-NEXT: %[[Z:.*]] = ndr.tanh %[[A]]
// CHECK-NEXT: ndr.yield %[[Z]]
// CHECK-NEXT: }
// CHECK-NEXT: return %[[T]]
func.func @already_grouped(%x: tensor<4x16xf32>, %g: tensor<16xf32>) -> tensor<4x16xf32> {
  %0 = ndr.fusion ins(%x, %g : tensor<4x16xf32>, tensor<16xf32>) -> tensor<4x16xf32> attributes {tag = "by hand"} {
  ^bb0(%a: tensor<4x16xf32>, %b: tensor<16xf32>):
    %1 = ndr.relu %a : tensor<4x16xf32>
    %2 = ndr.layer_norm %1 gamma(%b : tensor<16xf32>) : tensor<4x16xf32>
    ndr.yield %2 : tensor<4x16xf32>
  }
  %3 = ndr.tanh %0 : tensor<4x16xf32>
  return %3 : tensor<4x16xf32>
}

// An elementwise op whose value is not used: whatever the pass makes of it,
// its output must parse again (the last RUN line reads it back).
// CHECK-LABEL: func @unused_value
// CHECK: return %arg0
func.func @unused_value(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = ndr.relu %x : tensor<4x8xf32>
  return %x : tensor<4x8xf32>
}
