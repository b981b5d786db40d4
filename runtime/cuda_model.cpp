// cuda_model.cpp - the device side of a CUDA model: its buffers and runs.
//
// At create: the driver and the model's kernels are loaded (a machine without
// a GPU fails here, with one message), the parameters are copied to device
// buffers, init runs on the device, and one run context is allocated: device
// buffers for the inputs, outputs and workspace, a stream and an event. Runs
// lease a context (a new one only when runs overlap) and give it back; its
// event, recorded at the end of each run, is what the next user of the
// context waits for on the device, so a workspace is never shared by two runs
// in flight on different streams.
#include "runtime/cuda_driver.h"
#include "runtime/cuda_run.h"
#include "runtime/internal.h"

#include <memory>
#include <mutex>
#include <vector>

using namespace ndr_rt::cuda;

namespace ndr_rt {

namespace {

// The buffers and stream of one run at a time.
struct RunContext {
  std::vector<CUdeviceptr> inputs, outputs;
  CUdeviceptr workspace = 0;
  CUstream stream = nullptr;
  CUevent done = nullptr;
  RunState state;
};

std::string modelName(const ndr_model_desc &desc) {
  return fmt::format("model '{}'", desc.name);
}

} // namespace

struct CudaModel {
  const ndr_model_desc *desc;
  const Driver *driver;
  const Device *device;
  std::vector<CUdeviceptr> state; // params..., derived...
  std::mutex poolMutex;
  std::vector<std::unique_ptr<RunContext>> idle;
  size_t numContexts = 0;

  ndr_status check(CUresult result, const char *call) const {
    return cuda::check(*driver, result, call);
  }

  // Allocates `bytes` of device memory, naming the tensor on failure.
  ndr_status alloc(size_t bytes, const char *what, const char *name,
                   CUdeviceptr *ptr) {
    CUresult result = driver->cuMemAlloc(ptr, bytes);
    if (result == CUDA_SUCCESS)
      return NDR_OK;
    *ptr = 0;
    return fail(result == CUDA_ERROR_OUT_OF_MEMORY ? NDR_ERR_NOMEM : NDR_ERR_DEVICE,
                "{}: cannot allocate {} bytes of device memory for {} '{}': {}",
                modelName(*desc), bytes, what, name, errorName(*driver, result));
  }

  ndr_status newContext(std::unique_ptr<RunContext> &out) {
    auto context = std::make_unique<RunContext>();
    ndr_status status = NDR_OK;
    for (int32_t i = 0; i < desc->num_inputs && !status; ++i) {
      context->inputs.push_back(0);
      status = alloc(byteCount(desc->inputs[i]), "input", desc->inputs[i].name,
                     &context->inputs.back());
    }
    for (int32_t i = 0; i < desc->num_outputs && !status; ++i) {
      context->outputs.push_back(0);
      status = alloc(byteCount(desc->outputs[i]), "output", desc->outputs[i].name,
                     &context->outputs.back());
    }
    if (!status && desc->workspace_bytes > 0)
      status = alloc(static_cast<size_t>(desc->workspace_bytes), "the", "workspace",
                     &context->workspace);
    if (!status)
      status = check(driver->cuStreamCreate(&context->stream, CU_STREAM_NON_BLOCKING),
                     "cuStreamCreate");
    if (!status)
      status = check(driver->cuEventCreate(&context->done, CU_EVENT_DISABLE_TIMING),
                     "cuEventCreate");
    if (status) {
      destroyContext(*context);
      return status;
    }
    out = std::move(context);
    return NDR_OK;
  }

  void destroyContext(RunContext &context) {
    if (context.stream)
      driver->cuStreamSynchronize(context.stream);
    for (CUdeviceptr ptr : context.inputs)
      if (ptr)
        driver->cuMemFree(ptr);
    for (CUdeviceptr ptr : context.outputs)
      if (ptr)
        driver->cuMemFree(ptr);
    if (context.workspace)
      driver->cuMemFree(context.workspace);
    if (context.stream)
      driver->cuStreamDestroy(context.stream);
    if (context.done)
      driver->cuEventDestroy(context.done);
    releaseRunState(context.state);
  }

