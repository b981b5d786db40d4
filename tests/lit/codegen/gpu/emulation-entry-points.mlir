// RUN: ndr-opt %s --ndr-emulation-entry-points | FileCheck %s
// RUN: ndr-opt %s --ndr-emulation-entry-points | mlir-translate --mlir-to-llvmir | FileCheck %s --check-prefix=LLVM

// Each emulated kernel gets a wrapper that takes cuLaunchKernel's parameter
// array (params[i] points at argument i), and a constructor registers the
// wrappers with the emulator under the module's key and the kernel's name.
// CHECK: llvm.func @ndr_emu_register(!llvm.ptr, !llvm.ptr, !llvm.ptr)
// CHECK: llvm.func internal @ndr_emu_m_k_packed(%[[P:.*]]: !llvm.ptr)
// CHECK: %[[S0:.*]] = llvm.getelementptr %[[P]][0] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK: %[[A0:.*]] = llvm.load %[[S0]] : !llvm.ptr -> !llvm.ptr
// CHECK: %[[V0:.*]] = llvm.load %[[A0]] : !llvm.ptr -> !llvm.ptr
// CHECK: %[[S1:.*]] = llvm.getelementptr %[[P]][1] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK: %[[A1:.*]] = llvm.load %[[S1]] : !llvm.ptr -> !llvm.ptr
// CHECK: %[[V1:.*]] = llvm.load %[[A1]] : !llvm.ptr -> i64
// CHECK: llvm.call @ndr_emu_m_k(%[[V0]], %[[V1]])
// CHECK: llvm.func internal @ndr_emu_register_kernels()
// CHECK: llvm.call @ndr_emu_register
// CHECK: llvm.mlir.global_ctors ctors = [@ndr_emu_register_kernels], priorities = [101 : i32]
// LLVM-DAG: @ndr_emu_name_0_0 = internal constant [6 x i8] c"key_1\00"
// LLVM-DAG: @ndr_emu_name_0_1 = internal constant [2 x i8] c"k\00"
// LLVM: @llvm.global_ctors = appending global {{.*}} @ndr_emu_register_kernels
// LLVM: call void @ndr_emu_register(ptr @ndr_emu_name_0_0, ptr @ndr_emu_name_0_1, ptr @ndr_emu_m_k_packed)
llvm.func @ndr_emu_m_k(%x: !llvm.ptr, %n: i64) attributes {ndr_emulated_kernel = ["key_1", "k"]} {
  llvm.return
}
// A module without emulated kernels gets nothing.
llvm.func @other() {
  llvm.return
}
