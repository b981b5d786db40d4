// RUN: ndr-opt %s --pass-pipeline='builtin.module(func.func(ndr-fuse-elementwise,ndr-lower-fusions{mode=train}))' | FileCheck %s
// RUN: ndr-opt %s --pass-pipeline='builtin.module(func.func(ndr-fuse-elementwise,ndr-lower-fusions{mode=infer}))' | FileCheck %s --check-prefix=INFER
// RUN: ndr-opt %s --ndr-lower-cpu="mode=infer openmp=false" | FileCheck %s --check-prefix=SERIAL

// ndr-lower-fusions: each ndr.fusion group (formed here by
// ndr-fuse-elementwise) becomes one scf.forall over the rows of its shape,
// each row swept in vector<8xf32> chunks, 4 per loop step (sums in 4 partial
// sums), then the remaining whole chunks and a masked tail; norms keep their
// input in a stack scratch row and sweep it three times (layer) or twice
// (rms), each sweep prefetching its share of the next row; a group without a norm
// sweeps once. Operands are read as a vector of
// the row, one value per row, or one row repeated for the whole group.
// Train-mode dropout draws Philox4x32-10 in the kernel; in infer mode it is
// the identity. erfc, exp and tanh become polynomials.

// A layer_norm with a row of 43: a loop of 4-chunk steps (one step here),
// the one remaining whole chunk, and a tail of 3 under a constant mask; rows
// in an scf.forall, the scratch row on the stack.
// CHECK-LABEL: func.func @layer(
// CHECK: %[[XBUF:.*]] = bufferization.to_buffer %arg0 read_only : tensor<4x43xf32> to memref<4x43xf32>
// CHECK: scf.forall (%[[ROW:.*]]) in (4) shared_outs(%[[OUT:.*]] = %{{.*}}) -> (tensor<4x43xf32>)
// CHECK: %[[YROW:.*]] = tensor.extract_slice %[[OUT]][%[[ROW]], 0] [1, 43] [1, 1] : tensor<4x43xf32> to tensor<43xf32>
// CHECK: %[[MASK:.*]] = vector.constant_mask [3] : vector<8xi1>
// CHECK: %[[NEXT:.*]] = arith.minui %{{.*}}, %c3 : index
// CHECK: %[[SCRATCH:.*]] = memref.alloca() {alignment = 64 : i64} : memref<43xf32>
// Sweep 1: the norm's input into the scratch row; its sum in 4 partial sums,
// one per chunk of a step. Each step prefetches one line of the first third
// of x's next row (col / 3); the remaining chunk its own.
// CHECK: %[[S1:.*]]:5 = scf.for %[[C:.*]] = %c0 to %c32 step %c32 iter_args(%{{.*}} = %[[YROW]], %[[P0:.*]] = %{{.*}}, %[[P1:.*]] = %{{.*}}, %[[P2:.*]] = %{{.*}}, %[[P3:.*]] = %{{.*}}) -> (tensor<43xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK:   %[[THIRD:.*]] = arith.divui %[[C]], %c3 : index
// CHECK:   memref.prefetch %[[XBUF]][%[[NEXT]], %[[THIRD]]], read, locality<1>, data : memref<4x43xf32>
// CHECK-NOT: memref.prefetch
// CHECK:   %[[X0:.*]] = vector.transfer_read %arg0[%[[ROW]], %[[C]]], %{{.*}} {in_bounds = [true]} : tensor<4x43xf32>, vector<8xf32>
// CHECK:   vector.store %[[X0]], %[[SCRATCH]][%[[C]]] : memref<43xf32>, vector<8xf32>
// CHECK:   arith.addf %[[P0]], %[[X0]] : vector<8xf32>
// CHECK:   arith.addf %[[P1]], %{{.*}} : vector<8xf32>
// CHECK:   arith.addf %[[P2]], %{{.*}} : vector<8xf32>
// CHECK:   arith.addf %[[P3]], %{{.*}} : vector<8xf32>
// The remaining chunk adds to the first partial sum, the tail to the second.
// CHECK: memref.prefetch %[[XBUF]][%[[NEXT]], %c10]
// CHECK: %[[X4:.*]] = vector.transfer_read %arg0[%[[ROW]], %c32]
// CHECK: arith.addf %[[S1]]#1, %[[X4]] : vector<8xf32>
// CHECK: %[[XT:.*]] = vector.transfer_read %arg0[%[[ROW]], %c40], %{{.*}}, %[[MASK]] {in_bounds = [true]} : tensor<4x43xf32>, vector<8xf32>
// CHECK: vector.maskedstore %[[SCRATCH]][%c40], %[[MASK]], %[[XT]]
// CHECK: %[[XTM:.*]] = arith.select %[[MASK]], %[[XT]]
// CHECK: arith.addf %[[S1]]#2, %[[XTM]]
// The partial sums are added pairwise, then across lanes as a tree.
// CHECK: %[[TOTAL:.*]] = vector.reduction <add>, %{{.*}} fastmath<reassoc> : vector<8xf32> into f32
// CHECK: %[[MEAN:.*]] = arith.divf %[[TOTAL]]
// CHECK: %[[MEANV:.*]] = vector.broadcast %[[MEAN]] : f32 to vector<8xf32>
// Sweep 2: deviations from that mean and their squares, over the scratch row;
// the second third of the next row (from 43 / 3 = 14).
// CHECK: scf.for %[[C2:[^ ]*]] = {{.*}} -> (tensor<43xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK:   %[[THIRD2:.*]] = arith.divui %[[C2]], %c3 : index
// CHECK:   %[[AT2:.*]] = arith.addi %[[THIRD2]], %c14 : index
// CHECK:   memref.prefetch %[[XBUF]][%[[NEXT]], %[[AT2]]]
// CHECK:   %[[V:.*]] = vector.load %[[SCRATCH]][%{{.*}}] : memref<43xf32>, vector<8xf32>
// CHECK:   %[[D:.*]] = arith.subf %[[V]], %[[MEANV]] : vector<8xf32>
// CHECK:   arith.addf %{{.*}}, %[[D]] : vector<8xf32>
// CHECK:   vector.fma %[[D]], %[[D]], %{{.*}} : vector<8xf32>
// CHECK: vector.maskedload %[[SCRATCH]][%c40], %[[MASK]]
// CHECK: vector.reduction <add>
// CHECK: vector.reduction <add>
// CHECK: math.sqrt
// Sweep 3: normalize, gamma and beta, the output through the row slice; the
// last third of the next row (from 28).
// CHECK: scf.for {{.*}} -> (tensor<43xf32>)
// CHECK:   %[[AT3:.*]] = arith.addi %{{.*}}, %c28 : index
// CHECK:   memref.prefetch %[[XBUF]][%[[NEXT]], %[[AT3]]], read, locality<1>, data : memref<4x43xf32>
// CHECK-NOT: memref.prefetch
// CHECK:   vector.load %[[SCRATCH]]
// CHECK:   vector.transfer_read %{{.*}} : tensor<1x43xf32>, vector<8xf32>
// CHECK:   vector.transfer_read %{{.*}} : tensor<1x43xf32>, vector<8xf32>
// CHECK:   vector.transfer_write %{{.*}}, %{{.*}}[%{{.*}}] {in_bounds = [true]} : vector<8xf32>, tensor<43xf32>
// CHECK:   scf.yield
// CHECK: vector.maskedload %[[SCRATCH]][%c40], %[[MASK]]
// CHECK: vector.transfer_write %{{.*}}, %{{.*}}[%c40], %[[MASK]] {in_bounds = [true]} : vector<8xf32>, tensor<43xf32>
// CHECK-NOT: scf.for {{.*}} step
// CHECK: scf.forall.in_parallel
// CHECK:   tensor.parallel_insert_slice %{{.*}} into %[[OUT]][%[[ROW]], 0] [1, 43] [1, 1]
// Serial code: the scratch row moves to the function's entry block
// (ndr-hoist-loop-allocas), before the first branch; no OpenMP.
// SERIAL-LABEL: llvm.func @layer(
// SERIAL-NOT: ^bb
// SERIAL: llvm.alloca %{{.*}} x f32 {alignment = 64 : i64} : (i64) -> !llvm.ptr
// SERIAL-NEXT: llvm.br ^bb1
// SERIAL-NOT: llvm.alloca
// SERIAL-NOT: omp.
// SERIAL: llvm.return
func.func @layer(%x: tensor<4x43xf32>, %g: tensor<43xf32>, %b: tensor<43xf32>) -> tensor<4x43xf32> {
  %0 = ndr.layer_norm %x gamma(%g : tensor<43xf32>) beta(%b : tensor<43xf32>) : tensor<4x43xf32>
  return %0 : tensor<4x43xf32>
}