  ndr_status lease(std::unique_ptr<RunContext> &out) {
    {
      std::lock_guard<std::mutex> lock(poolMutex);
      if (!idle.empty()) {
        out = std::move(idle.back());
        idle.pop_back();
        return NDR_OK;
      }
    }
    if (ndr_status status = newContext(out))
      return status;
    std::lock_guard<std::mutex> lock(poolMutex);
    ++numContexts;
    idle.reserve(numContexts);
    return NDR_OK;
  }

  void giveBack(std::unique_ptr<RunContext> context) {
    std::lock_guard<std::mutex> lock(poolMutex);
    idle.push_back(std::move(context));
  }

  // One run on `stream` with the model's buffers in `buffers` (inputs,
  // state, outputs, workspace), after what last used `context` and before
  // what uses it next.
  ndr_status enqueue(RunContext &context, std::vector<void *> &buffers,
                     uint64_t seed, CUstream stream) {
    if (ndr_status status = check(driver->cuStreamWaitEvent(stream, context.done, 0),
                                  "cuStreamWaitEvent"))
      return status;
    if (context.workspace)
      buffers.push_back(reinterpret_cast<void *>(context.workspace));
    {
      RunScope scope(context.state);
      desc->run_device(buffers.data(), seed, stream);
    }
    if (ndr_status status = takeError())
      return status;
    return check(driver->cuEventRecord(context.done, stream), "cuEventRecord");
  }

