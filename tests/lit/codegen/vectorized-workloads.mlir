// RUN: ndr-opt %s --ndr-optimize=mode=infer | ndr-opt --ndr-lower-cpu=mode=infer | FileCheck %s --check-prefix=INFER --implicit-check-not=@erfcf --implicit-check-not=@erff --implicit-check-not=@expf --implicit-check-not=@tanhf
// RUN: ndr-opt %s --ndr-optimize=mode=train | ndr-opt --ndr-lower-cpu=mode=train | FileCheck %s --check-prefix=TRAIN --implicit-check-not=@erfcf --implicit-check-not=@erff --implicit-check-not=@expf --implicit-check-not=@tanhf
// RUN: ndr-opt %s --ndr-optimize=mode=infer | ndr-opt --ndr-lower-cpu="mode=infer nontemporal-threshold=1" | FileCheck %s --check-prefix=NT

// The benchmark's workloads (bench/workloads/) through the whole compiler,
// ndr-optimize then ndr-lower-cpu, at their row sizes (768, 4096) with few
// rows: every kernel must still load and store vector<8xf32> in the LLVM
// dialect (kernels of activations without a norm: vector<32xf32>, a step of
// four chunks that LLVM splits into registers side by side), so that a lost
// vectorization fails here rather than only in a benchmark. No scalar libm call may remain (the implicit checks on every
// line: erfc, exp and tanh are polynomials).

// W1: LN(x + r). One kernel, rows on OpenMP threads: sweep 1 loads x and r
// and keeps their sum in the stack scratch row, sweep 2 its squared
// deviations, sweep 3 the output with gamma and beta. A row of 768 has no
// masked tail.
// INFER-LABEL: llvm.func @w1_add_ln(
// INFER: omp.wsloop
// INFER: llvm.alloca %{{.*}} x f32 {alignment = 64 : i64}
// INFER: llvm.load %{{.*}} : !llvm.ptr -> vector<8xf32>
// INFER: llvm.load %{{.*}} : !llvm.ptr -> vector<8xf32>
// INFER: llvm.fadd %{{.*}}, %{{.*}} : vector<8xf32>
// INFER: llvm.store %{{.*}}, %{{.*}} : vector<8xf32>, !llvm.ptr
// INFER: llvm.intr.vector.reduce.fadd
// INFER: llvm.load %{{.*}} : !llvm.ptr -> vector<8xf32>
// INFER: llvm.intr.fmuladd({{.*}}) : (vector<8xf32>, vector<8xf32>, vector<8xf32>) -> vector<8xf32>
// INFER: llvm.intr.sqrt
// INFER: llvm.load %{{.*}} : !llvm.ptr -> vector<8xf32>
// INFER: llvm.load %{{.*}} : !llvm.ptr -> vector<8xf32>
// INFER: llvm.load %{{.*}} : !llvm.ptr -> vector<8xf32>
// INFER: llvm.store %{{.*}}, %{{.*}} : vector<8xf32>, !llvm.ptr
// INFER-NOT: llvm.intr.masked
// INFER: llvm.return
// With a threshold of 1 byte every output row is written non-temporally,
// still as vector<8xf32>.
// NT-LABEL: llvm.func @w1_add_ln(
// NT: llvm.store %{{.*}}, %{{.*}} {alignment = 32 : i64, nontemporal} : vector<8xf32>, !llvm.ptr
// NT: llvm.return
func.func @w1_add_ln(%x: tensor<16x768xf32> {ndr.input = "x"}, %r: tensor<16x768xf32> {ndr.input = "r"},
                     %g: tensor<768xf32> {ndr.param = "gamma"}, %b: tensor<768xf32> {ndr.param = "beta"})
    -> (tensor<16x768xf32> {ndr.output = "y"}) attributes {ndr.model} {
  %0 = ndr.add %x, %r : tensor<16x768xf32>, tensor<16x768xf32>
  %1 = ndr.layer_norm %0 gamma(%g : tensor<768xf32>) beta(%b : tensor<768xf32>) eps = 1.0e-5 : tensor<16x768xf32>
  return %1 : tensor<16x768xf32>
}

