// RUN: ndr-opt %s --ndr-fuse-add-norm | FileCheck %s
// RUN: ndr-opt %s --ndr-fuse-add-norm --ndr-fuse-add-norm | FileCheck %s
// RUN: ndr-opt %s --ndr-fuse-add-norm=remarks=true -verify-diagnostics -o /dev/null

// Every form that fuses, for layer_norm and rms_norm; every form that must
// not; running the pass twice gives the same IR; with remarks=true each
// unfused candidate says why.

// CHECK-LABEL: func @plain
// CHECK-NEXT: %[[Y:.*]] = ndr.fused_add_norm layer %arg1 residual(%arg0 : tensor<8x768xf32>) gamma(%arg2 : tensor<768xf32>) beta(%arg3 : tensor<768xf32>) eps = 9.99999974E-6 : tensor<8x768xf32>
// CHECK-NEXT: return %[[Y]]
func.func @plain(%a: tensor<8x768xf32>, %b: tensor<8x768xf32>, %g: tensor<768xf32>, %bt: tensor<768xf32>) -> tensor<8x768xf32> {
  %0 = ndr.add %a, %b : tensor<8x768xf32>, tensor<8x768xf32>
  %1 = ndr.layer_norm %0 gamma(%g : tensor<768xf32>) beta(%bt : tensor<768xf32>) : tensor<8x768xf32>
  return %1 : tensor<8x768xf32>
}

// CHECK-LABEL: func @rms_plain
// CHECK-NEXT: ndr.fused_add_norm rms %arg1 residual(%arg0 : tensor<2x3xf16>) gamma(%arg2 : tensor<3xf16>) eps = 9.99999997E-7 : tensor<2x3xf16>
func.func @rms_plain(%a: tensor<2x3xf16>, %b: tensor<2x3xf16>, %g: tensor<3xf16>) -> tensor<2x3xf16> {
  %0 = ndr.add %a, %b : tensor<2x3xf16>, tensor<2x3xf16>
  %1 = ndr.rms_norm %0 gamma(%g : tensor<3xf16>) : tensor<2x3xf16>
  return %1 : tensor<2x3xf16>
}

// The dropout on either side of the add moves in with its p and stream.
// CHECK-LABEL: func @dropout_right
// CHECK-NEXT: ndr.fused_add_norm layer %arg1 residual(%arg0 : tensor<4x8xf32>) dropout(p = 1.000000e-01, stream = 7) eps = 9.99999974E-6 : tensor<4x8xf32>
// CHECK-NOT: ndr.dropout
func.func @dropout_right(%x: tensor<4x8xf32>, %h: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %d = ndr.dropout %h, p = 0.1, stream = 7 : tensor<4x8xf32>
  %0 = ndr.add %x, %d : tensor<4x8xf32>, tensor<4x8xf32>
  %1 = ndr.layer_norm %0 : tensor<4x8xf32>
  return %1 : tensor<4x8xf32>
}

// CHECK-LABEL: func @dropout_left
// CHECK-NEXT: ndr.fused_add_norm rms %arg1 residual(%arg0 : tensor<4x8xf32>) dropout(p = 2.500000e-01, stream = 2) eps = 9.99999997E-7 : tensor<4x8xf32>
func.func @dropout_left(%x: tensor<4x8xf32>, %h: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %d = ndr.dropout %h, p = 0.25, stream = 2 : tensor<4x8xf32>
  %0 = ndr.add %d, %x : tensor<4x8xf32>, tensor<4x8xf32>
  %1 = ndr.rms_norm %0 : tensor<4x8xf32>
  return %1 : tensor<4x8xf32>
}

// A bias over the row, in either operand order of both adds.
// CHECK-LABEL: func @bias
// CHECK-NEXT: ndr.fused_add_norm layer %arg1 bias(%arg2 : tensor<8xf32>) residual(%arg0 : tensor<4x8xf32>) eps = 9.99999974E-6 : tensor<4x8xf32>
// CHECK-NOT: ndr.add
func.func @bias(%x: tensor<4x8xf32>, %h: tensor<4x8xf32>, %b: tensor<8xf32>) -> tensor<4x8xf32> {
  %0 = ndr.add %b, %h : tensor<8xf32>, tensor<4x8xf32>
  %1 = ndr.add %0, %x : tensor<4x8xf32>, tensor<4x8xf32>
  %2 = ndr.layer_norm %1 : tensor<4x8xf32>
  return %2 : tensor<4x8xf32>
}

// The full post-norm sublayer: LN(x + dropout(h + b2)).
// CHECK-LABEL: func @bias_under_dropout
// CHECK-NEXT: ndr.fused_add_norm layer %arg1 bias(%arg2 : tensor<768xf32>) residual(%arg0 : tensor<2x4x768xf32>) dropout(p = 1.000000e-01, stream = 0) gamma(%arg3 : tensor<768xf32>) eps = 9.99999974E-6 : tensor<2x4x768xf32>
// CHECK-NEXT: return
func.func @bias_under_dropout(%x: tensor<2x4x768xf32>, %h: tensor<2x4x768xf32>, %b: tensor<768xf32>, %g: tensor<768xf32>) -> tensor<2x4x768xf32> {
  %0 = ndr.add %h, %b : tensor<2x4x768xf32>, tensor<768xf32>
  %1 = ndr.dropout %0, p = 0.1, stream = 0 : tensor<2x4x768xf32>
  %2 = ndr.add %x, %1 : tensor<2x4x768xf32>, tensor<2x4x768xf32>
  %3 = ndr.layer_norm %2 gamma(%g : tensor<768xf32>) : tensor<2x4x768xf32>
  return %3 : tensor<2x4x768xf32>
}

