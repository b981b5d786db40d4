// RUN: not ndrc %s --emit=mlir 2>&1 | FileCheck %s --strict-whitespace

// A verifier error in a .mlir input: file:line:col, the line, a caret.

// CHECK: {{.*}}mlir-invalid.mlir:[[@LINE+4]]:8: error: 'ndr.dropout' op p must be in [0, 1], got 2{{$}}
// CHECK-NEXT: {{^}}  %0 = ndr.dropout %x, p = 2.0, stream = 0 : tensor<4xf32>{{$}}
// CHECK-NEXT: {{^}}       ^{{$}}
func.func @m(%x: tensor<4xf32> {ndr.input = "x"}) -> (tensor<4xf32> {ndr.output = "y"}) attributes {ndr.model} {
  %0 = ndr.dropout %x, p = 2.0, stream = 0 : tensor<4xf32>
  return %0 : tensor<4xf32>
}