// W1 at a hidden size that is not a multiple of 8: the tail of each sweep is
// a masked vector<8xf32> load and store.
// INFER-LABEL: llvm.func @w1_h769(
// INFER: llvm.load %{{.*}} : !llvm.ptr -> vector<8xf32>
// INFER: llvm.intr.masked.load %{{.*}}, %{{.*}}, %{{.*}} {alignment = 4 : i32} : (!llvm.ptr, vector<8xi1>, vector<8xf32>) -> vector<8xf32>
// INFER: llvm.intr.masked.store %{{.*}}, %{{.*}}, %{{.*}} {alignment = 4 : i32} : vector<8xf32>, vector<8xi1> into !llvm.ptr
// INFER: llvm.store %{{.*}}, %{{.*}} : vector<8xf32>, !llvm.ptr
// INFER: llvm.intr.masked.store %{{.*}}, %{{.*}}, %{{.*}} {alignment = 4 : i32} : vector<8xf32>, vector<8xi1> into !llvm.ptr
// INFER: llvm.return
func.func @w1_h769(%x: tensor<4x769xf32> {ndr.input = "x"}, %r: tensor<4x769xf32> {ndr.input = "r"},
                   %g: tensor<769xf32> {ndr.param = "gamma"}, %b: tensor<769xf32> {ndr.param = "beta"})
    -> (tensor<4x769xf32> {ndr.output = "y"}) attributes {ndr.model} {
  %0 = ndr.add %x, %r : tensor<4x769xf32>, tensor<4x769xf32>
  %1 = ndr.layer_norm %0 gamma(%g : tensor<769xf32>) beta(%b : tensor<769xf32>) eps = 1.0e-5 : tensor<4x769xf32>
  return %1 : tensor<4x769xf32>
}

// W2: LN(x + dropout(r, 0.1)), train. The mask is drawn in the kernel, 16
// Philox blocks per span, one per i64 lane: the 32x32-bit products as
// vector<16xi64> multiplies, the words made i32 lanes once and stored block
// by block, each chunk's 8 draws one vector<4xi32> load, the keep test on
// vector<8xi32>.
// TRAIN-LABEL: llvm.func @w2_add_dropout_ln(
// TRAIN: omp.wsloop
// TRAIN: llvm.mul %{{.*}}, %{{.*}} : vector<16xi64>
// TRAIN: llvm.trunc %{{.*}} : vector<16xi64> to vector<16xi32>
// TRAIN: llvm.store %{{.*}}, %{{.*}} {alignment = 4 : i64} : vector<64xi32>, !llvm.ptr
// TRAIN: llvm.load %{{.*}} : !llvm.ptr -> vector<8xf32>
// TRAIN: llvm.load %{{.*}} : !llvm.ptr -> vector<4xi32>
// TRAIN: llvm.bitcast %{{.*}} : vector<4xi32> to vector<8xi16>
// TRAIN: llvm.zext %{{.*}} : vector<8xi16> to vector<8xi32>
// TRAIN: llvm.icmp "uge" %{{.*}}, %{{.*}} : vector<8xi32>
// TRAIN: llvm.select %{{.*}}, %{{.*}}, %{{.*}} : vector<8xi1>, vector<8xf32>
// TRAIN: llvm.load %{{.*}} : !llvm.ptr -> vector<8xf32>
// TRAIN: llvm.fadd %{{.*}}, %{{.*}} : vector<8xf32>
// TRAIN: llvm.store %{{.*}}, %{{.*}} : vector<8xf32>, !llvm.ptr
// TRAIN: llvm.intr.vector.reduce.fadd
// TRAIN: llvm.intr.fmuladd({{.*}}) : (vector<8xf32>, vector<8xf32>, vector<8xf32>) -> vector<8xf32>
// TRAIN: llvm.intr.sqrt
// TRAIN: llvm.store %{{.*}}, %{{.*}} : vector<8xf32>, !llvm.ptr
// TRAIN: llvm.return
// In infer mode the dropout is gone: W1's kernel.
// INFER-LABEL: llvm.func @w2_add_dropout_ln(
// INFER-NOT: vector<8xi64>
// INFER: llvm.load %{{.*}} : !llvm.ptr -> vector<8xf32>
// INFER: llvm.store %{{.*}}, %{{.*}} : vector<8xf32>, !llvm.ptr
// INFER: llvm.return
func.func @w2_add_dropout_ln(%x: tensor<16x768xf32> {ndr.input = "x"}, %r: tensor<16x768xf32> {ndr.input = "r"},
                             %g: tensor<768xf32> {ndr.param = "gamma"}, %b: tensor<768xf32> {ndr.param = "beta"})
    -> (tensor<16x768xf32> {ndr.output = "y"}) attributes {ndr.model} {
  %d = ndr.dropout %r, p = 0.1, stream = 0 : tensor<16x768xf32>
  %0 = ndr.add %x, %d : tensor<16x768xf32>, tensor<16x768xf32>
  %1 = ndr.layer_norm %0 gamma(%g : tensor<768xf32>) beta(%b : tensor<768xf32>) eps = 1.0e-5 : tensor<16x768xf32>
  return %1 : tensor<16x768xf32>
}