// A norm over two dimensions takes a bias over one or both of them.
// CHECK-LABEL: func @bias_two_dim_row
// CHECK-NEXT: ndr.fused_add_norm layer %arg1 bias(%arg2 : tensor<3x8xf32>) residual(%arg0 : tensor<2x3x8xf32>) eps = 9.99999974E-6 normalized_rank = 2 : tensor<2x3x8xf32>
func.func @bias_two_dim_row(%x: tensor<2x3x8xf32>, %h: tensor<2x3x8xf32>, %b: tensor<3x8xf32>) -> tensor<2x3x8xf32> {
  %0 = ndr.add %h, %b : tensor<2x3x8xf32>, tensor<3x8xf32>
  %1 = ndr.add %x, %0 : tensor<2x3x8xf32>, tensor<2x3x8xf32>
  %2 = ndr.layer_norm %1 normalized_rank = 2 : tensor<2x3x8xf32>
  return %2 : tensor<2x3x8xf32>
}

// Pre-norm: the sum also feeds the next block, so the fused op returns it.
// CHECK-LABEL: func @pre_norm
// CHECK-NEXT: %[[Y:.*]], %[[S:.*]] = ndr.fused_add_norm layer %arg1 residual(%arg0 : tensor<4x8xf32>) dropout(p = 1.000000e-01, stream = 1) gamma(%arg2 : tensor<8xf32>) eps = 9.99999974E-6 : tensor<4x8xf32>, tensor<4x8xf32>
// CHECK-NEXT: %[[R:.*]] = ndr.relu %[[S]]
// CHECK-NEXT: %[[T:.*]] = ndr.add %[[S]], %[[Y]]
// CHECK-NEXT: return %[[T]], %[[R]]
func.func @pre_norm(%x: tensor<4x8xf32>, %h: tensor<4x8xf32>, %g: tensor<8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %d = ndr.dropout %h, p = 0.1, stream = 1 : tensor<4x8xf32>
  %s = ndr.add %x, %d : tensor<4x8xf32>, tensor<4x8xf32>
  %r = ndr.relu %s : tensor<4x8xf32>
  %y = ndr.layer_norm %s gamma(%g : tensor<8xf32>) : tensor<4x8xf32>
  %t = ndr.add %s, %y : tensor<4x8xf32>, tensor<4x8xf32>
  return %t, %r : tensor<4x8xf32>, tensor<4x8xf32>
}

// Must not fire: the add broadcasts the residual.
// CHECK-LABEL: func @broadcast_residual
// CHECK: ndr.add
// CHECK: ndr.layer_norm
// CHECK-NOT: ndr.fused_add_norm
func.func @broadcast_residual(%x: tensor<4x8xf32>, %r: tensor<8xf32>) -> tensor<4x8xf32> {
  %0 = ndr.add %x, %r : tensor<4x8xf32>, tensor<8xf32>
  // expected-remark @+1 {{residual add not fused into this norm: the add broadcasts an operand; only a residual add of two tensors of the sum's type fuses}}
  %1 = ndr.layer_norm %0 : tensor<4x8xf32>
  return %1 : tensor<4x8xf32>
}

// Must not absorb: the bias spans more than the normalized row; the residual
// add still fuses, with the bias add as its input.
// CHECK-LABEL: func @bias_spans_rows
// CHECK-NEXT: %[[B:.*]] = ndr.add %arg1, %arg2 : tensor<2x3x8xf32>, tensor<3x8xf32>
// CHECK-NEXT: ndr.fused_add_norm rms %[[B]] residual(%arg0 : tensor<2x3x8xf32>) eps
func.func @bias_spans_rows(%x: tensor<2x3x8xf32>, %h: tensor<2x3x8xf32>, %b: tensor<3x8xf32>) -> tensor<2x3x8xf32> {
  %0 = ndr.add %h, %b : tensor<2x3x8xf32>, tensor<3x8xf32>
  %1 = ndr.add %x, %0 : tensor<2x3x8xf32>, tensor<2x3x8xf32>
  %2 = ndr.rms_norm %1 : tensor<2x3x8xf32>
  return %2 : tensor<2x3x8xf32>
}

