// Every example in examples/ parses and verifies.
// RUN: ndr-opt %ndr_src_root/examples/ffn_post_ln.mlir | FileCheck %s

// CHECK-LABEL: func.func @ffn_post_ln
// CHECK: ndr.dropout
// CHECK: ndr.layer_norm
