// RUN: ndr-opt %s --ndr-emulate-gpu-kernels -split-input-file -verify-diagnostics | FileCheck %s

// Each kernel becomes a host function for the runtime's emulator: ids,
// barriers and shuffles call it, shared memory is a private global; the
// gpu.module becomes a gpu.binary whose image names the kernels ("NDREMU",
// the module's key). The launch stays as it is.
// CHECK-LABEL: func.func @host
// CHECK: gpu.launch_func async [%arg1] @ndr_kernels::@k
// CHECK: func.func private @ndr_emu_ndr_kernels_k(%arg0: memref<64xf32> {llvm.noalias})
// CHECK-SAME: attributes {ndr_emulated_kernel = ["[[KEY:ndr_kernels_[0-9A-F]+]]", "k"]}
// CHECK: %[[SHARED:.*]] = memref.get_global @ndr_emu_ndr_kernels_k_shared0 : memref<2xf32>
// CHECK: %[[TID:.*]] = call @ndr_emu_id(%c0_i32) : (i32) -> i64
// CHECK: call @ndr_emu_id(%c4_i32)
// CHECK: %[[BITS:.*]] = arith.bitcast %{{.*}} : f32 to i32
// CHECK: %[[R:.*]] = call @ndr_emu_shuffle_xor(%[[BITS]], %c1_i32, %c32_i32) : (i32, i32, i32) -> i32
// CHECK: arith.bitcast %[[R]] : i32 to f32
// CHECK: memref.store %{{.*}}, %[[SHARED]]
// CHECK: call @ndr_emu_barrier() : () -> ()
// CHECK: return
// CHECK: memref.global "private" @ndr_emu_ndr_kernels_k_shared0 : memref<2xf32>
// CHECK: gpu.binary @ndr_kernels [#gpu.object<#nvvm.target, bin = "NDREMU\00[[KEY]]\00">]
// CHECK-NOT: gpu.module
module attributes {gpu.container_module} {
  func.func @host(%x: memref<64xf32>, %s: !gpu.async.token {ndr.cuda_stream}) {
    %c1 = arith.constant 1 : index
    %c64 = arith.constant 64 : index
    %t = gpu.launch_func async [%s] @ndr_kernels::@k blocks in (%c1, %c1, %c1) threads in (%c64, %c1, %c1) args(%x : memref<64xf32>)
    return
  }
  gpu.module @ndr_kernels {
    gpu.func @k(%x: memref<64xf32> {llvm.noalias}) workgroup(%shared : memref<2xf32, #gpu.address_space<workgroup>>) kernel {
      %tid = gpu.thread_id x
      %bid = gpu.block_id y
      %v = memref.load %x[%tid] : memref<64xf32>
      %c1 = arith.constant 1 : i32
      %c32 = arith.constant 32 : i32
      %r, %ok = gpu.shuffle xor %v, %c1, %c32 : f32
      %c0 = arith.constant 0 : index
      memref.store %r, %shared[%c0] : memref<2xf32, #gpu.address_space<workgroup>>
      gpu.barrier
      %w = memref.load %shared[%c0] : memref<2xf32, #gpu.address_space<workgroup>>
      memref.store %w, %x[%tid] : memref<64xf32>
      gpu.return
    }
  }
}

// -----

// What the kernels never use is not emulated, and says so.
module attributes {gpu.container_module} {
  gpu.module @ndr_kernels {
    gpu.func @k(%v: f32) kernel {
      %c1 = arith.constant 1 : i32
      %c32 = arith.constant 32 : i32
      // expected-error @below {{'gpu.shuffle' op is not emulated (only f32 xor shuffles are)}}
      %r, %ok = gpu.shuffle down %v, %c1, %c32 : f32
      gpu.return
    }
  }
}