// RMS norm: two sweeps (the sum of squares, then the output); a row that is a
// multiple of 8 has no tail. bf16 is extended on load and rounded on store.
// CHECK-LABEL: func.func @rms_bf16
// CHECK-NOT: vector.constant_mask
// CHECK: memref.alloca() {alignment = 64 : i64} : memref<64xf32>
// CHECK: scf.for {{.*}} -> (tensor<64xbf16>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>) {
// CHECK:   vector.transfer_read {{.*}} : tensor<2x64xbf16>, vector<8xbf16>
// CHECK:   %[[W:.*]] = arith.extf %{{.*}} : vector<8xbf16> to vector<8xf32>
// CHECK:   vector.fma %[[W]], %[[W]], %{{.*}} : vector<8xf32>
// CHECK: vector.reduction <add>
// CHECK-NOT: vector.reduction
// CHECK: math.sqrt
// CHECK: scf.for {{.*}} -> (tensor<64xbf16>) {
// CHECK:   arith.truncf %{{.*}} : vector<8xf32> to vector<8xbf16>
// CHECK:   vector.transfer_write {{.*}} : vector<8xbf16>, tensor<64xbf16>
// CHECK-NOT: scf.for {{.*}} step
// CHECK: scf.forall.in_parallel
func.func @rms_bf16(%x: tensor<2x64xbf16>) -> tensor<2x64xbf16> {
  %0 = ndr.rms_norm %x : tensor<2x64xbf16>
  return %0 : tensor<2x64xbf16>
}

