// RUN: ndr-opt %s --ndr-nontemporal-stores=threshold=512 | FileCheck %s

// ndr-nontemporal-stores: unmasked full-vector writes into an output of at
// least `threshold` bytes become non-temporal stores where aligned. A loop
// whose writes stay aligned from one step to the next (a sweep over a row)
// is versioned once on the alignment of its first writes; other writes check
// their own address. A fence before the return orders the stores.

// Two writes per step of 16 (64 bytes): both checked once, at the lower
// bound, and the loop is cloned with non-temporal stores; the loop's results
// come out of the scf.if.
// CHECK-LABEL: func.func @sweep(
// CHECK: %[[SUB:.*]] = memref.subview
// CHECK: %[[A0:.*]] = arith.cmpi eq
// CHECK: %[[A1:.*]] = arith.cmpi eq
// CHECK: %[[BOTH:.*]] = arith.andi %[[A0]], %[[A1]] : i1
// CHECK: %[[R:.*]] = scf.if %[[BOTH]] -> (vector<8xf32>) {
// CHECK:   %[[FAST:.*]] = scf.for
// CHECK:     vector.store %{{.*}}, %[[SUB]][%{{.*}}] {alignment = 32 : i64, nontemporal = true} : memref<32xf32, strided<[1], offset: ?>>, vector<8xf32>
// CHECK:     vector.store %{{.*}}, %[[SUB]][%{{.*}}] {alignment = 32 : i64, nontemporal = true}
// CHECK:   scf.yield %[[FAST]] : vector<8xf32>
// CHECK: } else {
// CHECK:   %[[SLOW:.*]] = scf.for
// CHECK-NOT: nontemporal
// CHECK:   scf.yield %[[SLOW]] : vector<8xf32>
// CHECK: }
// CHECK: llvm.fence seq_cst
// CHECK: return %[[R]]
func.func @sweep(%y: memref<4x32xf32>, %v: vector<8xf32>, %row: index) -> vector<8xf32> {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %c32 = arith.constant 32 : index
  %sub = memref.subview %y[%row, 0] [1, 32] [1, 1] : memref<4x32xf32> to memref<32xf32, strided<[1], offset: ?>>
  %sum = scf.for %i = %c0 to %c32 step %c16 iter_args(%acc = %v) -> (vector<8xf32>) {
    vector.transfer_write %v, %sub[%i] {in_bounds = [true]} : vector<8xf32>, memref<32xf32, strided<[1], offset: ?>>
    %j = arith.addi %i, %c8 : index
    vector.transfer_write %v, %sub[%j] {in_bounds = [true]} : vector<8xf32>, memref<32xf32, strided<[1], offset: ?>>
    %next = arith.addf %acc, %v : vector<8xf32>
    scf.yield %next : vector<8xf32>
  }
  return %sum : vector<8xf32>
}

// A wide step's vector<32xf32> (128 bytes) needs only 64-byte alignment: x86
// stores it as registers of at most 64 bytes, each then aligned.
// CHECK-LABEL: func.func @wide(
// CHECK: %[[MASK:.*]] = arith.constant 63 : index
// CHECK: arith.andi %{{.*}}, %[[MASK]] : index
// CHECK: scf.if
// CHECK:   vector.store {{.*}} {alignment = 64 : i64, nontemporal = true} : memref<256xf32>, vector<32xf32>
func.func @wide(%y: memref<256xf32>, %v: vector<32xf32>) {
  %c0 = arith.constant 0 : index
  %c32 = arith.constant 32 : index
  %c256 = arith.constant 256 : index
  scf.for %i = %c0 to %c256 step %c32 {
    vector.transfer_write %v, %y[%i] {in_bounds = [true]} : vector<32xf32>, memref<256xf32>
  }
  return
}

