// model.cpp - creating, running and destroying a compiled model.
#include "runtime/internal.h"
#include "runtime/ndr_model.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <mutex>
#include <vector>

using ndr_rt::fail;

struct ndr_model {
  const ndr_model_desc *desc;
  // params..., derived...: the tail of every run's buffer array, and init's.
  std::vector<void *> state;
  // Whether runs let their OpenMP workers sleep at once (libgomp was loaded
  // when the model was created; openmp.cpp).
  bool quietOpenmp = false;
  // Workspaces of desc->workspace_bytes not in use by a run; as many exist
  // as runs have overlapped, each freed with the model.
  std::mutex workspaceMutex;
  std::vector<void *> idleWorkspaces;
  size_t numWorkspaces = 0;
  // A CUDA model's device buffers and run contexts (state is then empty).
  ndr_rt::CudaModel *cuda = nullptr;
};

namespace {
std::string modelName(const ndr_model_desc &desc) {
  return fmt::format("model '{}'", desc.name);
}

// Checks one group of tensors of a descriptor.
ndr_status checkGroup(const ndr_model_desc &desc, const char *group, int32_t count,
                      const ndr_tensor_desc *tensors) {
  std::string what = fmt::format("{}: {}", modelName(desc), group);
  if (count < 0 || (count > 0 && !tensors))
    return fail(NDR_ERR_ARG, "{}: invalid count or null array", what);
  for (int32_t i = 0; i < count; ++i) {
    const ndr_tensor_desc &t = tensors[i];
    if (!t.name)
      return fail(NDR_ERR_ARG, "{} {} has no name", what, i);
    std::string tensor = fmt::format("{} '{}'", what, t.name);
    if (t.dtype != NDR_F32 && t.dtype != NDR_F16 && t.dtype != NDR_BF16)
      return fail(NDR_ERR_ARG, "{}: dtype must be f32, f16 or bf16, not {}",
                  tensor, ndr_dtype_name(t.dtype));
    uint64_t bytes;
    if (t.rank < 0 || t.rank > NDR_MAX_RANK || (t.rank > 0 && !t.shape) ||
        !ndr_rt::tensorBytes(t.dtype, t.rank, t.shape, &bytes))
      return fail(NDR_ERR_ARG, "{}: invalid shape", tensor);
    if (t.init < NDR_INIT_NONE || t.init > NDR_INIT_NORMAL ||
        (t.init == NDR_INIT_NORMAL && !(t.init_std >= 0 && std::isfinite(t.init_std))))
      return fail(NDR_ERR_ARG, "{}: invalid initializer", tensor);
  }
  return NDR_OK;
}
} // namespace

ndr_status ndr_rt::checkDesc(const ndr_model_desc &desc) {
  if (!desc.name)
    return fail(NDR_ERR_ARG, "model descriptor without a name");
  if (ndr_status status = checkGroup(desc, "input", desc.num_inputs, desc.inputs))
    return status;
  if (ndr_status status = checkGroup(desc, "parameter", desc.num_params, desc.params))
    return status;
  if (ndr_status status = checkGroup(desc, "derived value", desc.num_derived, desc.derived))
    return status;
  if (ndr_status status = checkGroup(desc, "output", desc.num_outputs, desc.outputs))
    return status;
  if (desc.target != NDR_TARGET_CPU && desc.target != NDR_TARGET_CUDA)
    return fail(NDR_ERR_ARG, "{}: unknown target {}", modelName(desc),
                static_cast<int>(desc.target));
  bool cuda = desc.target == NDR_TARGET_CUDA;
  if (cuda ? !desc.run_device : !desc.run)
    return fail(NDR_ERR_ARG, "{}: no {} function", modelName(desc),
                cuda ? "run_device" : "run");
  if (cuda ? desc.run || desc.init : desc.run_device || desc.init_device)
    return fail(NDR_ERR_ARG, "{}: a {} model with {} functions", modelName(desc),
                cuda ? "CUDA" : "CPU", cuda ? "CPU" : "device");
  if (desc.num_derived > 0 && (cuda ? !desc.init_device : !desc.init))
    return fail(NDR_ERR_ARG, "{}: derived values but no init function",
                modelName(desc));
  if (desc.workspace_bytes < 0)
    return fail(NDR_ERR_ARG, "{}: negative workspace size", modelName(desc));
  return NDR_OK;
}

