// ndrc reads models written as ndr IR too.

// RUN: ndrc %s --emit=mlir --no-opt | FileCheck %s

// CHECK: func.func @relu_model(%{{.*}}: tensor<4xf32> {ndr.input = "x"}) -> (tensor<4xf32> {ndr.output = "y"}) attributes {ndr.model}
// CHECK: ndr.relu
func.func @relu_model(%x: tensor<4xf32> {ndr.input = "x"}) -> (tensor<4xf32> {ndr.output = "y"}) attributes {ndr.model} {
  %0 = ndr.relu %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}