// W3: LN((x + r) + bias), as users write it. Both adds run in the kernel's
// first sweep: three vector loads (x, r, bias) and two vector adds.
// INFER-LABEL: llvm.func @w3_add_bias_ln(
// INFER: omp.wsloop
// INFER: llvm.load %{{.*}} : !llvm.ptr -> vector<8xf32>
// INFER: llvm.load %{{.*}} : !llvm.ptr -> vector<8xf32>
// INFER: llvm.load %{{.*}} : !llvm.ptr -> vector<8xf32>
// INFER: llvm.fadd %{{.*}}, %{{.*}} : vector<8xf32>
// INFER: llvm.fadd %{{.*}}, %{{.*}} : vector<8xf32>
// INFER: llvm.store %{{.*}}, %{{.*}} : vector<8xf32>, !llvm.ptr
// INFER: llvm.intr.sqrt
// INFER: llvm.store %{{.*}}, %{{.*}} : vector<8xf32>, !llvm.ptr
// INFER: llvm.return
func.func @w3_add_bias_ln(%x: tensor<16x768xf32> {ndr.input = "x"}, %r: tensor<16x768xf32> {ndr.input = "r"},
                          %bias: tensor<768xf32> {ndr.param = "bias"},
                          %g: tensor<768xf32> {ndr.param = "gamma"}, %b: tensor<768xf32> {ndr.param = "beta"})
    -> (tensor<16x768xf32> {ndr.output = "y"}) attributes {ndr.model} {
  %0 = ndr.add %x, %r : tensor<16x768xf32>, tensor<16x768xf32>
  %1 = ndr.add %0, %bias : tensor<16x768xf32>, tensor<768xf32>
  %2 = ndr.layer_norm %1 gamma(%g : tensor<768xf32>) beta(%b : tensor<768xf32>) eps = 1.0e-5 : tensor<16x768xf32>
  return %2 : tensor<16x768xf32>
}