namespace {
// Fills a parameter from its default.
ndr_status fillDefault(const ndr_model_desc &desc, int32_t index, void *dst,
                       uint64_t seed) {
  const ndr_tensor_desc &t = desc.params[index];
  int64_t n = ndr_rt::elementCount(t);
  switch (t.init) {
  case NDR_INIT_NONE:
    break;
  case NDR_INIT_ZEROS:
    std::memset(dst, 0, ndr_rt::byteCount(t));
    return NDR_OK;
  case NDR_INIT_ONES:
    if (t.dtype == NDR_F32) {
      std::fill_n(static_cast<float *>(dst), n, 1.0f);
    } else {
      uint16_t one = t.dtype == NDR_F16 ? ndr_f32_to_f16(1.0f) : ndr_f32_to_bf16(1.0f);
      std::fill_n(static_cast<uint16_t *>(dst), n, one);
    }
    return NDR_OK;
  case NDR_INIT_NORMAL:
    return ndr_rt::fillNormal(t, dst, t.init_std, seed,
                              NDR_PARAM_STREAM + static_cast<uint32_t>(index));
  }
  return fail(NDR_ERR_MISSING,
              "{}: parameter '{}' has no default value; give a params file",
              modelName(desc), t.name);
}

ndr_status loadParam(const ndr_model_desc &desc, const ndr_safetensors *file,
                     const char *path, int32_t index, void *dst) {
  const ndr_tensor_desc &t = desc.params[index];
  ndr_status status = ndr_safetensors_read(file, t.name, t.dtype, t.rank, t.shape, dst);
  if (status == NDR_ERR_MISSING)
    return fail(status, "{}: missing parameter '{}' ({}{}) of {}", path, t.name,
                ndr_dtype_name(t.dtype), ndr_rt::shapeString(t.rank, t.shape),
                modelName(desc));
  return status;
}

// Allocates and fills the parameters, then runs init.
ndr_status setUp(ndr_model &model, const char *paramsPath, uint64_t seed) {
  const ndr_model_desc &desc = *model.desc;
  ndr_safetensors *file = nullptr;
  if (paramsPath) {
    if (ndr_status status = ndr_safetensors_open(paramsPath, &file))
      return status;
  }
  ndr_status status = NDR_OK;
  for (int32_t i = 0; i < desc.num_params + desc.num_derived && !status; ++i) {
    bool isParam = i < desc.num_params;
    const ndr_tensor_desc &t = isParam ? desc.params[i] : desc.derived[i - desc.num_params];
    void *buffer = ndr_alloc(ndr_rt::byteCount(t));
    if (!buffer) {
      status = NDR_ERR_NOMEM;
      break;
    }
    model.state.push_back(buffer);
    if (isParam)
      status = file ? loadParam(desc, file, paramsPath, i, buffer)
                    : fillDefault(desc, i, buffer, seed);
  }
  ndr_safetensors_close(file);
  if (status)
    return status;
  if (desc.target == NDR_TARGET_CUDA) {
    // The parameters live on the device; the host copies are done with.
    status = ndr_rt::cudaCreate(desc, model.state, &model.cuda);
    for (void *buffer : model.state)
      ndr_free(buffer);
    model.state.clear();
    return status;
  }
  if (desc.init)
    desc.init(model.state.data());
  return NDR_OK;
}
} // namespace

int64_t ndr_rt::elementCount(const ndr_tensor_desc &t) {
  int64_t n = 1;
  for (int32_t i = 0; i < t.rank; ++i)
    n *= t.shape[i];
  return n;
}

size_t ndr_rt::byteCount(const ndr_tensor_desc &t) {
  return static_cast<size_t>(elementCount(t)) * ndr_dtype_size(t.dtype);
}

ndr_status ndr_rt::fillNormal(const ndr_tensor_desc &t, void *dst, float stddev,
                              uint64_t seed, uint32_t stream) {
  int64_t n = elementCount(t);
  if (t.dtype == NDR_F32) {
    ndr_fill_normal(static_cast<float *>(dst), n, stddev, seed, stream);
    return NDR_OK;
  }
  float *values = static_cast<float *>(ndr_alloc(static_cast<size_t>(n) * sizeof(float)));
  if (!values)
    return NDR_ERR_NOMEM;
  ndr_fill_normal(values, n, stddev, seed, stream);
  ndr_status status = ndr_convert_from_f32(values, t.dtype, dst, n);
  ndr_free(values);
  return status;
}

