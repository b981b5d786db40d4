// RUN: rm -rf %t && mkdir -p %t
// RUN: ndrc %s --emit=lib -o %t/m
// RUN: FileCheck %s --input-file=%t/m.h
// RUN: ndrc %s --emit=obj -o %t/m_obj
// RUN: ndrc %s --emit=exe -o %t/m_exe
// RUN: %t/m_exe --help | FileCheck %s --check-prefix=HELP

// Tensor names that are no C parameter names as they stand: the generated
// API's own (seed, model, inputs), a keyword (int), names equal after
// mangling (a.b and a_b), a comment terminator and a line break. Each
// becomes a distinct identifier (a '_' appended until free) and the C
// compiles; comments name the tensor escaped. Before, the host C compiler
// failed on them ("conflicting types for 'seed'").
// CHECK: /* input seed (C parameter seed_): tensor<4xf32> */
// CHECK: #define M_SEED__RANK 1
// CHECK: /* input model (C parameter model_): tensor<4xf32> */
// CHECK: /* input int (C parameter int_): tensor<4xf32> */
// CHECK: /* input a.b (C parameter a_b): tensor<4xf32> */
// CHECK: /* input a_b (C parameter a_b_): tensor<4xf32> */
// CHECK: /* output y * / z (C parameter y____z): tensor<4xf32> */
// CHECK: /* output line?break (C parameter line_break): tensor<4xf32> */
// CHECK: /* output inputs (C parameter inputs_): tensor<4xf32> */
// CHECK: int m_run(const m_model *model, const float *seed_, const float *model_, const float *int_, const float *a_b, const float *a_b_, float *y____z, float *line_break, float *inputs_, uint64_t seed);
// The names in the model's descriptor are C strings with the same bytes: the
// line break is an octal escape, \012 (it was once written in decimal,
// \10, a backspace).
// HELP-LABEL: outputs:
// HELP-NEXT: {{^  y \*/ z +f32\[4\]$}}
// HELP-NEXT: {{^  line$}}
// HELP-NEXT: {{^break +f32\[4\]$}}
func.func @m(%s: tensor<4xf32> {ndr.input = "seed"}, %mo: tensor<4xf32> {ndr.input = "model"},
             %i: tensor<4xf32> {ndr.input = "int"}, %a: tensor<4xf32> {ndr.input = "a.b"},
             %b: tensor<4xf32> {ndr.input = "a_b"})
    -> (tensor<4xf32> {ndr.output = "y */ z"}, tensor<4xf32> {ndr.output = "line\0Abreak"},
        tensor<4xf32> {ndr.output = "inputs"}) attributes {ndr.model} {
  %0 = ndr.add %s, %mo : tensor<4xf32>, tensor<4xf32>
  %1 = ndr.add %i, %a : tensor<4xf32>, tensor<4xf32>
  %2 = ndr.add %b, %0 : tensor<4xf32>, tensor<4xf32>
  return %0, %1, %2 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}