// A prologue of loads and adds whose operands' rows would fill L1 with the
// scratch row (2 x 16 KiB + 16 KiB) is recomputed in the last sweep instead of
// kept: no scratch row, x and r read again, and the next row prefetched in
// halves: the first in the first sweep, the second (from 2048) in the last,
// one line of x and one of r per step.
// CHECK-LABEL: func.func @rms_recompute
// CHECK-NOT: memref.alloca
// CHECK: scf.for %[[C1:[^ ]*]] = %c0 to %c4096 step %c32 {{.*}} -> (tensor<4096xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK:   %[[HALF1:.*]] = arith.divui %[[C1]], %c2 : index
// CHECK:   memref.prefetch %{{.*}}[%{{.*}}, %[[HALF1]]]
// CHECK:   memref.prefetch %{{.*}}[%{{.*}}, %[[HALF1]]]
// CHECK-NOT: memref.prefetch
// CHECK: math.sqrt
// CHECK: scf.for %[[C2:[^ ]*]] = %c0 to %c4096 step %c32 {{.*}} -> (tensor<4096xf32>)
// CHECK:   %[[HALF2:.*]] = arith.divui %[[C2]], %c2 : index
// CHECK:   %[[AT:.*]] = arith.addi %[[HALF2]], %c2048 : index
// CHECK:   memref.prefetch %{{.*}}[%{{.*}}, %[[AT]]]
// CHECK:   memref.prefetch %{{.*}}[%{{.*}}, %[[AT]]]
// CHECK-NOT: memref.prefetch
// CHECK:   vector.transfer_read %arg1
// CHECK:   vector.transfer_read %arg0
// CHECK:   arith.addf
// CHECK-NOT: memref.alloca
// CHECK: scf.forall.in_parallel
func.func @rms_recompute(%x: tensor<2x4096xf32>, %r: tensor<2x4096xf32>) -> tensor<2x4096xf32> {
  %s = ndr.add %x, %r : tensor<2x4096xf32>, tensor<2x4096xf32>
  %y = ndr.rms_norm %s : tensor<2x4096xf32>
  return %y : tensor<2x4096xf32>
}

// A single row has no next row to prefetch; neither has a group without a
// norm, which streams its rows in one sweep.
// CHECK-LABEL: func.func @one_row
// CHECK-NOT: memref.prefetch
// CHECK: math.sqrt
// CHECK-NOT: memref.prefetch
// CHECK: scf.forall.in_parallel
func.func @one_row(%x: tensor<1x768xf32>, %r: tensor<1x768xf32>) -> tensor<1x768xf32> {
  %s = ndr.add %x, %r : tensor<1x768xf32>, tensor<1x768xf32>
  %y = ndr.layer_norm %s : tensor<1x768xf32>
  return %y : tensor<1x768xf32>
}
// CHECK-LABEL: func.func @no_norm
// CHECK-NOT: memref.prefetch
// CHECK: scf.forall.in_parallel
func.func @no_norm(%x: tensor<4x768xf32>, %r: tensor<4x768xf32>) -> tensor<4x768xf32> {
  %s = ndr.add %x, %r : tensor<4x768xf32>, tensor<4x768xf32>
  %y = ndr.relu %s : tensor<4x768xf32>
  return %y : tensor<4x768xf32>
}

// Rows of several dimensions are collapsed to [rows, size] and back.
// CHECK-LABEL: func.func @rank2_rows
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0, 1]] output_shape [2, 15] : tensor<30xf32> into tensor<2x15xf32>
// CHECK: scf.forall (%{{.*}}) in (2)
// CHECK: vector.constant_mask [7] : vector<8xi1>
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0, 1, 2]] output_shape [2, 3, 5] : tensor<30xf32> into tensor<2x3x5xf32>
func.func @rank2_rows(%x: tensor<2x3x5xf32>) -> tensor<2x3x5xf32> {
  %0 = ndr.layer_norm %x normalized_rank = 2 : tensor<2x3x5xf32>
  return %0 : tensor<2x3x5xf32>
}

// A prologue value that is also a result (the pre-norm sum) is written in
// sweep 1, where it is computed; the epilogue (relu) runs in the last sweep.
// CHECK-LABEL: func.func @prologue_epilogue
// CHECK: scf.forall (%{{.*}}) in (4) shared_outs(%[[SOUT:.*]] = %{{.*}}, %[[ZOUT:.*]] = %{{.*}}) -> (tensor<4x32xf32>, tensor<4x32xf32>)
// CHECK: scf.for {{.*}} iter_args(%[[SROW:[^ ]*]] = %{{.*}}) -> (tensor<32xf32>, tensor<32xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK:   %[[S:.*]] = arith.addf %{{.*}}, %{{.*}} : vector<8xf32>
// CHECK:   vector.store %[[S]]
// CHECK:   vector.transfer_write %[[S]], %[[SROW]]
// CHECK: scf.for {{.*}} -> (tensor<32xf32>, tensor<32xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK-NOT: arith.maximumf {{.*}} : vector<8xf32>
// CHECK: math.sqrt
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %{{.*}}, %[[ZROW:.*]] = %{{.*}}) -> (tensor<32xf32>, tensor<32xf32>)
// CHECK:   %[[Z:.*]] = arith.maximumf %{{.*}}, %{{.*}} : vector<8xf32>
// CHECK:   vector.transfer_write %[[Z]], %[[ZROW]]
// CHECK: scf.forall.in_parallel
// CHECK:   tensor.parallel_insert_slice %{{.*}} into %[[SOUT]]
// CHECK:   tensor.parallel_insert_slice %{{.*}} into %[[ZOUT]]
func.func @prologue_epilogue(%x: tensor<4x32xf32>, %r: tensor<4x32xf32>) -> (tensor<4x32xf32>, tensor<4x32xf32>) {
  %s = ndr.add %x, %r : tensor<4x32xf32>, tensor<4x32xf32>
  %y = ndr.layer_norm %s : tensor<4x32xf32>
  %z = ndr.relu %y : tensor<4x32xf32>
  return %s, %z : tensor<4x32xf32>, tensor<4x32xf32>
}

