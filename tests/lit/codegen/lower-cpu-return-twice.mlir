// RUN: ndr-opt %s --ndr-lower-cpu | FileCheck %s

// A function in the module (not a model) that returns one value twice: its
// allocation used to be erased twice by buffer-results-to-out-params (a
// crash, found by ndr-mlir-fuzzer); ndr-distinct-returns gives the second
// result its own buffer, so both become out-parameters.
// CHECK-LABEL: llvm.func @helper(
// CHECK-SAME: %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr) {
// CHECK-NOT: llvm.return %
func.func @helper(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %0 = ndr.layer_norm %x : tensor<4x8xf32>
  return %0, %0 : tensor<4x8xf32>, tensor<4x8xf32>
}
