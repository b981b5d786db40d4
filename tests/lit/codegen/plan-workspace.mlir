// RUN: ndr-opt %s --ndr-plan-workspace -split-input-file | FileCheck %s

// A model's intermediates become views of one workspace argument, before the
// seed. %a and %b are live together; %c starts after %a's last use, so it
// takes %a's bytes: 2 x 4096 bytes, not 3.

// CHECK-LABEL: func.func @model
// CHECK-SAME: (%{{.*}}: memref<16x64xf32>, %{{.*}}: memref<16x64xf32>, %[[WS:[^:]*]]: memref<8192xi8>, %{{.*}}: i64 {ndr.seed})
// CHECK-SAME: attributes {ndr.model, ndr.workspace = 8192 : i64}
// CHECK-NOT: memref.alloc
// CHECK: %[[OA:.*]] = arith.constant 0 : index
// CHECK: %[[A:.*]] = memref.view %[[WS]][%[[OA]]][] : memref<8192xi8> to memref<16x64xf32>
// CHECK: %[[OB:.*]] = arith.constant 4096 : index
// CHECK: %[[B:.*]] = memref.view %[[WS]][%[[OB]]][] : memref<8192xi8> to memref<16x64xf32>
// CHECK: call @use(%{{.*}}, %[[A]])
// CHECK: call @use(%[[A]], %[[B]])
// CHECK: %[[OC:.*]] = arith.constant 0 : index
// CHECK: %[[C:.*]] = memref.view %[[WS]][%[[OC]]][] : memref<8192xi8> to memref<16x64xf32>
// CHECK: call @use(%[[B]], %[[C]])
func.func private @use(memref<16x64xf32>, memref<16x64xf32>)
func.func @model(%x: memref<16x64xf32>, %out: memref<16x64xf32>, %seed: i64 {ndr.seed}) attributes {ndr.model} {
  %a = memref.alloc() {alignment = 64 : i64} : memref<16x64xf32>
  %b = memref.alloc() {alignment = 64 : i64} : memref<16x64xf32>
  call @use(%x, %a) : (memref<16x64xf32>, memref<16x64xf32>) -> ()
  call @use(%a, %b) : (memref<16x64xf32>, memref<16x64xf32>) -> ()
  %c = memref.alloc() : memref<16x64xf32>
  call @use(%b, %c) : (memref<16x64xf32>, memref<16x64xf32>) -> ()
  call @use(%c, %out) : (memref<16x64xf32>, memref<16x64xf32>) -> ()
  return
}

// -----

// A view keeps its buffer alive: %c comes after %a's last direct use, but
// %a is read through its reshape after that. Sizes that are not multiples of
// 64 are rounded up for the next offset; no seed: the workspace is last.

// CHECK-LABEL: func.func @through_a_view
// CHECK-SAME: %[[WS:[^:]*]]: memref<128xi8>) attributes {ndr.model, ndr.workspace = 128 : i64}
// CHECK: memref.view %[[WS]][%{{.*}}][] : memref<128xi8> to memref<3x4xf32>
// CHECK: %[[OC:.*]] = arith.constant 64 : index
// CHECK: memref.view %[[WS]][%[[OC]]][] : memref<128xi8> to memref<12xf32>
func.func private @fill(memref<3x4xf32>)
func.func private @read(memref<12xf32>, memref<12xf32>)
func.func @through_a_view(%out: memref<12xf32>) attributes {ndr.model} {
  %a = memref.alloc() : memref<3x4xf32>
  call @fill(%a) : (memref<3x4xf32>) -> ()
  %flat = memref.collapse_shape %a [[0, 1]] : memref<3x4xf32> into memref<12xf32>
  %c = memref.alloc() : memref<12xf32>
  call @read(%flat, %c) : (memref<12xf32>, memref<12xf32>) -> ()
  return
}

// -----

// Left alone: a buffer the function returns, one with a dynamic size, one
// freed by the IR, one inside a loop (not at the top of the body), and any
// function that is not a model. Nothing to plan: no workspace.

// CHECK-LABEL: func.func @returned
// CHECK-NOT: ndr.workspace
// CHECK: memref.alloc() : memref<4xf32>
func.func @returned() -> memref<4xf32> attributes {ndr.model} {
  %a = memref.alloc() : memref<4xf32>
  return %a : memref<4xf32>
}

// CHECK-LABEL: func.func @dynamic
// CHECK-NOT: ndr.workspace
// CHECK: memref.alloc(%{{.*}}) : memref<?xf32>
func.func @dynamic(%n: index) attributes {ndr.model} {
  %a = memref.alloc(%n) : memref<?xf32>
  memref.dealloc %a : memref<?xf32>
  return
}

// CHECK-LABEL: func.func @freed
// CHECK-NOT: ndr.workspace
// CHECK: memref.alloc() : memref<4xf32>
func.func @freed() attributes {ndr.model} {
  %a = memref.alloc() : memref<4xf32>
  memref.dealloc %a : memref<4xf32>
  return
}

// CHECK-LABEL: func.func @in_a_loop
// CHECK-NOT: ndr.workspace
// CHECK: scf.for
// CHECK: memref.alloc() : memref<4xf32>
func.func @in_a_loop(%n: index) attributes {ndr.model} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    %a = memref.alloc() : memref<4xf32>
    memref.dealloc %a : memref<4xf32>
  }
  return
}

// CHECK-LABEL: func.func @not_a_model
// CHECK-NOT: ndr.workspace
// CHECK: memref.alloc() : memref<4xf32>
func.func private @take(memref<4xf32>)
func.func @not_a_model() {
  %a = memref.alloc() : memref<4xf32>
  call @take(%a) : (memref<4xf32>) -> ()
  return
}
