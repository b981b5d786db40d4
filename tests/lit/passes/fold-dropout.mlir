// RUN: ndr-opt %s --ndr-fold-dropout | FileCheck %s --check-prefix=INFER
// RUN: ndr-opt %s --ndr-fold-dropout --ndr-fold-dropout | FileCheck %s --check-prefix=INFER
// RUN: ndr-opt %s --ndr-fold-dropout=mode=train | FileCheck %s --check-prefix=TRAIN

// In infer mode dropout and drop_connect are the identity; in train mode the
// pass must not fire. Running it twice gives the same IR.

// INFER-LABEL: func @dropout
// INFER-NEXT: %[[R:.*]] = ndr.relu %arg0
// INFER-NEXT: return %[[R]]
// TRAIN-LABEL: func @dropout
// TRAIN: ndr.dropout %arg0, p = 1.000000e-01, stream = 0
func.func @dropout(%x: tensor<8x768xf32>) -> tensor<8x768xf32> {
  %0 = ndr.dropout %x, p = 0.1, stream = 0 : tensor<8x768xf32>
  %1 = ndr.relu %0 : tensor<8x768xf32>
  return %1 : tensor<8x768xf32>
}

// INFER-LABEL: func @drop_connect
// INFER-NEXT: %[[L:.*]] = ndr.linear %arg0, %arg1 :
// INFER-NEXT: return %[[L]]
// TRAIN-LABEL: func @drop_connect
// TRAIN: ndr.drop_connect %arg1, p = 5.000000e-01, stream = 1
func.func @drop_connect(%x: tensor<2x4xf32>, %w: tensor<3x4xf32>) -> tensor<2x3xf32> {
  %0 = ndr.drop_connect %w, p = 0.5, stream = 1 : tensor<3x4xf32>
  %1 = ndr.linear %x, %0 : tensor<2x4xf32>, tensor<3x4xf32>
  return %1 : tensor<2x3xf32>
}

// p = 1 drops everything in train mode, but is still the identity at inference.
// INFER-LABEL: func @chain_and_p_one
// INFER-NEXT: return %arg0
// TRAIN-LABEL: func @chain_and_p_one
// TRAIN: ndr.dropout %arg0, p = 1.000000e+00, stream = 2
// TRAIN: ndr.dropout %{{.*}}, p = 2.000000e-01, stream = 3
func.func @chain_and_p_one(%x: tensor<4xbf16>) -> tensor<4xbf16> {
  %0 = ndr.dropout %x, p = 1.0, stream = 2 : tensor<4xbf16>
  %1 = ndr.dropout %0, p = 0.2, stream = 3 : tensor<4xbf16>
  return %1 : tensor<4xbf16>
}

// Nothing to fold: the IR is left as it is.
// INFER-LABEL: func @no_dropout
// INFER-NEXT: ndr.relu
// TRAIN-LABEL: func @no_dropout
// TRAIN-NEXT: ndr.relu
func.func @no_dropout(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = ndr.relu %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}