// A write outside a loop, and one in a loop whose step (4 floats) does not
// keep it aligned: each checks its own address.
// CHECK-LABEL: func.func @own_check(
// CHECK: %[[OK:.*]] = arith.cmpi eq
// CHECK: scf.if %[[OK]] {
// CHECK:   vector.store {{.*}} {alignment = 32 : i64, nontemporal = true}
// CHECK: } else {
// CHECK:   vector.store
// CHECK-NOT: nontemporal
// CHECK: }
// CHECK: scf.for
// CHECK:   %[[OK2:.*]] = arith.cmpi eq
// CHECK:   scf.if %[[OK2]] {
// CHECK:     vector.store {{.*}} nontemporal = true
// CHECK: llvm.fence seq_cst
func.func @own_check(%y: memref<128xf32>, %v: vector<8xf32>) {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c64 = arith.constant 64 : index
  %c120 = arith.constant 120 : index
  vector.transfer_write %v, %y[%c120] {in_bounds = [true]} : vector<8xf32>, memref<128xf32>
  scf.for %i = %c0 to %c64 step %c4 {
    vector.transfer_write %v, %y[%i] {in_bounds = [true]} : vector<8xf32>, memref<128xf32>
  }
  return
}

// Must not fire: an output under the threshold, a masked write, a write to
// a buffer that is not an argument, and a write not known in bounds.
// CHECK-LABEL: func.func @untouched(
// CHECK-NOT: nontemporal
// CHECK-NOT: scf.if
// CHECK-NOT: llvm.fence
// CHECK: return
func.func @untouched(%small: memref<64xf32>, %y: memref<128xf32>, %v: vector<8xf32>, %m: vector<8xi1>, %i: index) {
  %c0 = arith.constant 0 : index
  vector.transfer_write %v, %small[%c0] {in_bounds = [true]} : vector<8xf32>, memref<64xf32>
  vector.transfer_write %v, %y[%c0], %m {in_bounds = [true]} : vector<8xf32>, memref<128xf32>
  %tmp = memref.alloc() : memref<256xf32>
  vector.transfer_write %v, %tmp[%c0] {in_bounds = [true]} : vector<8xf32>, memref<256xf32>
  vector.transfer_write %v, %y[%i] : vector<8xf32>, memref<128xf32>
  memref.dealloc %tmp : memref<256xf32>
  return
}

// A kernel's out-parameter is an output where its model passes its own
// output argument, not where it passes an intermediate buffer the model
// reads again (that one stays in the cache).
// CHECK-LABEL: func.func private @kernel_out(
// CHECK: nontemporal = true
// CHECK: llvm.fence
// CHECK-LABEL: func.func private @kernel_tmp(
// CHECK-NOT: nontemporal
// CHECK-NOT: llvm.fence
// CHECK-LABEL: func.func @model(
func.func private @kernel_out(%y: memref<128xf32>, %v: vector<8xf32>) {
  %c0 = arith.constant 0 : index
  vector.transfer_write %v, %y[%c0] {in_bounds = [true]} : vector<8xf32>, memref<128xf32>
  return
}
func.func private @kernel_tmp(%y: memref<128xf32>, %v: vector<8xf32>) {
  %c0 = arith.constant 0 : index
  vector.transfer_write %v, %y[%c0] {in_bounds = [true]} : vector<8xf32>, memref<128xf32>
  return
}
func.func @model(%out: memref<128xf32>, %v: vector<8xf32>) {
  call @kernel_out(%out, %v) : (memref<128xf32>, vector<8xf32>) -> ()
  %tmp = memref.alloc() : memref<128xf32>
  call @kernel_tmp(%tmp, %v) : (memref<128xf32>, vector<8xf32>) -> ()
  memref.dealloc %tmp : memref<128xf32>
  return
}

// Nor where it passes a view of the model's workspace (ndr-plan-workspace),
// which holds intermediates: W6's GELU output, which the second linear reads
// at once.
// CHECK-LABEL: func.func private @kernel_ws(
// CHECK-NOT: nontemporal
// CHECK-NOT: llvm.fence
// CHECK-LABEL: func.func @model_ws(
func.func private @kernel_ws(%y: memref<128xf32>, %v: vector<8xf32>) {
  %c0 = arith.constant 0 : index
  vector.transfer_write %v, %y[%c0] {in_bounds = [true]} : vector<8xf32>, memref<128xf32>
  return
}
func.func @model_ws(%v: vector<8xf32>, %ws: memref<1024xi8>) attributes {ndr.workspace = 1024 : i64} {
  %c512 = arith.constant 512 : index
  %tmp = memref.view %ws[%c512][] : memref<1024xi8> to memref<128xf32>
  call @kernel_ws(%tmp, %v) : (memref<128xf32>, vector<8xf32>) -> ()
  return
}
