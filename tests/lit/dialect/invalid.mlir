// RUN: ndr-opt %s -split-input-file -verify-diagnostics

// Every verifier rule of the ndr dialect, one case per message.

func.func @dropout_p_above_one(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'ndr.dropout' op p must be in [0, 1], got 1.5}}
  %0 = ndr.dropout %x, p = 1.5, stream = 0 : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @dropout_p_negative(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'ndr.dropout' op p must be in [0, 1], got -0.1}}
  %0 = ndr.dropout %x, p = -0.1, stream = 0 : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @drop_connect_p_nan(%w: tensor<4x4xf32>) -> tensor<4x4xf32> {
  // expected-error @+1 {{'ndr.drop_connect' op p must be in [0, 1], got nan}}
  %0 = ndr.drop_connect %w, p = 0x7FC00000, stream = 0 : tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

func.func @dropout_dynamic_shape(%x: tensor<?xf32>) -> tensor<?xf32> {
  // expected-error @+1 {{'ndr.dropout' op operand #0 must be static-shape tensor of f32, f16 or bf16 values, every dimension at least 1, at most 2^47 bytes, but got 'tensor<?xf32>'}}
  %0 = ndr.dropout %x, p = 0.5, stream = 0 : tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

func.func @relu_integer(%x: tensor<4xi32>) -> tensor<4xi32> {
  // expected-error @+1 {{'ndr.relu' op operand #0 must be static-shape tensor of f32, f16 or bf16 values, every dimension at least 1, at most 2^47 bytes, but got 'tensor<4xi32>'}}
  %0 = ndr.relu %x : tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

// A zero-size dimension: nothing to normalize, and row counts divide by it
// (the lowering died with SIGFPE when the verifier let it through).
func.func @zero_size(%x: tensor<2x0xf32>) -> tensor<2x0xf32> {
  // expected-error @+1 {{'ndr.layer_norm' op operand #0 must be static-shape tensor of f32, f16 or bf16 values, every dimension at least 1, at most 2^47 bytes, but got 'tensor<2x0xf32>'}}
  %0 = ndr.layer_norm %x : tensor<2x0xf32>
  return %0 : tensor<2x0xf32>
}

// -----

// More bytes than a 64-bit target can address (the element count alone
// overflows 64 bits).
func.func @too_large(%x: tensor<4294967296x4294967296xf32>) -> tensor<4294967296x4294967296xf32> {
  // expected-error @+1 {{'ndr.relu' op operand #0 must be static-shape tensor of f32, f16 or bf16 values, every dimension at least 1, at most 2^47 bytes}}
  %0 = ndr.relu %x : tensor<4294967296x4294967296xf32>
  return %0 : tensor<4294967296x4294967296xf32>
}

// -----

func.func @gelu_unknown_approximation(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{expected string or keyword containing one of the following enum values for attribute 'approximate' [none, tanh]}}
  %0 = ndr.gelu %x approximate = erf : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @add_not_broadcastable(%a: tensor<8x768xf32>, %b: tensor<512xf32>) -> tensor<8x768xf32> {
  // expected-error @+1 {{'ndr.add' op shapes [8, 768] and [512] do not broadcast}}
  %0 = ndr.add %a, %b : tensor<8x768xf32>, tensor<512xf32>
  return %0 : tensor<8x768xf32>
}

// -----

func.func @add_element_types(%a: tensor<8xf32>, %b: tensor<8xf16>) -> tensor<8xf32> {
  // expected-error @+1 {{'ndr.add' op operands have different element types 'f32' and 'f16'}}
  %0 = ndr.add %a, %b : tensor<8xf32>, tensor<8xf16>
  return %0 : tensor<8xf32>
}

// -----

func.func @mul_not_broadcastable(%a: tensor<2x3xf32>, %b: tensor<3x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{'ndr.mul' op shapes [2, 3] and [3, 3] do not broadcast}}
  %0 = ndr.mul %a, %b : tensor<2x3xf32>, tensor<3x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @add_wrong_result_type(%a: tensor<8x4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+2 {{'ndr.add' op inferred type(s) 'tensor<8x4xf32>' are incompatible with return type(s) of operation 'tensor<4xf32>'}}
  // expected-error @+1 {{'ndr.add' op failed to infer returned types}}
  %0 = "ndr.add"(%a, %b) : (tensor<8x4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @linear_weight_rank(%x: tensor<8x4xf32>, %w: tensor<4xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{'ndr.linear' op weight must be 2-D [out, in], got [4]}}
  %0 = ndr.linear %x, %w : tensor<8x4xf32>, tensor<4xf32>
  return %0 : tensor<8x4xf32>
}

// -----

func.func @linear_shapes_do_not_chain(%x: tensor<8x768xf32>, %w: tensor<3072x512xf32>) -> tensor<8x3072xf32> {
  // expected-error @+1 {{'ndr.linear' op input has 768 features but weight [3072, 512] takes 512}}
  %0 = ndr.linear %x, %w : tensor<8x768xf32>, tensor<3072x512xf32>
  return %0 : tensor<8x3072xf32>
}

// -----

func.func @linear_weight_element_type(%x: tensor<8x4xf32>, %w: tensor<2x4xbf16>) -> tensor<8x2xf32> {
  // expected-error @+1 {{'ndr.linear' op weight has element type 'bf16' but input has 'f32'}}
  %0 = ndr.linear %x, %w : tensor<8x4xf32>, tensor<2x4xbf16>
  return %0 : tensor<8x2xf32>
}

// -----

func.func @linear_bias_shape(%x: tensor<8x4xf32>, %w: tensor<2x4xf32>, %b: tensor<4xf32>) -> tensor<8x2xf32> {
  // expected-error @+1 {{'ndr.linear' op bias shape [4] must be [2] (the weight's out features)}}
  %0 = ndr.linear %x, %w, %b : tensor<8x4xf32>, tensor<2x4xf32>, tensor<4xf32>
  return %0 : tensor<8x2xf32>
}

// -----

func.func @linear_bias_element_type(%x: tensor<8x4xf16>, %w: tensor<2x4xf16>, %b: tensor<2xf32>) -> tensor<8x2xf16> {
  // expected-error @+1 {{'ndr.linear' op bias has element type 'f32' but input has 'f16'}}
  %0 = ndr.linear %x, %w, %b : tensor<8x4xf16>, tensor<2x4xf16>, tensor<2xf32>
  return %0 : tensor<8x2xf16>
}

// -----

func.func @linear_scalar_input(%x: tensor<f32>, %w: tensor<2x4xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{'ndr.linear' op input must have rank >= 1}}
  %0 = ndr.linear %x, %w : tensor<f32>, tensor<2x4xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @layer_norm_eps_zero(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{'ndr.layer_norm' op eps must be positive, got 0}}
  %0 = ndr.layer_norm %x eps = 0.0 : tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

func.func @layer_norm_gamma_shape(%x: tensor<2x8xf32>, %g: tensor<4xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{'ndr.layer_norm' op gamma shape [4] must equal the normalized dimensions [8] of the input}}
  %0 = ndr.layer_norm %x gamma(%g : tensor<4xf32>) : tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

func.func @layer_norm_beta_not_trailing(%x: tensor<2x8xf32>, %b: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{'ndr.layer_norm' op beta shape [2, 8] must equal the normalized dimensions [8] of the input}}
  %0 = ndr.layer_norm %x beta(%b : tensor<2x8xf32>) : tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

func.func @layer_norm_normalized_rank(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{'ndr.layer_norm' op normalized_rank must be in [1, 2] (the input's rank), got 3}}
  %0 = ndr.layer_norm %x normalized_rank = 3 : tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

func.func @layer_norm_element_types(%x: tensor<2x8xf32>, %g: tensor<8xf16>) -> tensor<2x8xf32> {
  // expected-error @+1 {{'ndr.layer_norm' op gamma has element type 'f16' but input has 'f32'}}
  %0 = ndr.layer_norm %x gamma(%g : tensor<8xf16>) : tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

func.func @layer_norm_result_type(%x: tensor<2x8xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{'ndr.layer_norm' op failed to verify that all of {input, result} have same type}}
  %0 = "ndr.layer_norm"(%x) {operandSegmentSizes = array<i32: 1, 0, 0>} : (tensor<2x8xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @rms_norm_eps_negative(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{'ndr.rms_norm' op eps must be positive, got -1e-06}}
  %0 = ndr.rms_norm %x eps = -1.0e-6 : tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

func.func @rms_norm_gamma_shape(%x: tensor<2x3x8xf32>, %g: tensor<3xf32>) -> tensor<2x3x8xf32> {
  // expected-error @+1 {{'ndr.rms_norm' op gamma shape [3] must equal the normalized dimensions [3, 8] of the input}}
  %0 = ndr.rms_norm %x gamma(%g : tensor<3xf32>) normalized_rank = 2 : tensor<2x3x8xf32>
  return %0 : tensor<2x3x8xf32>
}

// -----

func.func @rms_norm_normalized_rank_zero(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{'ndr.rms_norm' op normalized_rank must be in [1, 2] (the input's rank), got 0}}
  %0 = ndr.rms_norm %x normalized_rank = 0 : tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

func.func @rms_norm_element_types(%x: tensor<2x8xbf16>, %g: tensor<8xf32>) -> tensor<2x8xbf16> {
  // expected-error @+1 {{'ndr.rms_norm' op gamma has element type 'f32' but input has 'bf16'}}
  %0 = ndr.rms_norm %x gamma(%g : tensor<8xf32>) : tensor<2x8xbf16>
  return %0 : tensor<2x8xbf16>
}

// -----

func.func @batch_norm_rank_one(%x: tensor<8xf32>, %m: tensor<8xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{'ndr.batch_norm' op input must have rank >= 2 (batch and channels), got [8]}}
  %0 = ndr.batch_norm %x stats(%m, %m : tensor<8xf32>) : tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

func.func @batch_norm_axis(%x: tensor<4x8xf32>, %m: tensor<8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'ndr.batch_norm' op axis must be in [-2, 2), got 2}}
  %0 = ndr.batch_norm %x stats(%m, %m : tensor<8xf32>) axis = 2 : tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @batch_norm_eps(%x: tensor<4x8xf32>, %m: tensor<8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'ndr.batch_norm' op eps must be positive, got -1}}
  %0 = ndr.batch_norm %x stats(%m, %m : tensor<8xf32>) eps = -1.0 : tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @batch_norm_momentum(%x: tensor<4x8xf32>, %m: tensor<8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'ndr.batch_norm' op momentum must be in [0, 1], got 1.5}}
  %0 = ndr.batch_norm %x stats(%m, %m : tensor<8xf32>) momentum = 1.5 : tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @batch_norm_stats_shape(%x: tensor<4x8xf32>, %m: tensor<4xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'ndr.batch_norm' op running_mean shape [4] must be [8] (the input's channels along axis 1)}}
  %0 = ndr.batch_norm %x stats(%m, %m : tensor<4xf32>) : tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @batch_norm_channels_last(%x: tensor<4x3x8xf32>, %m: tensor<8xf32>, %g: tensor<3xf32>) -> tensor<4x3x8xf32> {
  // expected-error @+1 {{'ndr.batch_norm' op gamma shape [3] must be [8] (the input's channels along axis -1)}}
  %0 = ndr.batch_norm %x stats(%m, %m : tensor<8xf32>) gamma(%g : tensor<3xf32>) axis = -1 : tensor<4x3x8xf32>
  return %0 : tensor<4x3x8xf32>
}

// -----

func.func @batch_norm_beta_shape(%x: tensor<4x8xf32>, %m: tensor<8xf32>, %b: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'ndr.batch_norm' op beta shape [4, 8] must be [8] (the input's channels along axis 1)}}
  %0 = ndr.batch_norm %x stats(%m, %m : tensor<8xf32>) beta(%b : tensor<4x8xf32>) : tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @batch_norm_stats_types(%x: tensor<4x8xf32>, %m: tensor<8xf32>, %v: tensor<4xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'ndr.batch_norm' op failed to verify that all of {running_mean, running_var} have same type}}
  %0 = "ndr.batch_norm"(%x, %m, %v) {operandSegmentSizes = array<i32: 1, 1, 1, 0, 0>} : (tensor<4x8xf32>, tensor<8xf32>, tensor<4xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @batch_norm_element_types(%x: tensor<4x8xf16>, %m: tensor<8xf32>) -> tensor<4x8xf16> {
  // expected-error @+1 {{'ndr.batch_norm' op running_mean has element type 'f32' but input has 'f16'}}
  %0 = ndr.batch_norm %x stats(%m, %m : tensor<8xf32>) : tensor<4x8xf16>
  return %0 : tensor<4x8xf16>
}

// -----

func.func @fused_rms_with_beta(%x: tensor<2x8xf32>, %b: tensor<8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{'ndr.fused_add_norm' op rms norm takes no beta}}
  %0 = ndr.fused_add_norm rms %x beta(%b : tensor<8xf32>) eps = 1.0e-6 : tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

func.func @fused_p_without_stream(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{'ndr.fused_add_norm' op p and stream must be given together}}
  %0 = "ndr.fused_add_norm"(%x) <{kind = 0 : i32, eps = 1.0e-5 : f32, p = 0.5 : f32, operandSegmentSizes = array<i32: 1, 0, 0, 0, 0>}> : (tensor<2x8xf32>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

func.func @fused_p_range(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{'ndr.fused_add_norm' op p must be in [0, 1], got 2}}
  %0 = ndr.fused_add_norm layer %x dropout(p = 2.0, stream = 0) eps = 1.0e-5 : tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

func.func @fused_eps(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{'ndr.fused_add_norm' op eps must be positive, got 0}}
  %0 = ndr.fused_add_norm layer %x eps = 0.0 : tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

func.func @fused_bias_not_trailing(%x: tensor<2x8xf32>, %b: tensor<2xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{'ndr.fused_add_norm' op bias shape [2] must equal trailing dimensions of the normalized row [8]}}
  %0 = ndr.fused_add_norm layer %x bias(%b : tensor<2xf32>) eps = 1.0e-5 : tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

func.func @fused_bias_spans_rows(%x: tensor<2x3x8xf32>, %b: tensor<3x8xf32>) -> tensor<2x3x8xf32> {
  // expected-error @+1 {{'ndr.fused_add_norm' op bias shape [3, 8] must equal trailing dimensions of the normalized row [8]}}
  %0 = ndr.fused_add_norm layer %x bias(%b : tensor<3x8xf32>) eps = 1.0e-5 : tensor<2x3x8xf32>
  return %0 : tensor<2x3x8xf32>
}

// -----

func.func @fused_residual_broadcast(%x: tensor<2x8xf32>, %r: tensor<8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{'ndr.fused_add_norm' op residual type 'tensor<8xf32>' must equal the input type 'tensor<2x8xf32>'}}
  %0 = ndr.fused_add_norm layer %x residual(%r : tensor<8xf32>) eps = 1.0e-5 : tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

func.func @fused_sum_type(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{'ndr.fused_add_norm' op sum type 'tensor<8xf32>' must equal the input type 'tensor<2x8xf32>'}}
  %0, %1 = ndr.fused_add_norm layer %x eps = 1.0e-5 : tensor<2x8xf32>, tensor<8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

func.func @fused_gamma_shape(%x: tensor<2x8xf32>, %g: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{'ndr.fused_add_norm' op gamma shape [2, 8] must equal the normalized dimensions [8] of the input}}
  %0 = ndr.fused_add_norm layer %x gamma(%g : tensor<2x8xf32>) eps = 1.0e-5 : tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

func.func @fused_normalized_rank(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{'ndr.fused_add_norm' op normalized_rank must be in [1, 2] (the input's rank), got 5}}
  %0 = ndr.fused_add_norm rms %x eps = 1.0e-5 normalized_rank = 5 : tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

func.func @fused_element_types(%x: tensor<2x8xf32>, %r: tensor<2x8xf16>) -> tensor<2x8xf32> {
  // expected-error @+1 {{'ndr.fused_add_norm' op residual has element type 'f16' but input has 'f32'}}
  %0 = ndr.fused_add_norm layer %x residual(%r : tensor<2x8xf16>) eps = 1.0e-5 : tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

func.func @fusion_argument_types(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'ndr.fusion' op block argument types must equal the input types}}
  %0 = ndr.fusion ins(%x : tensor<4x8xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<8xf32>):
    %1 = ndr.relu %a : tensor<8xf32>
    ndr.yield %1 : tensor<8xf32>
  }
  return %0 : tensor<4x8xf32>
}

// -----

func.func @fusion_argument_count(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'ndr.fusion' op block argument types must equal the input types}}
  %0 = ndr.fusion ins(%x : tensor<4x8xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>, %b: tensor<4x8xf32>):
    %1 = ndr.add %a, %b : tensor<4x8xf32>, tensor<4x8xf32>
    ndr.yield %1 : tensor<4x8xf32>
  }
  return %0 : tensor<4x8xf32>
}

// -----

func.func @fusion_yield_types(%x: tensor<4x8xf32>) -> tensor<4x8xf16> {
  // expected-error @+1 {{'ndr.fusion' op yielded types must equal the result types}}
  %0 = ndr.fusion ins(%x : tensor<4x8xf32>) -> tensor<4x8xf16> {
  ^bb0(%a: tensor<4x8xf32>):
    %1 = ndr.relu %a : tensor<4x8xf32>
    ndr.yield %1 : tensor<4x8xf32>
  }
  return %0 : tensor<4x8xf16>
}

// -----

func.func @fusion_yield_count(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'ndr.fusion' op yielded types must equal the result types}}
  %0 = ndr.fusion ins(%x : tensor<4x8xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>):
    %1 = ndr.relu %a : tensor<4x8xf32>
    ndr.yield %1, %1 : tensor<4x8xf32>, tensor<4x8xf32>
  }
  return %0 : tensor<4x8xf32>
}

// -----

func.func @fusion_empty(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'ndr.fusion' op must hold at least one op}}
  %0 = ndr.fusion ins(%x : tensor<4x8xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>):
    ndr.yield %a : tensor<4x8xf32>
  }
  return %0 : tensor<4x8xf32>
}

// -----

// A terminator of another dialect that any op may hold.
func.func @fusion_not_yield(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'ndr.fusion' op body must end with ndr.yield}}
  %0 = ndr.fusion ins(%x : tensor<4x8xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>):
    %1 = ndr.relu %a : tensor<4x8xf32>
    llvm.unreachable
  }
  return %0 : tensor<4x8xf32>
}

// -----

func.func @fusion_two_norms(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = ndr.fusion ins(%x : tensor<4x8xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>):
    %1 = ndr.layer_norm %a : tensor<4x8xf32>
    // expected-error @+1 {{'ndr.rms_norm' op is a second row reduction in one ndr.fusion}}
    %2 = ndr.rms_norm %1 : tensor<4x8xf32>
    ndr.yield %2 : tensor<4x8xf32>
  }
  return %0 : tensor<4x8xf32>
}

// -----

func.func @fusion_linear(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>) -> tensor<4x8xf32> {
  %0 = ndr.fusion ins(%x, %w : tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>, %b: tensor<8x8xf32>):
    // expected-error @+1 {{'ndr.linear' op cannot be part of an ndr.fusion: only elementwise ops and one norm can}}
    %1 = ndr.linear %a, %b : tensor<4x8xf32>, tensor<8x8xf32>
    %2 = ndr.relu %1 : tensor<4x8xf32>
    ndr.yield %2 : tensor<4x8xf32>
  }
  return %0 : tensor<4x8xf32>
}

// -----

// batch_norm reduces over the batch, not over rows: it is no group's root.
func.func @fusion_batch_norm(%x: tensor<4x8xf32>, %m: tensor<8xf32>) -> tensor<4x8xf32> {
  %0 = ndr.fusion ins(%x, %m : tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>, %b: tensor<8xf32>):
    // expected-error @+1 {{'ndr.batch_norm' op cannot be part of an ndr.fusion: only elementwise ops and one norm can}}
    %1 = ndr.batch_norm %a stats(%b, %b : tensor<8xf32>) axis = -1 : tensor<4x8xf32>
    ndr.yield %1 : tensor<4x8xf32>
  }
  return %0 : tensor<4x8xf32>
}