// W4: RMSNorm(x + r) at hidden 4096: two sweeps, the sum of squares as a
// vector fmuladd, then the output with gamma. x + r is recomputed in the
// second sweep (x, r and a scratch row would not fit in L1 together), while
// half of the next row is prefetched in each sweep.
// INFER-LABEL: llvm.func @w4_add_rms(
// INFER: omp.wsloop
// INFER-NOT: llvm.alloca
// INFER: llvm.intr.prefetch
// INFER: llvm.load %{{.*}} : !llvm.ptr -> vector<8xf32>
// INFER: llvm.load %{{.*}} : !llvm.ptr -> vector<8xf32>
// INFER: llvm.fadd %{{.*}}, %{{.*}} : vector<8xf32>
// INFER: llvm.intr.fmuladd({{.*}}) : (vector<8xf32>, vector<8xf32>, vector<8xf32>) -> vector<8xf32>
// INFER: llvm.intr.vector.reduce.fadd
// INFER-NOT: llvm.intr.vector.reduce.fadd
// INFER: llvm.intr.sqrt
// INFER: llvm.intr.prefetch
// INFER: llvm.load %{{.*}} : !llvm.ptr -> vector<8xf32>
// INFER: llvm.load %{{.*}} : !llvm.ptr -> vector<8xf32>
// INFER: llvm.fadd %{{.*}}, %{{.*}} : vector<8xf32>
// INFER: llvm.fmul %{{.*}}, %{{.*}} : vector<8xf32>
// INFER: llvm.load %{{.*}} : !llvm.ptr -> vector<8xf32>
// INFER: llvm.fmul %{{.*}}, %{{.*}} : vector<8xf32>
// INFER: llvm.store %{{.*}}, %{{.*}} : vector<8xf32>, !llvm.ptr
// INFER-NOT: llvm.intr.masked
// INFER-NOT: llvm.alloca
// INFER: llvm.return
func.func @w4_add_rms(%x: tensor<8x4096xf32> {ndr.input = "x"}, %r: tensor<8x4096xf32> {ndr.input = "r"},
                      %g: tensor<4096xf32> {ndr.param = "gamma"})
    -> (tensor<8x4096xf32> {ndr.output = "y"}) attributes {ndr.model} {
  %0 = ndr.add %x, %r : tensor<8x4096xf32>, tensor<8x4096xf32>
  %1 = ndr.rms_norm %0 gamma(%g : tensor<4096xf32>) eps = 1.0e-6 : tensor<8x4096xf32>
  return %1 : tensor<8x4096xf32>
}

