// Bad files and arguments given to a compiled executable end in exactly one
// clear error line, never a crash, and exit with the failure's ndr_status
// (docs/errors.md): 1 I/O, 2 format, 3 shape, 4 dtype, 5 missing tensor,
// 6 bad argument (7, out of memory: exit-nomem.ndr).
// RUN: ndrc %s -o %t.exe
// RUN: %t.exe --params %golden/rms_norm_h3/params.safetensors --input x=%golden/rms_norm_h3/x.npy | FileCheck %s --check-prefix=OK
// OK: y: f32[3, 3] = [

// RUN: sh -c '%t.exe --params %golden/rms_norm_h3/params.safetensors --input x=%t.nope.npy; echo exit=$?' > %t.out 2>&1
// RUN: FileCheck %s --check-prefix=MISSING < %t.out
// MISSING: {{^}}error: input 'x': {{.*}}nope.npy: cannot open: No such file or directory
// MISSING-NEXT: exit=1
// MISSING-NOT: {{.}}

// RUN: head -c 100 %golden/rms_norm_h3/x.npy > %t.trunc.npy
// RUN: sh -c '%t.exe --params %golden/rms_norm_h3/params.safetensors --input x=%t.trunc.npy; echo exit=$?' > %t.out 2>&1
// RUN: FileCheck %s --check-prefix=TRUNC < %t.out
// TRUNC: {{^}}error: input 'x': {{.*}}trunc.npy: header length 118 exceeds the file (100 bytes)
// TRUNC-NEXT: exit=2
// TRUNC-NOT: {{.}}

// RUN: sh -c '%t.exe --params %golden/rms_norm_h3/params.safetensors --input x=%golden/layer_norm_h8/x.npy; echo exit=$?' > %t.out 2>&1
// RUN: FileCheck %s --check-prefix=SHAPE < %t.out
// SHAPE: {{^}}error: input 'x': {{.*}}layer_norm_h8/x.npy: expected shape [3, 3], got [3, 8]
// SHAPE-NEXT: exit=3
// SHAPE-NOT: {{.}}

// RUN: sh -c '%t.exe --params %golden/rms_norm_h3/params.safetensors --input x=%golden/layer_norm_f16/x.npy; echo exit=$?' > %t.out 2>&1
// RUN: FileCheck %s --check-prefix=DTYPE < %t.out
// DTYPE: {{^}}error: input 'x': {{.*}}layer_norm_f16/x.npy: expected dtype f32, got f16
// DTYPE-NEXT: exit=4
// DTYPE-NOT: {{.}}

// RUN: printf 'garbage!' > %t.bad.safetensors
// RUN: sh -c '%t.exe --params %t.bad.safetensors; echo exit=$?' > %t.out 2>&1
// RUN: FileCheck %s --check-prefix=HEADER < %t.out
// HEADER: {{^}}error: {{.*}}bad.safetensors: header length {{[0-9]+}} does not fit the file (8 bytes)
// HEADER-NEXT: exit=2
// HEADER-NOT: {{.}}

// RUN: sh -c '%t.exe --params %golden/linear_3d/params.safetensors; echo exit=$?' > %t.out 2>&1
// RUN: FileCheck %s --check-prefix=PARAM < %t.out
// PARAM: {{^}}error: {{.*}}linear_3d/params.safetensors: missing parameter 'g' (f32[3]) of model 'scale'
// PARAM-NEXT: exit=5
// PARAM-NOT: {{.}}

// RUN: sh -c '%t.exe; echo exit=$?' > %t.out 2>&1
// RUN: FileCheck %s --check-prefix=NOFILE < %t.out
// NOFILE: {{^}}error: model 'scale': parameter 'g' has no default value; give a params file
// NOFILE-NEXT: exit=5
// NOFILE-NOT: {{.}}

// RUN: sh -c '%t.exe --params %golden/rms_norm_h3/params.safetensors --input z=%golden/rms_norm_h3/x.npy; echo exit=$?' > %t.out 2>&1
// RUN: FileCheck %s --check-prefix=NAME < %t.out
// NAME: {{^}}error: --input: model 'scale' has no input 'z' (inputs: x)
// NAME-NEXT: exit=6
// NAME-NOT: {{.}}

// RUN: sh -c '%t.exe --frob; echo exit=$?' > %t.out 2>&1
// RUN: FileCheck %s --check-prefix=FLAG < %t.out
// FLAG: {{^}}error: unknown option '--frob' (see --help)
// FLAG-NEXT: exit=6
// FLAG-NOT: {{.}}

func.func @scale(%x: tensor<3x3xf32> {ndr.input = "x"}, %g: tensor<3xf32> {ndr.param = "g"})
    -> (tensor<3x3xf32> {ndr.output = "y"}) attributes {ndr.model} {
  %y = ndr.mul %x, %g : tensor<3x3xf32>, tensor<3xf32>
  return %y : tensor<3x3xf32>
}
