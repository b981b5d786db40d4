// RUN: ndr-opt %s --ndr-hoist-params -split-input-file -verify-diagnostics

// ndr-hoist-params maps a model's parameters to its init function's
// arguments and its derived arguments to that function's results, in order.
// Where the two do not match, the IR verifies (each attribute is valid on its
// own) but cannot be extended: an error, not a crash or an out-of-range
// operand (found by ndr-mlir-fuzzer).

// Derived arguments, but no init function to compute them.
// expected-error @+1 {{model 'no_init' has ndr.derived arguments but no init function (ndr.param_init) computing them}}
func.func @no_init(%x: tensor<4xf32> {ndr.input = "x"}, %b: tensor<4xf32> {ndr.param = "b"},
                   %d: tensor<4xf32> {ndr.derived = "d0"}) -> tensor<4xf32> attributes {ndr.model} {
  %0 = ndr.mul %d, %b : tensor<4xf32>, tensor<4xf32>
  %1 = ndr.add %x, %0 : tensor<4xf32>, tensor<4xf32>
  return %1 : tensor<4xf32>
}

// -----

// The init function returns fewer values than the model has derived arguments.
// expected-error @+1 {{model 'short_init' has 2 ndr.derived arguments but its init function @short_init_init returns 1 values}}
func.func @short_init(%x: tensor<4xf32> {ndr.input = "x"}, %b: tensor<4xf32> {ndr.param = "b"},
                      %d: tensor<4xf32> {ndr.derived = "d0"}, %e: tensor<4xf32> {ndr.derived = "d1"})
    -> tensor<4xf32> attributes {ndr.model, ndr.param_init = @short_init_init} {
  %0 = ndr.mul %b, %b : tensor<4xf32>, tensor<4xf32>
  %1 = ndr.add %x, %0 : tensor<4xf32>, tensor<4xf32>
  return %1 : tensor<4xf32>
}
func.func @short_init_init(%b: tensor<4xf32> {ndr.param = "b"}) -> (tensor<4xf32> {ndr.derived = "d0"}) {
  %0 = ndr.relu %b : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// The init function does not take the model's parameters.
// expected-error @+1 {{model 'wrong_params' has parameters of types (tensor<4xf32>, tensor<4xf32>) but its init function @wrong_params_init takes (tensor<4xf32>)}}
func.func @wrong_params(%x: tensor<4xf32> {ndr.input = "x"}, %a: tensor<4xf32> {ndr.param = "a"},
                        %b: tensor<4xf32> {ndr.param = "b"}) -> tensor<4xf32>
    attributes {ndr.model, ndr.param_init = @wrong_params_init} {
  %0 = ndr.mul %a, %b : tensor<4xf32>, tensor<4xf32>
  %1 = ndr.add %x, %0 : tensor<4xf32>, tensor<4xf32>
  return %1 : tensor<4xf32>
}
func.func @wrong_params_init(%a: tensor<4xf32> {ndr.param = "a"}) {
  return
}

// -----

// The init function is a declaration: there is no body to extend.
// expected-error @+1 {{model 'external_init' has an init function @external_init_init without a body}}
func.func @external_init(%x: tensor<4xf32> {ndr.input = "x"}, %b: tensor<4xf32> {ndr.param = "b"})
    -> tensor<4xf32> attributes {ndr.model, ndr.param_init = @external_init_init} {
  %0 = ndr.mul %b, %b : tensor<4xf32>, tensor<4xf32>
  %1 = ndr.add %x, %0 : tensor<4xf32>, tensor<4xf32>
  return %1 : tensor<4xf32>
}
func.func private @external_init_init(%b: tensor<4xf32>)

// -----

// A derived argument whose type is not what the init function returns.
// expected-error @+1 {{model 'wrong_derived' has ndr.derived arguments of types (tensor<4xf16>) but its init function @wrong_derived_init returns (tensor<4xf32>)}}
func.func @wrong_derived(%x: tensor<4xf32> {ndr.input = "x"}, %b: tensor<4xf32> {ndr.param = "b"},
                         %d: tensor<4xf16> {ndr.derived = "d0"}) -> tensor<4xf32>
    attributes {ndr.model, ndr.param_init = @wrong_derived_init} {
  %0 = ndr.mul %b, %b : tensor<4xf32>, tensor<4xf32>
  %1 = ndr.add %x, %0 : tensor<4xf32>, tensor<4xf32>
  return %1 : tensor<4xf32>
}
func.func @wrong_derived_init(%b: tensor<4xf32> {ndr.param = "b"}) -> (tensor<4xf32> {ndr.derived = "d0"}) {
  return %b : tensor<4xf32>
}

// -----

// The init function it names does not exist.
// expected-error @+1 {{model 'missing_init' names init function @absent, which is not a func.func of the module}}
func.func @missing_init(%x: tensor<4xf32> {ndr.input = "x"}, %b: tensor<4xf32> {ndr.param = "b"})
    -> tensor<4xf32> attributes {ndr.model, ndr.param_init = @absent} {
  %0 = ndr.mul %b, %b : tensor<4xf32>, tensor<4xf32>
  %1 = ndr.add %x, %0 : tensor<4xf32>, tensor<4xf32>
  return %1 : tensor<4xf32>
}

// -----

// The model names itself.
// expected-error @+1 {{model 'self_init' names itself as its init function}}
func.func @self_init(%b: tensor<4xf32> {ndr.param = "b"}) -> tensor<4xf32>
    attributes {ndr.model, ndr.param_init = @self_init} {
  %0 = ndr.mul %b, %b : tensor<4xf32>, tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// An init function of more than one block: its first block does not end in
// the return that hoisted values would extend.
// expected-error @+1 {{model 'blocks_init' has an init function @blocks_init_init that is not a single block ending in func.return}}
func.func @blocks_init(%x: tensor<4xf32> {ndr.input = "x"}, %b: tensor<4xf32> {ndr.param = "b"})
    -> tensor<4xf32> attributes {ndr.model, ndr.param_init = @blocks_init_init} {
  %0 = ndr.mul %b, %b : tensor<4xf32>, tensor<4xf32>
  %1 = ndr.add %x, %0 : tensor<4xf32>, tensor<4xf32>
  return %1 : tensor<4xf32>
}
func.func @blocks_init_init(%b: tensor<4xf32> {ndr.param = "b"}) {
  cf.br ^bb1
^bb1:
  return
}

// -----

// Nothing to hoist: the model is left as it is, whatever its init function.
func.func @nothing_to_hoist(%x: tensor<4xf32> {ndr.input = "x"}, %d: tensor<4xf32> {ndr.derived = "d0"})
    -> tensor<4xf32> attributes {ndr.model} {
  %0 = ndr.add %x, %d : tensor<4xf32>, tensor<4xf32>
  return %0 : tensor<4xf32>
}