// -----

// The group's shape is that of its first op; an op on a smaller shape would
// run once per element of the larger one.
func.func @fusion_result_shape(%x: tensor<4x8xf32>, %b: tensor<8xf32>) -> tensor<4x8xf32> {
  %0 = ndr.fusion ins(%x, %b : tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>, %c: tensor<8xf32>):
    %1 = ndr.relu %a : tensor<4x8xf32>
    // expected-error @+1 {{'ndr.relu' op result shape [8] differs from the group's shape [4, 8]}}
    %2 = ndr.relu %c : tensor<8xf32>
    %3 = ndr.add %1, %2 : tensor<4x8xf32>, tensor<8xf32>
    ndr.yield %3 : tensor<4x8xf32>
  }
  return %0 : tensor<4x8xf32>
}

// -----

// Rows of [3, 4] (normalized_rank = 2): a [2, 3, 1] operand varies along
// the first row dimension and across rows, which a row kernel cannot read.
func.func @fusion_mixed_operand(%x: tensor<2x3x4xf32>, %s: tensor<2x3x1xf32>) -> tensor<2x3x4xf32> {
  // expected-error @+1 {{'ndr.fusion' op operand #1 of shape [2, 3, 1] varies along part of the rows of [2, 3, 4] and across them}}
  %0 = ndr.fusion ins(%x, %s : tensor<2x3x4xf32>, tensor<2x3x1xf32>) -> tensor<2x3x4xf32> {
  ^bb0(%a: tensor<2x3x4xf32>, %b: tensor<2x3x1xf32>):
    %1 = ndr.mul %a, %b : tensor<2x3x4xf32>, tensor<2x3x1xf32>
    %2 = ndr.layer_norm %1 normalized_rank = 2 : tensor<2x3x4xf32>
    ndr.yield %2 : tensor<2x3x4xf32>
  }
  return %0 : tensor<2x3x4xf32>
}

