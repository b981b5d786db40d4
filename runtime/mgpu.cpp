// mgpu.cpp - the entry points that MLIR's gpu-to-llvm lowering calls.
//
// The host code of a CUDA model loads its kernels in a global constructor
// (mgpuModuleLoad), and launches them, copies and allocates through the
// functions below (LLVM 22's signatures, upstream's
// mlir/lib/ExecutionEngine/CudaRuntimeWrappers.cpp). Debian ships no
// libmlir_cuda_runtime, and upstream's aborts on a driver error; here every
// driver call is checked, and the first failure of a run is kept as the
// thread's pending error (cuda_driver.h), which the runtime reports as the
// run's status. The model host (cuda_model.cpp) makes the device's context
// current around each run, so these functions do not.
//
// Loading is lazy: mgpuModuleLoad only registers the image, so that loading
// a library touches no driver; ndr_model_create loads the images
// (loadModules), and so reports a GPU they were not compiled for.
#include "runtime/cuda_driver.h"
#include "runtime/internal.h"

#include <algorithm>
#include <mutex>
#include <vector>

using namespace ndr_rt::cuda;

namespace {

// One image that generated code registered.
struct Module {
  const void *image;
  std::once_flag once;
  CUmodule module = nullptr;
  ndr_status status = NDR_OK;
  std::string message;
};

std::mutex registryMutex;
std::vector<Module *> &registry() {
  static auto *modules = new std::vector<Module *>; // outlives every library
  return *modules;
}

// The initialized driver, or null with the run's pending error set.
const Driver *driverOrPending(const Device **device = nullptr) {
  const Driver *driver;
  const Device *found;
  if (ndr_status status = init(&driver, &found)) {
    setPendingError(status, ndr_last_error());
    return nullptr;
  }
  if (device)
    *device = found;
  return driver;
}

// Records a failed call as the pending error; true if it failed.
bool failed(const Driver &driver, CUresult result, const char *call) {
  if (result == CUDA_SUCCESS)
    return false;
  ndr_status status =
      result == CUDA_ERROR_OUT_OF_MEMORY ? NDR_ERR_NOMEM : NDR_ERR_DEVICE;
  setPendingError(status, fmt::format("{}: {}", call, errorName(driver, result)));
  return true;
}

// Loads `module` into the current context once; its status after that.
ndr_status load(const Driver &driver, Module &module) {
  std::call_once(module.once, [&] {
    CUresult result = driver.cuModuleLoadData(&module.module, module.image);
    if (result == CUDA_SUCCESS)
      return;
    module.status = result == CUDA_ERROR_OUT_OF_MEMORY ? NDR_ERR_NOMEM : NDR_ERR_DEVICE;
    module.message = fmt::format(
        "cuModuleLoadData: {} (the model's kernels do not load on this GPU: "
        "compile it for this GPU's --gpu-arch)",
        errorName(driver, result));
  });
  return module.status;
}

} // namespace

ndr_status ndr_rt::cuda::loadModules() {
  const Driver *driver;
  const Device *device;
  if (ndr_status status = init(&driver, &device))
    return status;
  ScopedContext context(*driver, *device);
  if (context.status())
    return context.status();
  std::lock_guard<std::mutex> lock(registryMutex);
  for (Module *module : registry())
    if (load(*driver, *module))
      return setError(module->status, module->message);
  return NDR_OK;
}

extern "C" {

void *mgpuModuleLoad(void *data, size_t) {
  auto *module = new Module{data};
  std::lock_guard<std::mutex> lock(registryMutex);
  registry().push_back(module);
  return module;
}

// PTX: the driver compiles it when it is loaded; the same registration.
void *mgpuModuleLoadJIT(void *data, int) { return mgpuModuleLoad(data, 0); }

void mgpuModuleUnload(void *handle) {
  auto *module = static_cast<Module *>(handle);
  {
    std::lock_guard<std::mutex> lock(registryMutex);
    std::vector<Module *> &modules = registry();
    modules.erase(std::remove(modules.begin(), modules.end(), module), modules.end());
  }
  // At unload (a library's destructor, maybe at exit) nothing can report a
  // failure: a module the driver still holds goes with its context.
  const Driver *driver;
  const Device *device;
  if (module->module && init(&driver, &device) == NDR_OK) {
    ScopedContext context(*driver, *device);
    if (!context.status())
      driver->cuModuleUnload(module->module);
  }
  delete module;
}

CUfunction mgpuModuleGetFunction(void *handle, const char *name) {
  if (hasPendingError())
    return nullptr;
  const Driver *driver = driverOrPending();
  if (!driver)
    return nullptr;
  auto *module = static_cast<Module *>(handle);
  if (load(*driver, *module)) {
    setPendingError(module->status, module->message);
    return nullptr;
  }
  CUfunction function = nullptr;
  if (failed(*driver, driver->cuModuleGetFunction(&function, module->module, name),
             "cuModuleGetFunction"))
    return nullptr;
  return function;
}

void mgpuLaunchKernel(CUfunction function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t sharedBytes, CUstream stream,
                      void **params, void **extra, size_t) {
  if (hasPendingError() || !function)
    return;
  const Driver *driver = driverOrPending();
  if (!driver)
    return;
  failed(*driver,
         driver->cuLaunchKernel(function, static_cast<unsigned>(gridX),
                                static_cast<unsigned>(gridY),
                                static_cast<unsigned>(gridZ),
                                static_cast<unsigned>(blockX),
                                static_cast<unsigned>(blockY),
                                static_cast<unsigned>(blockZ),
                                static_cast<unsigned>(sharedBytes), stream, params,
                                extra),
         "cuLaunchKernel");
}

CUstream mgpuStreamCreate() {
  const Driver *driver = driverOrPending();
  CUstream stream = nullptr;
  if (driver)
    failed(*driver, driver->cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING),
           "cuStreamCreate");
  return stream;
}

