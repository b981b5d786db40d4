// RUN: ndr-opt %s --ndr-hoist-params -split-input-file | FileCheck %s
// RUN: ndr-opt %s --ndr-hoist-params --ndr-hoist-params -split-input-file | FileCheck %s

// Computation on parameters alone moves into the model's init function, run
// once at load; the model takes the results as derived arguments.

// CHECK-LABEL: func.func @folded
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf32> {ndr.input = "x"}, %{{.*}}: tensor<16x8xf32> {ndr.param = "w"}, %{{.*}}: tensor<16xf32> {ndr.param = "v"}, %[[D0:.*]]: tensor<16x8xf32> {ndr.derived = "d0"})
// CHECK-SAME: attributes {ndr.model, ndr.param_init = @folded_init}
// CHECK-NOT: linalg.generic
// CHECK: %[[Y:.*]] = ndr.linear %[[X]], %[[D0]]
// CHECK-NEXT: %[[R:.*]] = ndr.relu %[[Y]]
// CHECK-NEXT: return %[[R]]
// CHECK-LABEL: func.func @folded_init
// CHECK-SAME: (%[[W:.*]]: tensor<16x8xf32> {ndr.param = "w"}, %[[V:.*]]: tensor<16xf32> {ndr.param = "v"}) -> (tensor<16x8xf32> {ndr.derived = "d0"})
// CHECK: %[[C:.*]] = arith.constant 1.000000e+00 : f32
// CHECK: %[[E:.*]] = tensor.empty() : tensor<16x8xf32>
// CHECK: %[[G:.*]] = linalg.generic {{.*}} ins(%[[W]], %[[V]] : tensor<16x8xf32>, tensor<16xf32>) outs(%[[E]] : tensor<16x8xf32>)
// CHECK: arith.addf %{{.*}}, %[[C]]
// CHECK: return %[[G]]
#map = affine_map<(d0, d1) -> (d0, d1)>
#map1 = affine_map<(d0, d1) -> (d0)>
func.func @folded(%x: tensor<4x8xf32> {ndr.input = "x"}, %w: tensor<16x8xf32> {ndr.param = "w"}, %v: tensor<16xf32> {ndr.param = "v"}) -> tensor<4x16xf32> attributes {ndr.model} {
  %c = arith.constant 1.0 : f32
  %e = tensor.empty() : tensor<16x8xf32>
  %w2 = linalg.generic {indexing_maps = [#map, #map1, #map], iterator_types = ["parallel", "parallel"]} ins(%w, %v : tensor<16x8xf32>, tensor<16xf32>) outs(%e : tensor<16x8xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %s = arith.addf %b, %c : f32
    %r = arith.mulf %a, %s : f32
    linalg.yield %r : f32
  } -> tensor<16x8xf32>
  %y = ndr.linear %x, %w2 : tensor<4x8xf32>, tensor<16x8xf32>
  %z = ndr.relu %y : tensor<4x16xf32>
  return %z : tensor<4x16xf32>
}

// -----

// ndr ops on parameters move too; a chain exports only its last value.
// Random ops read the run's seed and stay; so does anything on an input.
// CHECK-LABEL: func.func @chain
// CHECK-SAME: %[[X:[^:]*]]: tensor<2x4xf32> {ndr.input = "x"}
// CHECK-SAME: %[[D0:[^:]*]]: tensor<4x4xf32> {ndr.derived = "d0"}
// CHECK-NEXT: %[[DC:.*]] = ndr.drop_connect %{{.*}}, p
// CHECK-NEXT: %[[L:.*]] = ndr.linear %[[X]], %[[D0]]
// CHECK-NEXT: %[[L2:.*]] = ndr.linear %[[L]], %[[DC]]
// CHECK-NEXT: return %[[L2]]
// CHECK-LABEL: func.func @chain_init
// CHECK-NEXT: %[[A:.*]] = ndr.mul
// CHECK-NEXT: %[[B:.*]] = ndr.add %[[A]]
// CHECK-NEXT: return %[[B]]
func.func @chain(%x: tensor<2x4xf32> {ndr.input = "x"}, %w: tensor<4x4xf32> {ndr.param = "w", ndr.init = "ones"}, %s: tensor<4xf32> {ndr.param = "s"}) -> (tensor<2x4xf32> {ndr.output = "y"}) attributes {ndr.model} {
  %0 = ndr.mul %w, %s : tensor<4x4xf32>, tensor<4xf32>
  %1 = ndr.add %0, %w : tensor<4x4xf32>, tensor<4x4xf32>
  %2 = ndr.drop_connect %w, p = 0.5, stream = 0 : tensor<4x4xf32>
  %3 = ndr.linear %x, %1 : tensor<2x4xf32>, tensor<4x4xf32>
  %4 = ndr.linear %3, %2 : tensor<2x4xf32>, tensor<4x4xf32>
  return %4 : tensor<2x4xf32>
}

// -----

// A model whose init function exists already: derived values feed further
// hoisting and new ones extend the same function.
// CHECK-LABEL: func.func @extend
// CHECK-SAME: %{{.*}}: tensor<4xf32> {ndr.derived = "d0"}, %[[D1:[^:]*]]: tensor<4xf32> {ndr.derived = "d1"}
// CHECK-NEXT: %[[R:.*]] = ndr.add %{{.*}}, %[[D1]]
// CHECK-LABEL: func.func @extend_init
// CHECK-SAME: -> (tensor<4xf32> {ndr.derived = "d0"}, tensor<4xf32> {ndr.derived = "d1"})
// CHECK-NEXT: %[[Z:.*]] = ndr.relu %arg0
// CHECK-NEXT: %[[Q:.*]] = ndr.mul %[[Z]], %arg0
// CHECK-NEXT: return %[[Z]], %[[Q]]
func.func @extend(%x: tensor<4xf32> {ndr.input = "x"}, %b: tensor<4xf32> {ndr.param = "b"}, %d: tensor<4xf32> {ndr.derived = "d0"}) -> tensor<4xf32> attributes {ndr.model, ndr.param_init = @extend_init} {
  %0 = ndr.mul %d, %b : tensor<4xf32>, tensor<4xf32>
  %1 = ndr.add %x, %0 : tensor<4xf32>, tensor<4xf32>
  return %1 : tensor<4xf32>
}
func.func @extend_init(%b: tensor<4xf32> {ndr.param = "b"}) -> (tensor<4xf32> {ndr.derived = "d0"}) {
  %0 = ndr.relu %b : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// Nothing to hoist, and functions that are not models, are left alone.
// CHECK-LABEL: func.func @nothing
// CHECK-NOT: ndr.param_init
// CHECK-LABEL: func.func @not_a_model
// CHECK-NEXT: ndr.relu
// CHECK-NOT: func.func @nothing_init
func.func @nothing(%x: tensor<4xf32> {ndr.input = "x"}, %b: tensor<4xf32> {ndr.param = "b"}) -> tensor<4xf32> attributes {ndr.model} {
  %0 = ndr.add %x, %b : tensor<4xf32>, tensor<4xf32>
  return %0 : tensor<4xf32>
}
func.func @not_a_model(%b: tensor<4xf32> {ndr.param = "b"}) -> tensor<4xf32> {
  %0 = ndr.relu %b : tensor<4xf32>
  return %0 : tensor<4xf32>
}
