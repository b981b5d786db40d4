// RUN: valgrind --error-exitcode=1 -q ndr-opt %s --pass-pipeline='builtin.module(ndr-lower-to-linalg{mode=train})' -o /dev/null

// Train-mode batch_norm's lowering read the op's momentum after it had
// replaced (erased) the op: memcheck reported the invalid read in
// BatchNormOp::getMomentum. The test fails on any memcheck error.
func.func @batch_norm(%x: tensor<2x3x2x2xf32>, %m: tensor<3xf32>, %v: tensor<3xf32>) -> tensor<2x3x2x2xf32> {
  %0 = ndr.batch_norm %x stats(%m, %v : tensor<3xf32>) momentum = 0.2 : tensor<2x3x2x2xf32>
  return %0 : tensor<2x3x2x2xf32>
}
