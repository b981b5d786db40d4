// RUN: ndr-opt %s -split-input-file -verify-diagnostics | FileCheck %s

// Attributes that describe a model: what verifies, and every error.

// CHECK-LABEL: func.func @ffn
// CHECK-SAME: {ndr.input = "x"}
// CHECK-SAME: {ndr.init = "normal(0.02)", ndr.param = "w"}
// CHECK-SAME: {ndr.init = "zeros", ndr.param = "b"}
// CHECK-SAME: {ndr.derived = "d0"}
// CHECK-SAME: {ndr.output = "y"}
// CHECK-SAME: attributes {ndr.model, ndr.param_init = @ffn_init}
func.func @ffn(%x: tensor<2x4xf32> {ndr.input = "x"},
               %w: tensor<4x4xf32> {ndr.param = "w", ndr.init = "normal(0.02)"},
               %b: tensor<4xf32> {ndr.param = "b", ndr.init = "zeros"},
               %d: tensor<4xf32> {ndr.derived = "d0"})
    -> (tensor<2x4xf32> {ndr.output = "y"}) attributes {ndr.model, ndr.param_init = @ffn_init} {
  %0 = ndr.linear %x, %w, %d : tensor<2x4xf32>, tensor<4x4xf32>, tensor<4xf32>
  return %0 : tensor<2x4xf32>
}
// CHECK-LABEL: func.func @ffn_init
// CHECK-SAME: {ndr.derived = "d0"}
func.func @ffn_init(%w: tensor<4x4xf32> {ndr.param = "w", ndr.init = "ones"},
                    %b: tensor<4xf32> {ndr.param = "b"})
    -> (tensor<4xf32> {ndr.derived = "d0"}) {
  return %b : tensor<4xf32>
}

// -----

// expected-error @+1 {{'ndr.init' must be "zeros", "ones" or "normal(STD)" with STD > 0}}
func.func private @bad_init(tensor<4xf32> {ndr.param = "w", ndr.init = "normal(-1)"})

// -----

// expected-error @+1 {{'ndr.init' must be "zeros", "ones" or "normal(STD)" with STD > 0}}
func.func private @bad_init_kind(tensor<4xf32> {ndr.param = "w", ndr.init = "uniform"})

// -----

// expected-error @+1 {{'ndr.init' is only valid on a parameter (ndr.param)}}
func.func private @init_on_input(tensor<4xf32> {ndr.input = "x", ndr.init = "ones"})

// -----

// expected-error @+1 {{'ndr.param' must be a non-empty string}}
func.func private @empty_param(tensor<4xf32> {ndr.param = ""})

// -----

// expected-error @+1 {{'ndr.input' must be a non-empty string}}
func.func private @input_not_string(tensor<4xf32> {ndr.input = 3})

// -----

// expected-error @+1 {{unknown ndr argument attribute 'ndr.weight'}}
func.func private @unknown_arg_attr(tensor<4xf32> {ndr.weight = "w"})

// -----

// An outlined kernel's stream argument (ndr-outline-fusions).
// CHECK-LABEL: func.func private @kernel_stream(
// CHECK-SAME: i32 {ndr.stream = 7 : ui32}
func.func private @kernel_stream(tensor<4xf32>, i32 {ndr.stream = 7 : ui32}, i64)

// -----

// expected-error @+1 {{'ndr.stream' must be a ui32 stream on an i32 argument}}
func.func private @stream_on_tensor(tensor<4xf32> {ndr.stream = 7 : ui32})

// -----

// expected-error @+1 {{'ndr.stream' must be a ui32 stream on an i32 argument}}
func.func private @stream_not_ui32(i32 {ndr.stream = 7 : i64})

// -----

// expected-error @+1 {{'ndr.output' must be a non-empty string}}
func.func private @output_not_string() -> (tensor<4xf32> {ndr.output = unit})

// -----

// expected-error @+1 {{unknown ndr result attribute 'ndr.input'}}
func.func private @input_on_result() -> (tensor<4xf32> {ndr.input = "x"})

// -----

// expected-error @+1 {{'ndr.model' must be a unit attribute}}
func.func private @model_not_unit() attributes {ndr.model = 1}

// -----

// expected-error @+1 {{'ndr.param_init' must name the init function (@name)}}
func.func private @init_not_symbol() attributes {ndr.param_init = "f"}

// -----

// expected-error @+1 {{'ndr.model' is only valid on a function}}
module attributes {ndr.model} {}

// -----

// expected-error @+1 {{unknown ndr attribute 'ndr.fast'}}
func.func private @unknown_op_attr() attributes {ndr.fast}

// -----

// The seed of a lowered model or kernel: a unit attribute on one i64 argument.
// CHECK-LABEL: func.func private @kernel_seed
// CHECK-SAME: i64 {ndr.seed}
func.func private @kernel_seed(tensor<4xf32>, i32 {ndr.stream = 7 : ui32}, i64 {ndr.seed})

// -----

// expected-error @+1 {{'ndr.seed' must be a unit attribute on an i64 argument}}
func.func private @seed_on_i32(i32 {ndr.seed})

// -----

// expected-error @+1 {{'ndr.seed' must be a unit attribute on an i64 argument}}
func.func private @seed_with_value(i64 {ndr.seed = 1 : i64})

// -----

// expected-error @+1 {{'ndr.seed' marks one argument, not 1 and 0}}
func.func private @two_seeds(i64 {ndr.seed}, i64 {ndr.seed})

// -----

// A lowered model's workspace size (ndr-plan-workspace).
// CHECK-LABEL: func.func private @with_workspace
// CHECK-SAME: attributes {ndr.workspace = 4096 : i64}
func.func private @with_workspace(memref<4096xi8>) attributes {ndr.workspace = 4096 : i64}

// -----

// expected-error @+1 {{'ndr.workspace' must be a positive i64 byte count}}
func.func private @empty_workspace(memref<64xi8>) attributes {ndr.workspace = 0 : i64}

// -----

// expected-error @+1 {{'ndr.workspace' must be a positive i64 byte count}}
func.func private @workspace_not_bytes(memref<64xi8>) attributes {ndr.workspace = "big"}
