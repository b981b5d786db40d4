// A verified model that ndrc cannot compile exits with 3 (docs/errors.md):
// here train-mode batch_norm, which updates its running statistics in place
// and so needs them as two arguments of the model, not a computed value. The
// diagnostic is the one error line.
// RUN: sh -c 'ndrc %s --mode=train -o %t.exe; echo exit=$?' 2>&1 | FileCheck %s
// CHECK: exit-compile.mlir:[[@LINE+6]]:8: error: 'ndr.batch_norm' op in train mode updates its running statistics in place, so they must be two distinct arguments of the function
// CHECK-NOT: error:
// CHECK: exit=3
// RUN: not test -e %t.exe
func.func @computed_stats(%x: tensor<4x3xf32> {ndr.input = "x"}, %m: tensor<3xf32> {ndr.param = "m"}, %v: tensor<3xf32> {ndr.param = "v"}) -> (tensor<4x3xf32> {ndr.output = "y"}) attributes {ndr.model} {
  %v2 = ndr.add %v, %v : tensor<3xf32>, tensor<3xf32>
  %0 = ndr.batch_norm %x stats(%m, %v2 : tensor<3xf32>) axis = -1 : tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}