// Must not absorb a dropout or bias add with other users (that would compute
// them twice); the residual add still fuses.
// CHECK-LABEL: func @shared_dropout
// CHECK-NEXT: %[[D:.*]] = ndr.dropout
// CHECK-NEXT: %[[Y:.*]] = ndr.fused_add_norm layer %[[D]] residual(%arg0 : tensor<4x8xf32>) eps
// CHECK-NEXT: return %[[Y]], %[[D]]
func.func @shared_dropout(%x: tensor<4x8xf32>, %h: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %d = ndr.dropout %h, p = 0.1, stream = 0 : tensor<4x8xf32>
  %0 = ndr.add %x, %d : tensor<4x8xf32>, tensor<4x8xf32>
  %1 = ndr.layer_norm %0 : tensor<4x8xf32>
  return %1, %d : tensor<4x8xf32>, tensor<4x8xf32>
}

// Must not fire: a user of the sum comes before the norm's gamma exists.
// CHECK-LABEL: func @gamma_defined_late
// CHECK: ndr.add
// CHECK: ndr.layer_norm
// CHECK-NOT: ndr.fused_add_norm
func.func @gamma_defined_late(%x: tensor<4x8xf32>, %h: tensor<4x8xf32>, %g0: tensor<8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %s = ndr.add %x, %h : tensor<4x8xf32>, tensor<4x8xf32>
  %r = ndr.relu %s : tensor<4x8xf32>
  %g = ndr.relu %g0 : tensor<8xf32>
  // expected-remark @+1 {{residual add not fused into this norm: a user of the sum comes before the norm's parameters are defined}}
  %y = ndr.layer_norm %s gamma(%g : tensor<8xf32>) : tensor<4x8xf32>
  return %y, %r : tensor<4x8xf32>, tensor<4x8xf32>
}

// Must not fire: the early user is inside a region (an scf.if) before the
// gamma exists, not in the norm's block. Found by dominance: block order
// alone missed it and the sum's user ended up before its definition
// ("operand #0 does not dominate this use").
// CHECK-LABEL: func @gamma_defined_late_user_in_region
// CHECK: ndr.add
// CHECK: scf.if
// CHECK: ndr.layer_norm
// CHECK-NOT: ndr.fused_add_norm
func.func @gamma_defined_late_user_in_region(%x: tensor<4x8xf32>, %h: tensor<4x8xf32>, %g0: tensor<8xf32>, %c: i1) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %s = ndr.add %x, %h : tensor<4x8xf32>, tensor<4x8xf32>
  %u = scf.if %c -> tensor<4x8xf32> {
    %v = ndr.relu %s : tensor<4x8xf32>
    scf.yield %v : tensor<4x8xf32>
  } else {
    scf.yield %s : tensor<4x8xf32>
  }
  %g = ndr.relu %g0 : tensor<8xf32>
  // expected-remark @+1 {{residual add not fused into this norm: a user of the sum comes before the norm's parameters are defined}}
  %y = ndr.layer_norm %s gamma(%g : tensor<8xf32>) : tensor<4x8xf32>
  return %y, %u : tensor<4x8xf32>, tensor<4x8xf32>
}

// The same user in a region after the fused op's place: fuses, and the
// region reads the fused op's sum.
// CHECK-LABEL: func @user_in_region_after
// CHECK: %[[Y:.*]], %[[S:.*]] = ndr.fused_add_norm
// CHECK: scf.if
// CHECK: ndr.relu %[[S]]
func.func @user_in_region_after(%x: tensor<4x8xf32>, %h: tensor<4x8xf32>, %c: i1) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %s = ndr.add %x, %h : tensor<4x8xf32>, tensor<4x8xf32>
  %y = ndr.layer_norm %s : tensor<4x8xf32>
  %u = scf.if %c -> tensor<4x8xf32> {
    %v = ndr.relu %s : tensor<4x8xf32>
    scf.yield %v : tensor<4x8xf32>
  } else {
    scf.yield %s : tensor<4x8xf32>
  }
  return %y, %u : tensor<4x8xf32>, tensor<4x8xf32>
}

// Must not fire: the norm's input is not an add (an element-type conversion
// stands between them), so no remark either.
// CHECK-LABEL: func @types_differ
// CHECK: ndr.add
// CHECK: arith.extf
// CHECK: ndr.layer_norm
// CHECK-NOT: ndr.fused_add_norm
func.func @types_differ(%x: tensor<4x8xf16>, %h: tensor<4x8xf16>) -> tensor<4x8xf32> {
  %0 = ndr.add %x, %h : tensor<4x8xf16>, tensor<4x8xf16>
  %1 = arith.extf %0 : tensor<4x8xf16> to tensor<4x8xf32>
  %2 = ndr.layer_norm %1 : tensor<4x8xf32>
  return %2 : tensor<4x8xf32>
}

// Other norms are left alone.
// CHECK-LABEL: func @batch_norm_untouched
// CHECK: ndr.add
// CHECK: ndr.batch_norm
func.func @batch_norm_untouched(%x: tensor<4x8xf32>, %m: tensor<8xf32>) -> tensor<4x8xf32> {
  %0 = ndr.add %x, %x : tensor<4x8xf32>, tensor<4x8xf32>
  %1 = ndr.batch_norm %0 stats(%m, %m : tensor<8xf32>) : tensor<4x8xf32>
  return %1 : tensor<4x8xf32>
}