// Without a norm: a single sweep, no scratch row, no reduction. The gelu is
// x * Phi(x) with erfc(a) / 2 = 2^(G(a) - a^2 log2 e) / 2, a = |x| / sqrt 2,
// G a polynomial evaluated by Estrin's scheme (fmas of the same u side by
// side), 2^e as 2^k 2^f: k by adding and subtracting 1.5 * 2^23, whose low
// bits, shifted into the exponent field, make 2^k; 2^f / 2 a polynomial. No
// libm call, no rounding op, no division per element. The bias is inside the
// rows, which grow over the whole [4, 32] tensor, so it is repeated into one
// row first. An activation without a norm or dropout evaluates each step of
// 4 chunks as one vector<32xf32> (LLVM computes its 4 registers side by
// side, so the polynomials' chains overlap).
// CHECK-LABEL: func.func @bias_gelu
// CHECK-NOT: memref.alloca
// CHECK-DAG: %[[END:.*]] = arith.constant dense<9.89949512> : vector<32xf32>
// CHECK-DAG: %[[RSQRT2:.*]] = arith.constant dense<0.707106769> : vector<32xf32>
// CHECK-DAG: %[[CENTER:.*]] = arith.constant dense<-3.500000e+00> : vector<32xf32>
// CHECK-DAG: %[[HALFLOG2E:.*]] = arith.constant dense<-0.72134751> : vector<32xf32>
// CHECK-DAG: %[[FLOOR:.*]] = arith.constant dense<-1.270000e+02> : vector<32xf32>
// CHECK-DAG: %[[MAGIC:.*]] = arith.constant dense<0x4B400000> : vector<32xf32>
// CHECK-DAG: %[[C23:.*]] = arith.constant dense<23> : vector<32xi32>
// CHECK-DAG: %[[BIAS127:.*]] = arith.constant dense<1065353216> : vector<32xi32>
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<32xf32>) outs(%{{.*}} : tensor<4x32xf32>)
// CHECK: scf.forall
// CHECK: scf.for {{.*}} -> (tensor<128xf32>)
// CHECK:   %[[S:.*]] = arith.addf %{{.*}}, %{{.*}} : vector<32xf32>
// CHECK:   %[[ABS:.*]] = math.absf %[[S]] : vector<32xf32>
// CHECK:   %[[A:.*]] = arith.minimumf %[[ABS]], %[[END]] : vector<32xf32>
// CHECK:   %[[U:.*]] = math.fma %[[A]], %[[RSQRT2]], %[[CENTER]] : vector<32xf32>
// CHECK:   math.fma %{{.*}}, %[[U]], %{{.*}} : vector<32xf32>
// CHECK:   math.fma %{{.*}}, %[[U]], %{{.*}} : vector<32xf32>
// CHECK:   %[[SQ:.*]] = arith.mulf %[[S]], %[[S]] : vector<32xf32>
// CHECK:   %[[LOG2ERFC:.*]] = math.fma %[[SQ]], %[[HALFLOG2E]], %{{.*}} : vector<32xf32>
// CHECK:   %[[E:.*]] = arith.maximumf %[[LOG2ERFC]], %[[FLOOR]] : vector<32xf32>
// CHECK:   %[[SHIFTED:.*]] = arith.addf %[[E]], %[[MAGIC]] : vector<32xf32>
// CHECK:   %[[K:.*]] = arith.subf %[[SHIFTED]], %[[MAGIC]] : vector<32xf32>
// CHECK:   %[[F:.*]] = arith.subf %[[E]], %[[K]] : vector<32xf32>
// CHECK-COUNT-6: math.fma %{{.*}}, %[[F]], %{{.*}} : vector<32xf32>
// CHECK-NEXT: %[[KBITS:.*]] = arith.bitcast %[[SHIFTED]] : vector<32xf32> to vector<32xi32>
// CHECK:   %[[EXP:.*]] = arith.shli %[[KBITS]], %[[C23]] : vector<32xi32>
// CHECK:   %[[SCALEBITS:.*]] = arith.addi %[[EXP]], %[[BIAS127]] : vector<32xi32>
// CHECK:   %[[SCALE:.*]] = arith.bitcast %[[SCALEBITS]] : vector<32xi32> to vector<32xf32>
// CHECK:   %[[HALFERFC:.*]] = arith.mulf %{{.*}}, %[[SCALE]] : vector<32xf32>
// CHECK:   %[[NEG:.*]] = arith.cmpf olt, %[[S]], %{{.*}} : vector<32xf32>
// CHECK:   %[[UPPER:.*]] = arith.subf %{{.*}}, %[[HALFERFC]] : vector<32xf32>
// CHECK:   %[[PHI:.*]] = arith.select %[[NEG]], %[[HALFERFC]], %[[UPPER]] : vector<32xi1>, vector<32xf32>
// CHECK:   arith.mulf %[[S]], %[[PHI]] : vector<32xf32>
// CHECK:   vector.transfer_write {{.*}} : vector<32xf32>, tensor<128xf32>
// CHECK-NOT: scf.for {{.*}} step
// CHECK-NOT: vector.reduction
// CHECK-NOT: math.erfc
// CHECK-NOT: math.exp
// CHECK-NOT: math.roundeven
// CHECK-NOT: arith.divf
// CHECK: return
func.func @bias_gelu(%h: tensor<4x32xf32>, %b: tensor<32xf32>) -> tensor<4x32xf32> {
  %0 = ndr.add %h, %b : tensor<4x32xf32>, tensor<32xf32>
  %1 = ndr.gelu %0 : tensor<4x32xf32>
  return %1 : tensor<4x32xf32>
}

