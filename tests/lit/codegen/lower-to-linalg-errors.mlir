// RUN: ndr-opt %s --ndr-lower-to-linalg -split-input-file -verify-diagnostics

// ndr-lower-to-linalg is the last lowering of the ndr dialect: its conversion
// target makes the whole dialect illegal, so an op it has no pattern for
// (here one that ndr-fuse-elementwise groups first in the pipeline) is an
// error, not an op silently left behind.
func.func @left_behind(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{failed to legalize operation 'ndr.relu' that was explicitly marked illegal}}
  %0 = ndr.relu %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// A group is ndr-lower-fusions' to lower.
func.func @group_left(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{failed to legalize operation 'ndr.fusion' that was explicitly marked illegal}}
  %0 = ndr.fusion ins(%x : tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    %1 = ndr.relu %a : tensor<4xf32>
    ndr.yield %1 : tensor<4xf32>
  }
  return %0 : tensor<4xf32>
}

// -----

// Not an ndr op: legal, kept.
func.func @other_dialects(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = tensor.empty() : tensor<4xf32>
  return %x : tensor<4xf32>
}