// W5: batch_norm at inference, channels last: (x + (-mean)) * scale + beta,
// the constants computed once by the init function; the kernel is three
// vector ops per chunk, no square root or division per element.
// INFER-LABEL: llvm.func @w5_bn_nc(
// INFER: llvm.load %{{.*}} : !llvm.ptr -> vector<8xf32>
// INFER: llvm.fadd %{{.*}}, %{{.*}} : vector<8xf32>
// INFER: llvm.fmul %{{.*}}, %{{.*}} : vector<8xf32>
// INFER: llvm.fadd %{{.*}}, %{{.*}} : vector<8xf32>
// INFER: llvm.store %{{.*}}, %{{.*}} : vector<8xf32>, !llvm.ptr
// INFER-NOT: llvm.intr.sqrt
// INFER-NOT: llvm.fdiv
// INFER: llvm.return
// INFER-LABEL: llvm.func @w5_bn_nc_init(
// INFER: llvm.intr.sqrt
// W5t: the same in train mode (ndr-decompose-train-batch-norm). The batch
// statistics first: row ranges on the threads, each summing d = x - K and
// d * d per chunk of channels; then the in-order combine, a square root per
// channel, the running statistics under the lock; then the kernel, still
// three vector ops per chunk after x - K and no square root per element.
// TRAIN-LABEL: llvm.func @w5_bn_nc(
// TRAIN: omp.wsloop
// TRAIN: llvm.load %{{.*}} : !llvm.ptr -> vector<8xf32>
// TRAIN: llvm.load %{{.*}} : !llvm.ptr -> vector<8xf32>
// TRAIN: llvm.fsub %{{.*}}, %{{.*}} : vector<8xf32>
// TRAIN: llvm.fadd %{{.*}}, %{{.*}} : vector<8xf32>
// TRAIN: llvm.intr.fmuladd({{.*}}) : (vector<8xf32>, vector<8xf32>, vector<8xf32>) -> vector<8xf32>
// TRAIN: llvm.store %{{.*}}, %{{.*}} : vector<8xf32>, !llvm.ptr
// TRAIN: llvm.intr.sqrt(%{{.*}}) : (f32) -> f32
// TRAIN: llvm.atomicrmw xchg
// TRAIN: llvm.call @w5_bn_nc_kernel(
// TRAIN-LABEL: llvm.func internal @w5_bn_nc_kernel(
// TRAIN: llvm.load %{{.*}} : !llvm.ptr -> vector<8xf32>
// TRAIN: llvm.fadd %{{.*}}, %{{.*}} : vector<8xf32>
// TRAIN: llvm.fadd %{{.*}}, %{{.*}} : vector<8xf32>
// TRAIN: llvm.fmul %{{.*}}, %{{.*}} : vector<8xf32>
// TRAIN: llvm.fadd %{{.*}}, %{{.*}} : vector<8xf32>
// TRAIN: llvm.store %{{.*}}, %{{.*}} : vector<8xf32>, !llvm.ptr
// TRAIN-NOT: llvm.intr.sqrt
// TRAIN: llvm.return
func.func @w5_bn_nc(%x: tensor<16x768xf32> {ndr.input = "x"},
                    %m: tensor<768xf32> {ndr.param = "mean"}, %v: tensor<768xf32> {ndr.param = "var"},
                    %g: tensor<768xf32> {ndr.param = "gamma"}, %b: tensor<768xf32> {ndr.param = "beta"})
    -> (tensor<16x768xf32> {ndr.output = "y"}) attributes {ndr.model} {
  %0 = ndr.batch_norm %x stats(%m, %v : tensor<768xf32>) gamma(%g : tensor<768xf32>) beta(%b : tensor<768xf32>) axis = -1 eps = 1.0e-5 : tensor<16x768xf32>
  return %0 : tensor<16x768xf32>
}

// W5n: the same on NCHW, channels on axis 1: the per-channel constants are
// shaped [C, 1, 1]; the kernel still sweeps vector<8xf32> chunks.
// INFER-LABEL: llvm.func @w5n_bn_nchw(
// INFER: llvm.load %{{.*}} : !llvm.ptr -> vector<8xf32>
// INFER: llvm.fadd %{{.*}}, %{{.*}} : vector<8xf32>
// INFER: llvm.fmul %{{.*}}, %{{.*}} : vector<8xf32>
// INFER: llvm.fadd %{{.*}}, %{{.*}} : vector<8xf32>
// INFER: llvm.store %{{.*}}, %{{.*}} : vector<8xf32>, !llvm.ptr
// INFER-NOT: llvm.intr.sqrt
// INFER: llvm.return
func.func @w5n_bn_nchw(%x: tensor<2x768x4x4xf32> {ndr.input = "x"},
                       %m: tensor<768xf32> {ndr.param = "mean"}, %v: tensor<768xf32> {ndr.param = "var"},
                       %g: tensor<768xf32> {ndr.param = "gamma"}, %b: tensor<768xf32> {ndr.param = "beta"})
    -> (tensor<2x768x4x4xf32> {ndr.output = "y"}) attributes {ndr.model} {
  %0 = ndr.batch_norm %x stats(%m, %v : tensor<768xf32>) gamma(%g : tensor<768xf32>) beta(%b : tensor<768xf32>) axis = 1 eps = 1.0e-5 : tensor<2x768x4x4xf32>
  return %0 : tensor<2x768x4x4xf32>
}