// When every operand is the whole tensor, it is swept flat in rows of up to
// 4096 elements.
// CHECK-LABEL: func.func @flat
// CHECK: tensor.expand_shape %{{.*}} output_shape [4, 4096] : tensor<16384xf32> into tensor<4x4096xf32>
// CHECK: scf.forall (%{{.*}}) in (4)
// CHECK: scf.for %{{.*}} = %c0 to %c4096 step %c32
// CHECK:   arith.maximumf %{{.*}}, %{{.*}} : vector<8xf32>
func.func @flat(%x: tensor<64x256xf32>) -> tensor<64x256xf32> {
  %0 = ndr.relu %x : tensor<64x256xf32>
  return %0 : tensor<64x256xf32>
}

// A per-channel [C, 1] operand over rows of [N, C, L] is one value per row:
// read once per row (row % C) and broadcast to the vector.
// CHECK-LABEL: func.func @per_channel_norm
// CHECK: %[[CH:.*]] = tensor.collapse_shape %arg1 {{\[}}[0, 1]] : tensor<3x1xf32> into tensor<3xf32>
// CHECK: scf.forall (%[[ROW:.*]]) in (6)
// CHECK: %[[C:.*]] = arith.remui %[[ROW]], %c3 : index
// CHECK: %[[E:.*]] = tensor.extract %[[CH]][%[[C]]] : tensor<3xf32>
// CHECK: %[[EV:.*]] = vector.broadcast %[[E]] : f32 to vector<8xf32>
// CHECK: %[[X:.*]] = vector.transfer_read
// CHECK: arith.addf %[[X]], %[[EV]] : vector<8xf32>
func.func @per_channel_norm(%x: tensor<2x3x8xf32>, %s: tensor<3x1xf32>) -> tensor<2x3x8xf32> {
  %0 = ndr.add %x, %s : tensor<2x3x8xf32>, tensor<3x1xf32>
  %1 = ndr.layer_norm %0 : tensor<2x3x8xf32>
  return %1 : tensor<2x3x8xf32>
}

// The same without a norm, as a decomposed NCHW batch_norm: rows of 4096 (too
// long to grow over the channels), one scalar per row.
// CHECK-LABEL: func.func @per_channel_rows
// CHECK: scf.forall (%[[ROW:.*]]) in (16)
// CHECK: %[[C:.*]] = arith.remui %[[ROW]], %c8 : index
// CHECK: %[[E:.*]] = tensor.extract %{{.*}}[%[[C]]] : tensor<8xf32>
// CHECK: %[[EV:.*]] = vector.broadcast %[[E]] : f32 to vector<8xf32>
// CHECK: scf.for %{{.*}} = %c0 to %c4096 step %c32
// CHECK:   arith.mulf %{{.*}}, %[[EV]] : vector<8xf32>
// CHECK-NOT: linalg.generic
func.func @per_channel_rows(%x: tensor<2x8x4096xf32>, %s: tensor<8x1xf32>) -> tensor<2x8x4096xf32> {
  %0 = ndr.mul %x, %s : tensor<2x8x4096xf32>, tensor<8x1xf32>
  return %0 : tensor<2x8x4096xf32>
}

// Broadcasting on both sides, [4, 1, 3] + [5, 1] -> [4, 5, 3]: rows of 3
// (growing them over the 5 would mix the first operand's dimensions); row r
// is (i, j) = (r / 5, r % 5), so the first operand's row is r / 5 % 4 and the
// second is one value per row, r % 5.
// CHECK-LABEL: func.func @add_broadcast
// CHECK: %[[A:.*]] = tensor.expand_shape %{{.*}} {{\[}}[0, 1]] output_shape [4, 3] : tensor<12xf32> into tensor<4x3xf32>
// CHECK: %[[B:.*]] = tensor.collapse_shape %arg1 {{\[}}[0, 1]] : tensor<5x1xf32> into tensor<5xf32>
// CHECK: scf.forall (%[[ROW:.*]]) in (20) shared_outs(%{{.*}} = %{{.*}}) -> (tensor<20x3xf32>)
// CHECK: %[[MASK:.*]] = vector.constant_mask [3] : vector<8xi1>
// CHECK: %[[I0:.*]] = arith.divui %[[ROW]], %c5 : index
// CHECK: %[[I:.*]] = arith.remui %[[I0]], %c4 : index
// CHECK: %[[J:.*]] = arith.remui %[[ROW]], %c5 : index
// CHECK: %[[BJ:.*]] = tensor.extract %[[B]][%[[J]]] : tensor<5xf32>
// CHECK: %[[BV:.*]] = vector.broadcast %[[BJ]] : f32 to vector<8xf32>
// CHECK: %[[AV:.*]] = vector.transfer_read %[[A]][%[[I]], %c0], %{{.*}}, %[[MASK]] {in_bounds = [true]} : tensor<4x3xf32>, vector<8xf32>
// CHECK: arith.addf %[[AV]], %[[BV]] : vector<8xf32>
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0, 1, 2]] output_shape [4, 5, 3] : tensor<60xf32> into tensor<4x5x3xf32>
func.func @add_broadcast(%a: tensor<4x1x3xf32>, %b: tensor<5x1xf32>) -> tensor<4x5x3xf32> {
  %0 = ndr.add %a, %b : tensor<4x1x3xf32>, tensor<5x1xf32>
  return %0 : tensor<4x5x3xf32>
}

