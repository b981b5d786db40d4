/* ndr_model.h - the model host: what a compiled model needs at run time.
 *
 * ndrc compiles a model to an object file with two plain C functions, `init`
 * and `run`, and generates a C file holding an ndr_model_desc that describes
 * the model's tensors and points at them. This header is all that C file
 * includes. The functions below allocate and load the parameters, run the
 * model, and implement the command line of a generated executable
 * (DESIGN.md section 7), whose `main` is just `return ndr_exe_main(&desc,
 * argc, argv);`.
 *
 * Buffer order. Compiled code sees every tensor as one pointer to its
 * row-major data in a `void **buffers` array, in this order:
 *   init: params..., derived...                        (writes derived)
 *   run:  inputs..., params..., derived..., outputs... (writes outputs)
 *         [, workspace]                    (when workspace_bytes > 0)
 * each group in the order of its array in the descriptor. Parameter, derived
 * and workspace buffers are 64-byte aligned (NDR_ALIGNMENT); input and
 * output buffers are the caller's. The workspace holds the run's
 * intermediates at offsets the compiler planned (ndr-plan-workspace): each
 * concurrent run needs its own, and ndr_model_run keeps them for reuse.
 *
 * A CUDA model (target NDR_TARGET_CUDA, `ndrc --target=cuda`) has the same
 * buffers in device memory, allocated by ndr_model_create (parameters,
 * derived values, and for ndr_model_run one set of input, output and
 * workspace buffers per concurrent run), and its functions enqueue their
 * work on a CUstream. ndr_model_run copies host inputs in and outputs out;
 * ndr_model_run_device takes the caller's device buffers and stream.
 */
#ifndef NDR_MODEL_H
#define NDR_MODEL_H

#include "ndr_runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The default of a parameter when no params file is given (DESIGN.md section
 * 6: `= zeros | ones | normal(STD)`). NDR_INIT_NONE: the parameter has no
 * default; inputs, derived values and outputs use it too. */
typedef enum ndr_init_kind {
  NDR_INIT_NONE = 0,
  NDR_INIT_ZEROS,
  NDR_INIT_ONES,
  NDR_INIT_NORMAL
} ndr_init_kind;

/* One tensor of a model. dtype is NDR_F32, NDR_F16 or NDR_BF16. init_std is
 * the standard deviation of NDR_INIT_NORMAL (ignored otherwise). */
typedef struct ndr_tensor_desc {
  const char *name;
  ndr_dtype dtype;
  int32_t rank;
  const int64_t *shape;
  ndr_init_kind init;
  float init_std;
} ndr_tensor_desc;

/* The kind of machine a compiled model runs on. */
typedef enum ndr_target { NDR_TARGET_CPU = 0, NDR_TARGET_CUDA = 1 } ndr_target;

typedef struct ndr_model_desc {
  const char *name;
  int32_t num_inputs, num_params, num_derived, num_outputs;
  const ndr_tensor_desc *inputs, *params, *derived, *outputs;
  /* Computes the derived values from the parameters; called once by
   * ndr_model_create. May be NULL when num_derived is 0. */
  void (*init)(void **buffers);
  /* One run of the model with the given dropout seed (DESIGN.md section 5).
   * Must not write its inputs, parameters or derived values, so that runs
   * can overlap; the one exception, train-mode batch_norm's running
   * statistics, is updated under a lock of the generated code. */
  void (*run)(void **buffers, uint64_t seed);
  /* The bytes of the workspace that run takes after the outputs; 0: none. */
  int64_t workspace_bytes;
  /* Where the model runs. NDR_TARGET_CPU: init and run above. NDR_TARGET_CUDA:
   * init_device and run_device below, on device buffers, enqueued on
   * `stream` (a CUstream; the host code returns before the work is done);
   * init and run are NULL. */
  ndr_target target;
  void (*init_device)(void **buffers, void *stream);
  void (*run_device)(void **buffers, uint64_t seed, void *stream);
} ndr_model_desc;

/* Philox streams of the default values drawn by ndr_fill_normal (counter
 * word 3 is 1, so they never meet a dropout mask): parameter i uses stream
 * NDR_PARAM_STREAM + i, and input i of an executable, when no file gives
 * it, NDR_INPUT_STREAM + i with standard deviation 1. */
#define NDR_PARAM_STREAM 0u
#define NDR_INPUT_STREAM 0x80000000u

typedef struct ndr_model ndr_model;

/* Checks the descriptor, allocates the parameter and derived buffers, fills
 * the parameters and calls desc->init. With a params_path every parameter
 * is read by name from that safetensors file and must have the dtype and
 * shape of its descriptor (extra tensors in the file are ignored); with
 * NULL each is filled from its default, normal ones with `seed`. The
 * descriptor must outlive the model. On failure *out is NULL. */
ndr_status ndr_model_create(const ndr_model_desc *desc, const char *params_path,
                            uint64_t seed, ndr_model **out);

/* One run: inputs[i] and outputs[i] point at the data of desc->inputs[i] and
 * desc->outputs[i]. Safe to call from several threads at once on one model,
 * with distinct outputs. A run takes a workspace the model keeps from an
 * earlier run, or allocates one (NDR_ERR_NOMEM if it cannot): after the
 * first run of each concurrent caller, runs neither allocate nor fault in
 * pages for their intermediates. */
ndr_status ndr_model_run(const ndr_model *model, const void *const *inputs,
                         void *const *outputs, uint64_t seed);

/* A run of a CUDA model on the caller's device memory: d_inputs[i] and
 * d_outputs[i] are device pointers (CUdeviceptr values, 16-byte aligned) to
 * the data of desc->inputs[i] and desc->outputs[i], in the device's primary
 * context (NDR_CUDA_DEVICE, default 0). The work is enqueued on `stream` (a
 * CUstream; NULL: the legacy default stream) and the call returns without
 * waiting for it: read the outputs after synchronizing that stream. Runs may
 * overlap on different streams; each takes a workspace that the model keeps
 * and that no earlier run still uses on the device. NDR_ERR_ARG for a CPU
 * model. */
ndr_status ndr_model_run_device(const ndr_model *model, const void *const *d_inputs,
                                void *const *d_outputs, uint64_t seed,
                                void *stream);

/* The target of a created model. */
ndr_target ndr_model_target(const ndr_model *model);

/* NULL is ignored. */
void ndr_model_destroy(ndr_model *model);

/* The command line of a generated executable:
 *   OUT [--params FILE.safetensors] [--input NAME=FILE.npy]...
 *       [--output NAME=FILE.npy]... [--seed N] [--bench ITERS] [--help]
 * Returns the exit code: 0, or the failure's ndr_status after one line
 * `error: MESSAGE` on stderr (docs/errors.md). */
int ndr_exe_main(const ndr_model_desc *desc, int argc, char **argv);

#ifdef __cplusplus
}
#endif

#endif /* NDR_MODEL_H */