// W5n at the benchmark's 32x32 images: rows of 1024 (too long to grow over
// the channels), so each row reads its channel's three constants once as
// scalars and broadcasts them (insertelement + shufflevector) to
// vector<8xf32>.
// INFER-LABEL: llvm.func @w5n_bn_nchw_32x32(
// INFER: omp.wsloop
// INFER: %[[SHIFT:.*]] = llvm.load %{{.*}} : !llvm.ptr -> f32
// INFER: llvm.insertelement %[[SHIFT]]
// INFER: llvm.shufflevector %{{.*}}, %{{.*}} [0, 0, 0, 0, 0, 0, 0, 0] : vector<8xf32>
// INFER: llvm.load %{{.*}} : !llvm.ptr -> vector<8xf32>
// INFER: llvm.fadd %{{.*}}, %{{.*}} : vector<8xf32>
// INFER: llvm.fmul %{{.*}}, %{{.*}} : vector<8xf32>
// INFER: llvm.fadd %{{.*}}, %{{.*}} : vector<8xf32>
// INFER: llvm.store %{{.*}}, %{{.*}} : vector<8xf32>, !llvm.ptr
// INFER: llvm.return
// The kernel writes the output in place, non-temporally at the benchmark's
// sizes: the rows of [N, C, H, W] are a view of it, not a buffer copied out.
// W5nt, train mode: each plane of 1024 is swept 4 chunks at a time with 4
// partial sums of d and 4 of d * d in registers, each reduced at the end.
// TRAIN-LABEL: llvm.func @w5n_bn_nchw_32x32(
// TRAIN: omp.wsloop
// TRAIN: llvm.shufflevector %{{.*}}, %{{.*}} [0, 0, 0, 0, 0, 0, 0, 0] : vector<8xf32>
// TRAIN-COUNT-4: llvm.intr.fmuladd({{.*}}) : (vector<8xf32>, vector<8xf32>, vector<8xf32>) -> vector<8xf32>
// TRAIN: llvm.intr.vector.reduce.fadd
// TRAIN: llvm.intr.vector.reduce.fadd
// TRAIN: llvm.call @w5n_bn_nchw_32x32_kernel(
// TRAIN-LABEL: llvm.func internal @w5n_bn_nchw_32x32_kernel(
// TRAIN: llvm.load %{{.*}} : !llvm.ptr -> vector<8xf32>
// TRAIN: llvm.fmul %{{.*}}, %{{.*}} : vector<8xf32>
// TRAIN: llvm.store %{{.*}}, %{{.*}} : vector<8xf32>, !llvm.ptr
// TRAIN-NOT: llvm.intr.sqrt
// TRAIN: llvm.return
// NT-LABEL: llvm.func @w5n_bn_nchw_32x32(
// NT-NOT: llvm.intr.memcpy
// NT: llvm.store %{{.*}}, %{{.*}} {alignment = 32 : i64, nontemporal} : vector<8xf32>, !llvm.ptr
// NT-NOT: llvm.intr.memcpy
// NT: llvm.return
func.func @w5n_bn_nchw_32x32(%x: tensor<2x768x32x32xf32> {ndr.input = "x"},
                             %m: tensor<768xf32> {ndr.param = "mean"}, %v: tensor<768xf32> {ndr.param = "var"},
                             %g: tensor<768xf32> {ndr.param = "gamma"}, %b: tensor<768xf32> {ndr.param = "beta"})
    -> (tensor<2x768x32x32xf32> {ndr.output = "y"}) attributes {ndr.model} {
  %0 = ndr.batch_norm %x stats(%m, %v : tensor<768xf32>) gamma(%g : tensor<768xf32>) beta(%b : tensor<768xf32>) axis = 1 eps = 1.0e-5 : tensor<2x768x32x32xf32>
  return %0 : tensor<2x768x32x32xf32>
}