// A bias over part of the row ([4] in rows of [3, 4]) is repeated over the
// whole row once, by a linalg.generic, and read as a row vector.
// CHECK-LABEL: func.func @bias_in_row
// CHECK: %[[REP:.*]] = linalg.generic {{.*}} ins(%arg1 : tensor<4xf32>) outs(%{{.*}} : tensor<3x4xf32>)
// CHECK: %[[C:.*]] = tensor.collapse_shape %[[REP]] {{\[}}[0, 1]] : tensor<3x4xf32> into tensor<12xf32>
// CHECK: %[[R:.*]] = tensor.expand_shape %[[C]] {{\[}}[0, 1]] output_shape [1, 12] : tensor<12xf32> into tensor<1x12xf32>
// CHECK: scf.forall (%{{.*}}) in (2)
// CHECK: vector.transfer_read %[[R]][%c0, %{{.*}}]
func.func @bias_in_row(%x: tensor<2x3x4xf32>, %bias: tensor<4xf32>) -> tensor<2x3x4xf32> {
  %y = ndr.fused_add_norm layer %x bias(%bias : tensor<4xf32>) eps = 1.0e-5 normalized_rank = 2 : tensor<2x3x4xf32>
  return %y : tensor<2x3x4xf32>
}

// Train-mode dropout in rows of 256 (two 128-element spans of 8 lanes): each
// span first prefetches its share of the next row, a step (4 chunks) at a
// time, so that memory works while Philox runs; then evaluates Philox once
// for its 16 blocks, one block per i64 lane (each word in a lane's low half,
// a product one 64-bit multiply: 19 of them, the first round's product with
// the constant stream folds), makes the words i32 lanes once and stores them
// block by block into a stack buffer; its chunks, 4 per step, each load
// their block's 4 words: 8 16-bit draws.
// CHECK-LABEL: func.func @dropout_spans(
// CHECK-SAME: %[[SEED:[^:]*]]: i64
// CHECK: scf.forall
// CHECK: %[[DRAWS:.*]] = memref.alloca() {alignment = 64 : i64} : memref<64xi32>
// CHECK: scf.for %[[SPAN:.*]] = %c0 to %c256 step %c128
// The drawing sweep is five times as long as each of the other two, so it
// prefetches 5/7 of the next row (two lines a step, the second kept in the
// row), sweeps 2 and 3 a seventh each (from 182 and 219).
// CHECK:   %[[FIVE:.*]] = arith.muli %[[SPAN]], %c5 : index
// CHECK:   %[[AT:.*]] = arith.divui %[[FIVE]], %c7 : index
// CHECK:   memref.prefetch %{{.*}}[%{{.*}}, %[[AT]]]
// CHECK:   memref.prefetch %{{.*}}[%{{.*}}, %[[AT]]]
// CHECK:   %[[NEXTLINE:.*]] = arith.addi %[[AT]], %c16 : index
// CHECK:   %[[INROW:.*]] = arith.minui %[[NEXTLINE]], %c255 : index
// CHECK:   memref.prefetch %{{.*}}[%{{.*}}, %[[INROW]]]
// CHECK:   memref.prefetch %{{.*}}[%{{.*}}, %[[INROW]]]
// CHECK:   %[[STEP2:.*]] = arith.addi %[[SPAN]], %c32 : index
// CHECK:   arith.muli %[[STEP2]], %c5 : index
// CHECK-COUNT-12: memref.prefetch
// CHECK-NOT: memref.prefetch
// CHECK:   arith.trunci %[[SEED]] : i64 to i32
// CHECK-COUNT-19: arith.muli {{.*}} : vector<16xi64>
// CHECK-NOT: arith.muli {{.*}} : vector<16xi64>
// CHECK-COUNT-4: arith.trunci %{{.*}} : vector<16xi64> to vector<16xi32>
// CHECK:   %[[BM:.*]] = vector.shuffle {{.*}} [0, 1, 32, 33, 2, 3, 34, 35,
// CHECK:   vector.store %[[BM]], %[[DRAWS]][%c0] : memref<64xi32>, vector<64xi32>
// CHECK:   scf.for %[[COL:.*]] = %[[SPAN]] to %{{.*}} step %c32
// CHECK-NOT: memref.prefetch
// CHECK:     vector.transfer_read %arg1
// CHECK:     arith.subi %[[COL]], %[[SPAN]] : index
// CHECK:     %[[W:.*]] = vector.load %[[DRAWS]][%{{.*}}] : memref<64xi32>, vector<4xi32>
// CHECK:     %[[H:.*]] = vector.bitcast %[[W]] : vector<4xi32> to vector<8xi16>
// CHECK:     %[[D:.*]] = arith.extui %[[H]] : vector<8xi16> to vector<8xi32>
// CHECK:     arith.cmpi uge, %[[D]], %{{.*}} : vector<8xi32>
// CHECK-COUNT-3: vector.load %[[DRAWS]][
// CHECK:     scf.yield
// CHECK:   scf.yield
// Sweeps 2 and 3 read the scratch row: no second draw.
// CHECK-NOT: arith.muli {{.*}} : vector<16xi64>
// CHECK-NOT: vector.load %[[DRAWS]][
// CHECK: scf.for %[[C2:[^ ]*]] = %c0 to %c256 step %c32
// CHECK:   %[[SEVENTH2:.*]] = arith.divui %[[C2]], %c7 : index
// CHECK:   arith.addi %[[SEVENTH2]], %c182 : index
// CHECK-NOT: arith.muli {{.*}} : vector<16xi64>
// CHECK-NOT: vector.load %[[DRAWS]][
// CHECK: scf.for %[[C3:[^ ]*]] = %c0 to %c256 step %c32
// CHECK:   %[[SEVENTH3:.*]] = arith.divui %[[C3]], %c7 : index
// CHECK:   arith.addi %[[SEVENTH3]], %c219 : index
// CHECK-NOT: arith.muli {{.*}} : vector<16xi64>
// CHECK-NOT: vector.load %[[DRAWS]][
// CHECK: scf.forall.in_parallel
// INFER-LABEL: func.func @dropout_spans(
// INFER-NOT: xi64>
// INFER-NOT: memref<64xi32>
// INFER: scf.forall.in_parallel
func.func @dropout_spans(%x: tensor<2x256xf32>, %r: tensor<2x256xf32>, %seed: i64 {ndr.seed}) -> tensor<2x256xf32> attributes {ndr.model} {
  %d = ndr.dropout %r, p = 0.1, stream = 4 : tensor<2x256xf32>
  %0 = ndr.add %x, %d : tensor<2x256xf32>, tensor<2x256xf32>
  %1 = ndr.layer_norm %0 : tensor<2x256xf32>
  return %1 : tensor<2x256xf32>
}

