// RUN: ndr-opt %s --ndr-check-variance-shift -o /dev/null 2>&1 | FileCheck %s

// The notes name the batch_norms in program order, also when one sits in a
// region: the first is inside the scf.if (deep in its block), the second
// after it at the top level. Sorting by block order across blocks put them
// the other way round.
func.func @in_region(%x: tensor<4x8xf32>, %m: tensor<8xf32>, %c: i1) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  // CHECK: :[[@LINE+1]]:{{[0-9]+}}: warning: variance shift: ndr.dropout with p = 0.5
  %d = ndr.dropout %x, p = 0.5, stream = 0 : tensor<4x8xf32>
  %u = scf.if %c -> tensor<4x8xf32> {
    %a = ndr.relu %x : tensor<4x8xf32>
    %b = ndr.relu %a : tensor<4x8xf32>
    %e = ndr.relu %b : tensor<4x8xf32>
    // CHECK: :[[@LINE+1]]:{{[0-9]+}}: note: this batch_norm learned its running statistics
    %n = ndr.batch_norm %d stats(%m, %m : tensor<8xf32>) : tensor<4x8xf32>
    scf.yield %n : tensor<4x8xf32>
  } else {
    scf.yield %x : tensor<4x8xf32>
  }
  // CHECK: :[[@LINE+1]]:{{[0-9]+}}: note: this batch_norm learned its running statistics
  %top = ndr.batch_norm %d stats(%m, %m : tensor<8xf32>) : tensor<4x8xf32>
  return %u, %top : tensor<4x8xf32>, tensor<4x8xf32>
}
