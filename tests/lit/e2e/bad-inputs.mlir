// Bad files and arguments given to a compiled executable end in exactly one
// clear error line and exit code 1, never a crash.
// RUN: ndrc %s -o %t.exe
// RUN: %t.exe --params %golden/rms_norm_h3/params.safetensors --input x=%golden/rms_norm_h3/x.npy | FileCheck %s --check-prefix=OK
// OK: y: f32[3, 3] = [

// RUN: not %t.exe --params %golden/rms_norm_h3/params.safetensors --input x=%t.nope.npy > %t.out 2>&1
// RUN: FileCheck %s --check-prefix=MISSING < %t.out
// MISSING: error: input 'x': {{.*}}nope.npy: cannot open: No such file or directory
// MISSING-NOT: {{.}}

// RUN: head -c 100 %golden/rms_norm_h3/x.npy > %t.trunc.npy
// RUN: not %t.exe --params %golden/rms_norm_h3/params.safetensors --input x=%t.trunc.npy > %t.out 2>&1
// RUN: FileCheck %s --check-prefix=TRUNC < %t.out
// TRUNC: error: input 'x': {{.*}}trunc.npy: header length 118 exceeds the file (100 bytes)
// TRUNC-NOT: {{.}}

// RUN: not %t.exe --params %golden/rms_norm_h3/params.safetensors --input x=%golden/layer_norm_h8/x.npy > %t.out 2>&1
// RUN: FileCheck %s --check-prefix=SHAPE < %t.out
// SHAPE: error: input 'x': {{.*}}layer_norm_h8/x.npy: expected shape [3, 3], got [3, 8]
// SHAPE-NOT: {{.}}

// RUN: not %t.exe --params %golden/rms_norm_h3/params.safetensors --input x=%golden/layer_norm_f16/x.npy > %t.out 2>&1
// RUN: FileCheck %s --check-prefix=DTYPE < %t.out
// DTYPE: error: input 'x': {{.*}}layer_norm_f16/x.npy: expected dtype f32, got f16
// DTYPE-NOT: {{.}}

// RUN: printf 'garbage!' > %t.bad.safetensors
// RUN: not %t.exe --params %t.bad.safetensors > %t.out 2>&1
// RUN: FileCheck %s --check-prefix=HEADER < %t.out
// HEADER: error: {{.*}}bad.safetensors: header length {{[0-9]+}} does not fit the file (8 bytes)
// HEADER-NOT: {{.}}

// RUN: not %t.exe --params %golden/linear_3d/params.safetensors > %t.out 2>&1
// RUN: FileCheck %s --check-prefix=PARAM < %t.out
// PARAM: error: {{.*}}linear_3d/params.safetensors: missing parameter 'g' (f32[3]) of model 'scale'
// PARAM-NOT: {{.}}

// RUN: not %t.exe > %t.out 2>&1
// RUN: FileCheck %s --check-prefix=NOFILE < %t.out
// NOFILE: error: model 'scale': parameter 'g' has no default value; give a params file
// NOFILE-NOT: {{.}}

// RUN: not %t.exe --params %golden/rms_norm_h3/params.safetensors --input z=%golden/rms_norm_h3/x.npy > %t.out 2>&1
// RUN: FileCheck %s --check-prefix=NAME < %t.out
// NAME: error: --input: model 'scale' has no input 'z' (inputs: x)
// NAME-NOT: {{.}}

// RUN: not %t.exe --frob > %t.out 2>&1
// RUN: FileCheck %s --check-prefix=FLAG < %t.out
// FLAG: error: unknown option '--frob' (see --help)
// FLAG-NOT: {{.}}

func.func @scale(%x: tensor<3x3xf32> {ndr.input = "x"}, %g: tensor<3xf32> {ndr.param = "g"})
    -> (tensor<3x3xf32> {ndr.output = "y"}) attributes {ndr.model} {
  %y = ndr.mul %x, %g : tensor<3x3xf32>, tensor<3xf32>
  return %y : tensor<3x3xf32>
}