// Rows of 296: a loop over two spans of 128, then one more span for the
// rest of 40, of 8 blocks (its blocks past the row unused): its two steps'
// prefetches, a vector<8xi64> evaluation, then a loop of 4 chunks and one
// chunk.
// CHECK-LABEL: func.func @dropout_rest(
// CHECK: scf.forall
// CHECK: scf.for %{{.*}} = %c0 to %c256 step %c128
// CHECK-COUNT-19: arith.muli {{.*}} : vector<16xi64>
// CHECK: scf.for
// CHECK: scf.yield
// CHECK: scf.yield
// CHECK-COUNT-4: memref.prefetch
// CHECK-NOT: memref.prefetch
// CHECK-COUNT-19: arith.muli {{.*}} : vector<8xi64>
// CHECK: vector.store %{{.*}}, %{{.*}}[%c0] : memref<64xi32>, vector<32xi32>
// CHECK: scf.for %{{.*}} = %c256 to %c288 step %c32
// CHECK: scf.yield
// CHECK: vector.load %{{.*}} : memref<64xi32>, vector<4xi32>
// CHECK-NOT: arith.muli {{.*}} : vector<16xi64>
// CHECK-NOT: arith.muli {{.*}} : vector<8xi64>
// CHECK: scf.forall.in_parallel
// INFER-LABEL: func.func @dropout_rest(
// INFER-NOT: xi64>
// INFER: scf.forall.in_parallel
func.func @dropout_rest(%x: tensor<3x296xf32>, %seed: i64 {ndr.seed}) -> tensor<3x296xf32> attributes {ndr.model} {
  %y = ndr.fused_add_norm layer %x dropout(p = 0.1, stream = 3) eps = 1.0e-5 : tensor<3x296xf32>
  return %y : tensor<3x296xf32>
}

// Rows of 12: chunks straddle Philox blocks, so each lane draws for its own
// flat index row * 12 + col + lane, as vector<8xi64> (one block per i64
// lane: 19 products); the same in the masked tail. No loop: one whole chunk and the tail.
// fused_add_norm's sum s = residual + dropout(x + bias) is a result, written
// in sweep 1.
// CHECK-LABEL: func.func @dropout_lanes(
// CHECK-SAME: %[[SEED:[^:]*]]: i64
// CHECK-DAG: %[[LANES:.*]] = arith.constant dense<[0, 1, 2, 3, 4, 5, 6, 7]> : vector<8xi64>
// CHECK-DAG: %[[C12:.*]] = arith.constant 12 : index
// CHECK: scf.forall (%[[ROW:.*]]) in (3) shared_outs(%[[Y:.*]] = %{{.*}}, %[[S:.*]] = %{{.*}}) -> (tensor<3x12xf32>, tensor<3x12xf32>)
// CHECK: %[[MASK:.*]] = vector.constant_mask [4] : vector<8xi1>
// CHECK: %[[BASE:.*]] = arith.muli %[[ROW]], %[[C12]] : index
// CHECK-NOT: scf.for
// CHECK: %[[X:.*]] = vector.transfer_read %arg0
// CHECK: %[[BIAS:.*]] = vector.transfer_read
// CHECK: arith.addf %[[X]], %[[BIAS]]
// CHECK: vector.broadcast %{{.*}} : i64 to vector<8xi64>
// CHECK: arith.addi %{{.*}}, %[[LANES]] : vector<8xi64>
// CHECK: arith.trunci %[[SEED]] : i64 to i32
// CHECK-COUNT-19: arith.muli {{.*}} : vector<8xi64>
// CHECK-NOT: arith.muli
// CHECK: arith.cmpi uge, %{{.*}}, %{{.*}} : vector<8xi32>
// CHECK: arith.select
// CHECK: vector.transfer_read %arg2
// CHECK: vector.transfer_write %{{.*}}, %{{.*}}[%c0]
// CHECK: vector.transfer_read %arg0[%[[ROW]], %c8], %{{.*}}, %[[MASK]]
// CHECK: arith.addi %{{.*}}, %[[LANES]] : vector<8xi64>
// CHECK-COUNT-19: arith.muli {{.*}} : vector<8xi64>
// CHECK: vector.transfer_write %{{.*}}, %{{.*}}[%c8], %[[MASK]]
// CHECK-NOT: arith.muli {{.*}} : vector<8xi64>
// CHECK: scf.forall.in_parallel
// CHECK:   tensor.parallel_insert_slice %{{.*}} into %[[Y]]
// CHECK:   tensor.parallel_insert_slice %{{.*}} into %[[S]]
// INFER-LABEL: func.func @dropout_lanes(
// INFER-NOT: vector<8xi64>
// INFER-NOT: xi64>
// INFER: scf.forall.in_parallel
func.func @dropout_lanes(%x: tensor<3x12xf32>, %bias: tensor<12xf32>, %r: tensor<3x12xf32>, %g: tensor<12xf32>, %seed: i64 {ndr.seed}) -> (tensor<3x12xf32>, tensor<3x12xf32>) attributes {ndr.model} {
  %y, %s = ndr.fused_add_norm rms %x bias(%bias : tensor<12xf32>) residual(%r : tensor<3x12xf32>) dropout(p = 0.1, stream = 3) gamma(%g : tensor<12xf32>) eps = 1.0e-6 : tensor<3x12xf32>, tensor<3x12xf32>
  return %y, %s : tensor<3x12xf32>, tensor<3x12xf32>
}

