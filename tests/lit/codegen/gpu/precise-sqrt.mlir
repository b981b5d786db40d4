// RUN: ndr-opt %s --pass-pipeline='builtin.module(gpu.module(ndr-gpu-precise-sqrt))' | FileCheck %s

// f32 square roots in kernels are rounded to nearest (sqrt.rn.f32), not
// NVVM's default sqrt.approx.f32; other types keep math.sqrt.
// CHECK-LABEL: gpu.func @k
// CHECK: %[[R:.*]] = llvm.call_intrinsic "llvm.nvvm.sqrt.rn.f"(%arg0) : (f32) -> f32
// CHECK: arith.divf %{{.*}}, %[[R]]
// CHECK: math.sqrt %arg1 : f64
// CHECK: math.sqrt %arg2 : vector<4xf32>
gpu.module @m {
  gpu.func @k(%a: f32, %b: f64, %c: vector<4xf32>) kernel {
    %one = arith.constant 1.0 : f32
    %0 = math.sqrt %a : f32
    %1 = arith.divf %one, %0 : f32
    %2 = math.sqrt %b : f64
    %3 = math.sqrt %c : vector<4xf32>
    gpu.return
  }
}