// -----

// The group is isolated from above: values enter only as its operands.
func.func @fusion_captures(%x: tensor<4x8xf32>, %r: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-note @+1 {{required by region isolation constraints}}
  %0 = ndr.fusion ins(%x : tensor<4x8xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>):
    // expected-error @+1 {{'ndr.add' op using value defined outside the region}}
    %1 = ndr.add %a, %r : tensor<4x8xf32>, tensor<4x8xf32>
    ndr.yield %1 : tensor<4x8xf32>
  }
  return %0 : tensor<4x8xf32>
}

// -----

func.func @yield_outside_fusion(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'ndr.yield' op expects parent op 'ndr.fusion'}}
  ndr.yield %x : tensor<4x8xf32>
}

// -----

// Every result has the group's shape: the kernel writes results row by row,
// so a yielded operand of another shape (a bias passed through) is not one.
func.func @fusion_yield_operand_shape(%x: tensor<4x8xf32>, %b: tensor<8xf32>) -> (tensor<4x8xf32>, tensor<8xf32>) {
  // expected-error @+1 {{[8] differs from the group's shape [4, 8]}}
  %0:2 = ndr.fusion ins(%x, %b : tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>, tensor<8xf32> {
  ^bb0(%a: tensor<4x8xf32>, %c: tensor<8xf32>):
    %1 = ndr.add %a, %c : tensor<4x8xf32>, tensor<8xf32>
    ndr.yield %1, %c : tensor<4x8xf32>, tensor<8xf32>
  }
  return %0#0, %0#1 : tensor<4x8xf32>, tensor<8xf32>
}