// W6: the post-norm FFN, LN(x + dropout(W2 gelu(W1 x + b1) + b2)). The gelu
// after the first linear is a kernel of its own: its erfc is polynomials
// of vector<32xf32> fma, a step of four chunks at once (no @erfcf call, no
// division). The residual add, the dropout (in training) and the norm are
// one kernel.
// INFER-LABEL: llvm.func @w6_ffn_post_ln(
// INFER: llvm.load %{{.*}} : !llvm.ptr -> vector<32xf32>
// INFER: llvm.intr.fabs(%{{.*}}) : (vector<32xf32>) -> vector<32xf32>
// INFER: llvm.intr.fma(%{{.*}}, %{{.*}}, %{{.*}}) : (vector<32xf32>, vector<32xf32>, vector<32xf32>) -> vector<32xf32>
// INFER: llvm.store %{{.*}}, %{{.*}} : vector<32xf32>, !llvm.ptr
// INFER: llvm.alloca %{{.*}} x f32 {alignment = 64 : i64}
// INFER: llvm.load %{{.*}} : !llvm.ptr -> vector<8xf32>
// INFER: llvm.load %{{.*}} : !llvm.ptr -> vector<8xf32>
// INFER: llvm.fadd %{{.*}}, %{{.*}} : vector<8xf32>
// INFER: llvm.intr.sqrt
// INFER: llvm.store %{{.*}}, %{{.*}} : vector<8xf32>, !llvm.ptr
// INFER: llvm.return
// TRAIN-LABEL: llvm.func @w6_ffn_post_ln(
// TRAIN: llvm.intr.fabs(%{{.*}}) : (vector<32xf32>) -> vector<32xf32>
// TRAIN: llvm.store %{{.*}}, %{{.*}} : vector<32xf32>, !llvm.ptr
// TRAIN: llvm.alloca %{{.*}} x f32 {alignment = 64 : i64}
// TRAIN: llvm.mul %{{.*}}, %{{.*}} : vector<16xi64>
// TRAIN: llvm.load %{{.*}} : !llvm.ptr -> vector<8xf32>
// TRAIN: llvm.icmp "uge" %{{.*}}, %{{.*}} : vector<8xi32>
// TRAIN: llvm.intr.sqrt
// TRAIN: llvm.store %{{.*}}, %{{.*}} : vector<8xf32>, !llvm.ptr
// TRAIN: llvm.return
// The norm kernel writes the [2, 8, 768] output in place, as W1 does.
// NT-LABEL: llvm.func @w6_ffn_post_ln(
// NT: llvm.intr.sqrt
// NT-NOT: llvm.intr.memcpy
// NT: llvm.store %{{.*}}, %{{.*}} {alignment = 32 : i64, nontemporal} : vector<8xf32>, !llvm.ptr
// NT-NOT: llvm.intr.memcpy
// NT: llvm.return
func.func @w6_ffn_post_ln(%x: tensor<2x8x768xf32> {ndr.input = "x"},
                          %w1: tensor<3072x768xf32> {ndr.param = "w1"}, %b1: tensor<3072xf32> {ndr.param = "b1"},
                          %w2: tensor<768x3072xf32> {ndr.param = "w2"}, %b2: tensor<768xf32> {ndr.param = "b2"},
                          %g: tensor<768xf32> {ndr.param = "g"}, %b: tensor<768xf32> {ndr.param = "b"})
    -> (tensor<2x8x768xf32> {ndr.output = "y"}) attributes {ndr.model} {
  %0 = ndr.linear %x, %w1, %b1 : tensor<2x8x768xf32>, tensor<3072x768xf32>, tensor<3072xf32>
  %1 = ndr.gelu %0 : tensor<2x8x3072xf32>
  %2 = ndr.linear %1, %w2, %b2 : tensor<2x8x3072xf32>, tensor<768x3072xf32>, tensor<768xf32>
  %3 = ndr.dropout %2, p = 0.1, stream = 0 : tensor<2x8x768xf32>
  %4 = ndr.add %x, %3 : tensor<2x8x768xf32>, tensor<2x8x768xf32>
  %5 = ndr.layer_norm %4 gamma(%g : tensor<768xf32>) beta(%b : tensor<768xf32>) eps = 1.0e-5 : tensor<2x8x768xf32>
  return %5 : tensor<2x8x768xf32>
}