namespace {
// A workspace for one run: one kept from an earlier run, or a new one. The
// model is const to its callers; its pool of workspaces is not its state.
void *leaseWorkspace(ndr_model &model) {
  {
    std::lock_guard<std::mutex> lock(model.workspaceMutex);
    if (!model.idleWorkspaces.empty()) {
      void *workspace = model.idleWorkspaces.back();
      model.idleWorkspaces.pop_back();
      return workspace;
    }
  }
  void *workspace = ndr_alloc(static_cast<size_t>(model.desc->workspace_bytes));
  if (workspace) {
    std::lock_guard<std::mutex> lock(model.workspaceMutex);
    ++model.numWorkspaces;
    model.idleWorkspaces.reserve(model.numWorkspaces);
  }
  return workspace;
}

// Never fails: room for every workspace was reserved when it was made.
void returnWorkspace(ndr_model &model, void *workspace) {
  std::lock_guard<std::mutex> lock(model.workspaceMutex);
  model.idleWorkspaces.push_back(workspace);
}
} // namespace

extern "C" {

ndr_status ndr_model_create(const ndr_model_desc *desc, const char *params_path,
                            uint64_t seed, ndr_model **out) {
  if (!desc || !out)
    return fail(NDR_ERR_ARG, "ndr_model_create: null argument");
  *out = nullptr;
  if (ndr_status status = ndr_rt::checkDesc(*desc))
    return status;
  ndr_model *model = new ndr_model{desc, {}, ndr_rt::shouldQuietOpenmp()};
  if (ndr_status status = setUp(*model, params_path, seed)) {
    ndr_model_destroy(model);
    return status;
  }
  *out = model;
  return NDR_OK;
}

ndr_status ndr_model_run(const ndr_model *model, const void *const *inputs,
                         void *const *outputs, uint64_t seed) {
  if (!model)
    return fail(NDR_ERR_ARG, "ndr_model_run: null model");
  const ndr_model_desc &desc = *model->desc;
  std::vector<void *> buffers;
  buffers.reserve(desc.num_inputs + model->state.size() + desc.num_outputs);
  for (int32_t i = 0; i < desc.num_inputs; ++i) {
    if (!inputs || !inputs[i])
      return fail(NDR_ERR_ARG, "{}: null input '{}'", modelName(desc),
                  desc.inputs[i].name);
    buffers.push_back(const_cast<void *>(inputs[i]));
  }
  buffers.insert(buffers.end(), model->state.begin(), model->state.end());
  for (int32_t i = 0; i < desc.num_outputs; ++i) {
    if (!outputs || !outputs[i])
      return fail(NDR_ERR_ARG, "{}: null output '{}'", modelName(desc),
                  desc.outputs[i].name);
    buffers.push_back(outputs[i]);
  }
  if (model->cuda)
    return ndr_rt::cudaRun(*model->cuda, inputs, outputs, seed);
  void *workspace = nullptr;
  if (desc.workspace_bytes > 0) {
    workspace = leaseWorkspace(*const_cast<ndr_model *>(model));
    if (!workspace)
      return fail(NDR_ERR_NOMEM, "{}: cannot allocate its {}-byte workspace",
                  modelName(desc), desc.workspace_bytes);
    buffers.push_back(workspace);
  }
  if (model->quietOpenmp)
    ndr_rt::quietOpenmp();
  desc.run(buffers.data(), seed);
  if (workspace)
    returnWorkspace(*const_cast<ndr_model *>(model), workspace);
  return NDR_OK;
}

ndr_status ndr_model_run_device(const ndr_model *model, const void *const *d_inputs,
                                void *const *d_outputs, uint64_t seed,
                                void *stream) {
  if (!model)
    return fail(NDR_ERR_ARG, "ndr_model_run_device: null model");
  if (!model->cuda)
    return fail(NDR_ERR_ARG,
                "{}: ndr_model_run_device needs a CUDA model (ndrc --target=cuda); "
                "this one runs on the CPU",
                modelName(*model->desc));
  return ndr_rt::cudaRunDevice(*model->cuda, d_inputs, d_outputs, seed, stream);
}

ndr_target ndr_model_target(const ndr_model *model) {
  return model && model->cuda ? NDR_TARGET_CUDA : NDR_TARGET_CPU;
}

void ndr_model_destroy(ndr_model *model) {
  if (!model)
    return;
  ndr_rt::cudaDestroy(model->cuda);
  for (void *buffer : model->state)
    ndr_free(buffer);
  for (void *workspace : model->idleWorkspaces)
    ndr_free(workspace);
  delete model;
}

} // extern "C"
