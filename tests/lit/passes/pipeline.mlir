// RUN: ndr-opt %s --ndr-optimize=mode=infer -verify-diagnostics | FileCheck %s --check-prefix=INFER
// RUN: ndr-opt %s --ndr-optimize=mode=train -verify-diagnostics | FileCheck %s --check-prefix=TRAIN

// The ndrc pipeline on the models users write, in both modes.

// Post-norm FFN: at inference dropout disappears and the residual add and the
// bias fuse into the layer_norm; in training the dropout moves in with its
// stream. The gelu is a group of its own, the fused norm another.
// INFER-LABEL: func.func @ffn_post_ln
// INFER: ndr.fusion
// INFER: ndr.gelu
// INFER: %[[H:.*]] = ndr.linear %{{.*}}, %{{.*}} : tensor<4x32xf32>, tensor<16x32xf32>
// INFER-NEXT: %[[F:.*]] = ndr.fusion ins(%[[H]], %{{.*}}, %arg0, %{{.*}}, %{{.*}} :
// INFER-NEXT: ^bb0(%[[A:.*]]: tensor<4x16xf32>, %[[B:.*]]: tensor<16xf32>, %[[R:.*]]: tensor<4x16xf32>,
// INFER-NEXT: %[[Y:.*]] = ndr.fused_add_norm layer %[[A]] bias(%[[B]] : tensor<16xf32>) residual(%[[R]] : tensor<4x16xf32>) gamma(%{{.*}}) beta(%{{.*}}) eps
// INFER-NEXT: ndr.yield %[[Y]]
// INFER: return %[[F]]
// TRAIN-LABEL: func.func @ffn_post_ln
// TRAIN: ndr.fused_add_norm layer %{{.*}} bias(%{{.*}} : tensor<16xf32>) residual(%{{.*}} : tensor<4x16xf32>) dropout(p = 1.000000e-01, stream = 0)
func.func @ffn_post_ln(%x: tensor<4x16xf32> {ndr.input = "x"},
                       %w1: tensor<32x16xf32> {ndr.param = "w1"}, %b1: tensor<32xf32> {ndr.param = "b1"},
                       %w2: tensor<16x32xf32> {ndr.param = "w2"}, %b2: tensor<16xf32> {ndr.param = "b2"},
                       %g: tensor<16xf32> {ndr.param = "g"}, %b: tensor<16xf32> {ndr.param = "b"})
    -> (tensor<4x16xf32> {ndr.output = "y"}) attributes {ndr.model} {
  %0 = ndr.linear %x, %w1, %b1 : tensor<4x16xf32>, tensor<32x16xf32>, tensor<32xf32>
  %1 = ndr.gelu %0 : tensor<4x32xf32>
  %2 = ndr.linear %1, %w2 : tensor<4x32xf32>, tensor<16x32xf32>
  %3 = ndr.add %2, %b2 : tensor<4x16xf32>, tensor<16xf32>
  %4 = ndr.dropout %3, p = 0.1, stream = 0 : tensor<4x16xf32>
  %5 = ndr.add %x, %4 : tensor<4x16xf32>, tensor<4x16xf32>
  %y = ndr.layer_norm %5 gamma(%g : tensor<16xf32>) beta(%b : tensor<16xf32>) : tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// Residual MLP with BatchNorm: at inference the batch_norm folds into the
// linear and the folded weights are computed once, in the init function.
// In training nothing folds, and dropout before the batch_norm is reported
// in both modes.
// INFER-LABEL: func.func @mlp_bn
// INFER-SAME: {ndr.derived = "d0"}
// INFER-SAME: {ndr.derived = "d1"}
// INFER-SAME: ndr.param_init = @mlp_bn_init
// INFER-NOT: ndr.batch_norm
// INFER-NOT: ndr.dropout
// INFER: ndr.linear %arg0, %arg7, %arg8
// INFER: ndr.fusion
// INFER: ndr.relu
// INFER: ndr.add
// INFER-LABEL: func.func @mlp_bn_init
// INFER-COUNT-2: linalg.generic
// TRAIN-LABEL: func.func @mlp_bn
// TRAIN: ndr.dropout
// TRAIN: ndr.linear %{{.*}}, %arg1, %arg2
// TRAIN: ndr.batch_norm
// TRAIN-NOT: @mlp_bn_init
func.func @mlp_bn(%x: tensor<8x16xf32> {ndr.input = "x"},
                  %w: tensor<16x16xf32> {ndr.param = "w"}, %bias: tensor<16xf32> {ndr.param = "bias"},
                  %m: tensor<16xf32> {ndr.param = "mean"}, %v: tensor<16xf32> {ndr.param = "var"},
                  %g: tensor<16xf32> {ndr.param = "g"}, %b: tensor<16xf32> {ndr.param = "b"})
    -> (tensor<8x16xf32> {ndr.output = "y"}) attributes {ndr.model} {
  // expected-warning @+1 {{variance shift: ndr.dropout with p = 0.2 feeds a batch_norm}}
  %0 = ndr.dropout %x, p = 0.2, stream = 0 : tensor<8x16xf32>
  %1 = ndr.linear %0, %w, %bias : tensor<8x16xf32>, tensor<16x16xf32>, tensor<16xf32>
  // expected-note @+1 {{this batch_norm learned its running statistics with the dropout active}}
  %2 = ndr.batch_norm %1 stats(%m, %v : tensor<16xf32>) gamma(%g : tensor<16xf32>) beta(%b : tensor<16xf32>) : tensor<8x16xf32>
  %3 = ndr.relu %2 : tensor<8x16xf32>
  %4 = ndr.add %x, %3 : tensor<8x16xf32>, tensor<8x16xf32>
  return %4 : tensor<8x16xf32>
}

// Pre-norm RMSNorm block: the sum feeds the next block, so the fused op
// returns it.
// INFER-LABEL: func.func @pre_norm_rms
// INFER: %[[F:.*]]:2 = ndr.fusion ins(%arg1, %arg0, %arg2
// INFER: %[[Y:.*]], %[[S:.*]] = ndr.fused_add_norm rms %{{.*}} residual(%{{.*}} : tensor<2x8xf32>) gamma(%{{.*}} : tensor<8xf32>) eps = 9.99999997E-7 : tensor<2x8xf32>, tensor<2x8xf32>
// INFER: ndr.yield %[[Y]], %[[S]]
// INFER: return %[[F]]#0, %[[F]]#1
func.func @pre_norm_rms(%x: tensor<2x8xf32> {ndr.input = "x"}, %h: tensor<2x8xf32> {ndr.input = "h"}, %g: tensor<8xf32> {ndr.param = "g"})
    -> (tensor<2x8xf32> {ndr.output = "y"}, tensor<2x8xf32> {ndr.output = "s"}) attributes {ndr.model} {
  %s = ndr.add %x, %h : tensor<2x8xf32>, tensor<2x8xf32>
  %y = ndr.rms_norm %s gamma(%g : tensor<8xf32>) : tensor<2x8xf32>
  return %y, %s : tensor<2x8xf32>, tensor<2x8xf32>
}
