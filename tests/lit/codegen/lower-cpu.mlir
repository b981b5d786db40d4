// RUN: ndr-opt %s --ndr-lower-cpu=mode=train | FileCheck %s
// RUN: ndr-opt %s --ndr-lower-cpu=mode=train | FileCheck %s --check-prefix=NOMALLOC
// RUN: ndr-opt %s --ndr-lower-cpu="mode=infer openmp=false" | FileCheck %s --check-prefix=SERIAL
// RUN: ndr-opt %s --ndr-lower-cpu=mode=train | mlir-translate --mlir-to-llvmir | FileCheck %s --check-prefix=LLVM

// The whole pipeline: the model becomes one LLVM function taking a pointer
// per input, parameter and output (bare-pointer ABI), then one to its
// workspace (the linear's result, 4 x 11 floats, in 192 bytes), then the i64
// seed.

// CHECK-LABEL: llvm.func @m(
// CHECK-SAME: %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: i64 {ndr.seed})
// CHECK-SAME: attributes {ndr.model, ndr.workspace = 192 : i64}
// No allocation per call, anywhere in the module.
// NOMALLOC-NOT: llvm.call @malloc
// Rows and the loops of the linear run on OpenMP threads.
// CHECK: omp.parallel
// CHECK: omp.wsloop
// The norm's tail of 3 is a masked load and store.
// CHECK: llvm.intr.masked.load {{.*}} -> vector<8xf32>
// CHECK: llvm.intr.masked.store {{.*}} : vector<8xf32>, vector<8xi1> into !llvm.ptr

// SERIAL-LABEL: llvm.func @m(
// SERIAL-NOT: omp.
// SERIAL: llvm.return

// LLVM: define void @m(ptr %0, ptr %1, ptr %2, ptr %3, ptr %4, ptr %5, i64 %6)
// LLVM: call void {{.*}}@__kmpc_fork_call
func.func @m(%x: tensor<4x11xf32> {ndr.input = "x"},
             %w: tensor<11x11xf32> {ndr.param = "w"},
             %g: tensor<11xf32> {ndr.param = "g"})
    -> (tensor<4x11xf32> {ndr.output = "y"}, tensor<4x11xf32> {ndr.output = "s"})
    attributes {ndr.model} {
  %h = ndr.linear %x, %w : tensor<4x11xf32>, tensor<11x11xf32>
  %a = ndr.gelu %h : tensor<4x11xf32>
  %y, %s = ndr.fused_add_norm rms %a residual(%x : tensor<4x11xf32>) dropout(p = 0.1, stream = 0) gamma(%g : tensor<11xf32>) eps = 1.0e-6 : tensor<4x11xf32>, tensor<4x11xf32>
  return %y, %s : tensor<4x11xf32>, tensor<4x11xf32>
}