  void stateInto(std::vector<void *> &buffers) const {
    for (CUdeviceptr ptr : state)
      buffers.push_back(reinterpret_cast<void *>(ptr));
  }
};

ndr_status cudaCreate(const ndr_model_desc &desc, const std::vector<void *> &hostState,
                      CudaModel **out) {
  *out = nullptr;
  const Driver *driver;
  const Device *device;
  if (ndr_status status = init(&driver, &device))
    return status;
  if (ndr_status status = loadModules())
    return status;
  ScopedContext scoped(*driver, *device);
  if (scoped.status())
    return scoped.status();
  auto model = std::make_unique<CudaModel>();
  model->desc = &desc;
  model->driver = driver;
  model->device = device;
  int32_t numState = desc.num_params + desc.num_derived;
  // Frees what was made so far and returns `status`.
  auto failWith = [&](ndr_status status, RunContext *setup) {
    if (setup)
      model->destroyContext(*setup);
    cudaDestroy(model.release());
    return status;
  };
  std::unique_ptr<RunContext> setup;
  if (ndr_status status = model->newContext(setup))
    return failWith(status, nullptr);
  for (int32_t i = 0; i < numState; ++i) {
    bool isParam = i < desc.num_params;
    const ndr_tensor_desc &t = isParam ? desc.params[i] : desc.derived[i - desc.num_params];
    model->state.push_back(0);
    ndr_status status =
        model->alloc(byteCount(t), isParam ? "parameter" : "derived value", t.name,
                     &model->state.back());
    if (!status && isParam)
      status = model->check(driver->cuMemcpyHtoDAsync(model->state.back(), hostState[i],
                                                       byteCount(t), setup->stream),
                            "cuMemcpyHtoDAsync");
    if (status)
      return failWith(status, setup.get());
  }
  if (desc.init_device) {
    std::vector<void *> buffers;
    model->stateInto(buffers);
    RunScope scope(setup->state);
    desc.init_device(buffers.data(), setup->stream);
  }
  ndr_status status = takeError();
  if (!status)
    status = model->check(driver->cuStreamSynchronize(setup->stream),
                          "cuStreamSynchronize");
  if (status)
    return failWith(status, setup.get());
  // The set-up's buffers serve the first run.
  model->numContexts = 1;
  model->idle.push_back(std::move(setup));
  *out = model.release();
  return NDR_OK;
}

ndr_status cudaRun(CudaModel &model, const void *const *inputs, void *const *outputs,
                   uint64_t seed) {
  const ndr_model_desc &desc = *model.desc;
  const Driver &driver = *model.driver;
  ScopedContext scoped(driver, *model.device);
  if (scoped.status())
    return scoped.status();
  std::unique_ptr<RunContext> context;
  if (ndr_status status = model.lease(context))
    return status;
  CUstream stream = context->stream;
  ndr_status status = NDR_OK;
  std::vector<void *> buffers;
  for (int32_t i = 0; i < desc.num_inputs && !status; ++i) {
    status = model.check(driver.cuMemcpyHtoDAsync(context->inputs[i], inputs[i],
                                                  byteCount(desc.inputs[i]), stream),
                         "cuMemcpyHtoDAsync");
    buffers.push_back(reinterpret_cast<void *>(context->inputs[i]));
  }
  model.stateInto(buffers);
  for (CUdeviceptr ptr : context->outputs)
    buffers.push_back(reinterpret_cast<void *>(ptr));
  if (!status)
    status = model.enqueue(*context, buffers, seed, stream);
  for (int32_t i = 0; i < desc.num_outputs && !status; ++i)
    status = model.check(driver.cuMemcpyDtoHAsync(outputs[i], context->outputs[i],
                                                  byteCount(desc.outputs[i]), stream),
                         "cuMemcpyDtoHAsync");
  // Waits even after a failure: nothing may still write the caller's memory.
  ndr_status synced =
      model.check(driver.cuStreamSynchronize(stream), "cuStreamSynchronize");
  model.giveBack(std::move(context));
  return status ? status : synced;
}

ndr_status cudaRunDevice(CudaModel &model, const void *const *inputs,
                         void *const *outputs, uint64_t seed, void *stream) {
  const ndr_model_desc &desc = *model.desc;
  std::vector<void *> buffers;
  auto take = [&](const char *group, const ndr_tensor_desc &t, const void *ptr) {
    if (!ptr)
      return fail(NDR_ERR_ARG, "{}: null device pointer for {} '{}'", modelName(desc),
                  group, t.name);
    if (reinterpret_cast<uintptr_t>(ptr) % 16)
      return fail(NDR_ERR_ARG,
                  "{}: device pointer for {} '{}' is not 16-byte aligned (the "
                  "kernels load and store 128 bits at a time)",
                  modelName(desc), group, t.name);
    buffers.push_back(const_cast<void *>(ptr));
    return NDR_OK;
  };
  for (int32_t i = 0; i < desc.num_inputs; ++i)
    if (ndr_status status = take("input", desc.inputs[i], inputs ? inputs[i] : nullptr))
      return status;
  model.stateInto(buffers);
  for (int32_t i = 0; i < desc.num_outputs; ++i)
    if (ndr_status status =
            take("output", desc.outputs[i], outputs ? outputs[i] : nullptr))
      return status;
  ScopedContext scoped(*model.driver, *model.device);
  if (scoped.status())
    return scoped.status();
  std::unique_ptr<RunContext> context;
  if (ndr_status status = model.lease(context))
    return status;
  ndr_status status =
      model.enqueue(*context, buffers, seed, static_cast<CUstream>(stream));
  model.giveBack(std::move(context));
  return status;
}

void cudaDestroy(CudaModel *model) {
  if (!model)
    return;
  ScopedContext scoped(*model->driver, *model->device);
  for (std::unique_ptr<RunContext> &context : model->idle)
    model->destroyContext(*context);
  for (CUdeviceptr ptr : model->state)
    if (ptr)
      model->driver->cuMemFree(ptr);
  delete model;
}

} // namespace ndr_rt