// Infer mode: dropout is the identity, the input is copied through.
// INFER-LABEL: func.func @dropout_alone(
// INFER: scf.for %
// INFER-NEXT: %[[V:.*]] = vector.transfer_read
// INFER-NEXT: %[[W:.*]] = vector.transfer_write %[[V]]
// INFER-NOT: xi64>
// INFER-NOT: arith.select
// INFER: return
func.func @dropout_alone(%x: tensor<2x40xf32>, %seed: i64 {ndr.seed}) -> tensor<2x40xf32> attributes {ndr.model} {
  %0 = ndr.dropout %x, p = 0.1, stream = 2 : tensor<2x40xf32>
  return %0 : tensor<2x40xf32>
}

// drop_connect draws the same masks on a weight; f16 is extended and rounded.
// CHECK-LABEL: func.func @drop_connect(
// CHECK: scf.forall
// CHECK: arith.muli {{.*}} : vector<16xi64>
// CHECK: arith.extf %{{.*}} : vector<8xf16> to vector<8xf32>
// CHECK: arith.truncf %{{.*}} : vector<8xf32> to vector<8xf16>
// INFER-LABEL: func.func @drop_connect(
// INFER-NOT: xi64>
// INFER: return
func.func @drop_connect(%w: tensor<16x8xf16>, %seed: i64 {ndr.seed}) -> tensor<16x8xf16> attributes {ndr.model} {
  %0 = ndr.drop_connect %w, p = 0.5, stream = 7 : tensor<16x8xf16>
  return %0 : tensor<16x8xf16>
}

// The tanh approximation of gelu, sigmoid, silu and tanh: their math.exp and
// math.tanh become polynomials too. Sigmoid's exp(-x) is 2^(-x log2 e) with
// x clamped to [-88.75, 88] and log2 e in two parts (high, low) for the
// fraction.
// CHECK-LABEL: func.func @activations
// CHECK-DAG: arith.constant dense<4.471500e-02> : vector<8xf32>
// CHECK-DAG: arith.constant dense<1.59576917> : vector<8xf32>
// CHECK-DAG: arith.constant dense<-8.875000e+01> : vector<8xf32>
// CHECK-DAG: arith.constant dense<8.800000e+01> : vector<8xf32>
// CHECK-DAG: arith.constant dense<-1.44269502> : vector<8xf32>
// CHECK-DAG: arith.constant dense<-1.92596303E-8> : vector<8xf32>
// CHECK: scf.for
// CHECK-NOT: math.exp
// CHECK-NOT: math.tanh
// CHECK-NOT: math.erf
// CHECK: return
func.func @activations(%x: tensor<2x24xf32>) -> tensor<2x24xf32> {
  %0 = ndr.gelu %x approximate = tanh : tensor<2x24xf32>
  %1 = ndr.sigmoid %0 : tensor<2x24xf32>
  %2 = ndr.silu %1 : tensor<2x24xf32>
  %3 = ndr.tanh %2 : tensor<2x24xf32>
  return %3 : tensor<2x24xf32>
}

// A rank-0 operand (a learned scalar, `f32[]` in the language) is one value
// for every row: read once and broadcast. A rank-0 group is one row of one
// element, under a mask.
// CHECK-LABEL: func.func @scalar_operand
// CHECK: scf.forall
// CHECK: tensor.extract
// CHECK: vector.broadcast %{{.*}} : f32 to vector<8xf32>
// CHECK: arith.mulf %{{.*}}, %{{.*}} : vector<8xf32>
// CHECK: scf.forall.in_parallel
func.func @scalar_operand(%x: tensor<4x8xf32>, %s: tensor<f32>) -> tensor<4x8xf32> {
  %0 = ndr.mul %x, %s : tensor<4x8xf32>, tensor<f32>
  %1 = ndr.layer_norm %0 : tensor<4x8xf32>
  return %1 : tensor<4x8xf32>
}

// CHECK-LABEL: func.func @rank0
// CHECK: vector.constant_mask [1] : vector<8xi1>
// CHECK: arith.maximumf %{{.*}}, %{{.*}} : vector<8xf32>
// CHECK: return %{{.*}} : tensor<f32>
func.func @rank0(%x: tensor<f32>) -> tensor<f32> {
  %0 = ndr.relu %x : tensor<f32>
  return %0 : tensor<f32>
}