void mgpuStreamDestroy(CUstream stream) {
  if (const Driver *driver = driverOrPending(); driver && stream)
    failed(*driver, driver->cuStreamDestroy(stream), "cuStreamDestroy");
}

void mgpuStreamSynchronize(CUstream stream) {
  if (const Driver *driver = driverOrPending())
    failed(*driver, driver->cuStreamSynchronize(stream), "cuStreamSynchronize");
}

void mgpuStreamWaitEvent(CUstream stream, CUevent event) {
  if (const Driver *driver = driverOrPending())
    failed(*driver, driver->cuStreamWaitEvent(stream, event, 0), "cuStreamWaitEvent");
}

CUevent mgpuEventCreate() {
  const Driver *driver = driverOrPending();
  CUevent event = nullptr;
  if (driver)
    failed(*driver, driver->cuEventCreate(&event, CU_EVENT_DISABLE_TIMING),
           "cuEventCreate");
  return event;
}

void mgpuEventDestroy(CUevent event) {
  if (const Driver *driver = driverOrPending(); driver && event)
    failed(*driver, driver->cuEventDestroy(event), "cuEventDestroy");
}

void mgpuEventSynchronize(CUevent event) {
  if (const Driver *driver = driverOrPending())
    failed(*driver, driver->cuEventSynchronize(event), "cuEventSynchronize");
}

void mgpuEventRecord(CUevent event, CUstream stream) {
  if (const Driver *driver = driverOrPending())
    failed(*driver, driver->cuEventRecord(event, stream), "cuEventRecord");
}

void *mgpuMemAlloc(uint64_t bytes, CUstream, bool hostShared) {
  if (hasPendingError())
    return nullptr;
  if (hostShared) {
    // Managed memory larger than the GPU's can hang it; NDR never asks.
    setPendingError(NDR_ERR_DEVICE, "mgpuMemAlloc: managed (host-shared) memory "
                                    "is not supported");
    return nullptr;
  }
  const Driver *driver = driverOrPending();
  CUdeviceptr ptr = 0;
  if (driver && bytes > 0)
    failed(*driver, driver->cuMemAlloc(&ptr, bytes), "cuMemAlloc");
  return reinterpret_cast<void *>(ptr);
}

// Freed when the stream's work so far is done (what a function enqueued
// may still use the buffer).
void mgpuMemFree(void *ptr, CUstream stream) {
  if (!ptr)
    return;
  if (const Driver *driver = driverOrPending())
    if (!failed(*driver, driver->cuStreamSynchronize(stream), "cuStreamSynchronize"))
      failed(*driver, driver->cuMemFree(reinterpret_cast<CUdeviceptr>(ptr)),
             "cuMemFree");
}

void mgpuMemcpy(void *dst, void *src, size_t bytes, CUstream stream) {
  if (hasPendingError() || bytes == 0)
    return;
  if (const Driver *driver = driverOrPending())
    failed(*driver,
           driver->cuMemcpyAsync(reinterpret_cast<CUdeviceptr>(dst),
                                 reinterpret_cast<CUdeviceptr>(src), bytes, stream),
           "cuMemcpyAsync");
}

void mgpuMemset32(void *dst, unsigned value, size_t count, CUstream stream) {
  if (hasPendingError() || count == 0)
    return;
  if (const Driver *driver = driverOrPending())
    failed(*driver,
           driver->cuMemsetD32Async(reinterpret_cast<CUdeviceptr>(dst), value, count,
                                    stream),
           "cuMemsetD32Async");
}

void mgpuMemset16(void *dst, unsigned short value, size_t count, CUstream stream) {
  if (hasPendingError() || count == 0)
    return;
  if (const Driver *driver = driverOrPending())
    failed(*driver,
           driver->cuMemsetD16Async(reinterpret_cast<CUdeviceptr>(dst), value, count,
                                    stream),
           "cuMemsetD16Async");
}

// The device comes from NDR_CUDA_DEVICE; generated code does not choose one.
void mgpuSetDefaultDevice(int32_t) {}

} // extern "C"
