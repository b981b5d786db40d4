// cuda_driver.h - the CUDA driver API as the runtime uses it (not installed).
//
// libcuda.so.1 is opened with dlopen on first use, so that a CUDA build links
// and starts on a machine without a GPU and fails there with one message. The
// runtime calls the driver only through the table below: the real library's
// functions, the emulator's (cuda_emulator.cpp, NDR_CUDA_EMULATE=1: kernels
// compiled for the host CPU, device memory in host memory), or a test's.
// The types are the driver's own (cuda.h), declared here so that the runtime
// builds without the CUDA toolkit.
#ifndef NDR_RUNTIME_CUDA_DRIVER_H
#define NDR_RUNTIME_CUDA_DRIVER_H

#include "runtime/ndr_runtime.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace ndr_rt::cuda {

using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUcontext = struct CUctx_st *;
using CUmodule = struct CUmod_st *;
using CUfunction = struct CUfunc_st *;
using CUstream = struct CUstream_st *;
using CUevent = struct CUevent_st *;

constexpr CUresult CUDA_SUCCESS = 0;
constexpr CUresult CUDA_ERROR_OUT_OF_MEMORY = 2;
constexpr CUresult CUDA_ERROR_NO_DEVICE = 100;
constexpr int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
constexpr int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;
constexpr unsigned CU_EVENT_DISABLE_TIMING = 2;
constexpr unsigned CU_STREAM_NON_BLOCKING = 1;

// The driver functions the runtime calls, by their ABI names (the _v2 ones
// where cuda.h maps a name to one).
struct Driver {
  CUresult (*cuInit)(unsigned flags);
  CUresult (*cuGetErrorName)(CUresult error, const char **name);
  CUresult (*cuDeviceGetCount)(int *count);
  CUresult (*cuDeviceGet)(CUdevice *device, int ordinal);
  CUresult (*cuDeviceGetName)(char *name, int length, CUdevice device);
  CUresult (*cuDeviceGetAttribute)(int *value, int attribute, CUdevice device);
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *context, CUdevice device);
  CUresult (*cuCtxPushCurrent)(CUcontext context);
  CUresult (*cuCtxPopCurrent)(CUcontext *context);
  CUresult (*cuModuleLoadData)(CUmodule *module, const void *image);
  CUresult (*cuModuleUnload)(CUmodule module);
  CUresult (*cuModuleGetFunction)(CUfunction *function, CUmodule module,
                                  const char *name);
  CUresult (*cuLaunchKernel)(CUfunction function, unsigned gridX, unsigned gridY,
                             unsigned gridZ, unsigned blockX, unsigned blockY,
                             unsigned blockZ, unsigned sharedBytes,
                             CUstream stream, void **params, void **extra);
  CUresult (*cuMemAlloc)(CUdeviceptr *ptr, size_t bytes);
  CUresult (*cuMemFree)(CUdeviceptr ptr);
  CUresult (*cuMemcpyAsync)(CUdeviceptr dst, CUdeviceptr src, size_t bytes,
                            CUstream stream);
  CUresult (*cuMemcpyHtoDAsync)(CUdeviceptr dst, const void *src, size_t bytes,
                                CUstream stream);
  CUresult (*cuMemcpyDtoHAsync)(void *dst, CUdeviceptr src, size_t bytes,
                                CUstream stream);
  CUresult (*cuMemsetD32Async)(CUdeviceptr dst, unsigned value, size_t count,
                               CUstream stream);
  CUresult (*cuMemsetD16Async)(CUdeviceptr dst, unsigned short value,
                               size_t count, CUstream stream);
  CUresult (*cuStreamCreate)(CUstream *stream, unsigned flags);
  CUresult (*cuStreamDestroy)(CUstream stream);
  CUresult (*cuStreamSynchronize)(CUstream stream);
  CUresult (*cuStreamWaitEvent)(CUstream stream, CUevent event, unsigned flags);
  CUresult (*cuEventCreate)(CUevent *event, unsigned flags);
  CUresult (*cuEventDestroy)(CUevent event);
  CUresult (*cuEventRecord)(CUevent event, CUstream stream);
  CUresult (*cuEventSynchronize)(CUevent event);
};

// The driver's function names, in the order of Driver's members (the loader
// and the tests' fake tables use them).
extern const char *const kDriverSymbols[];
constexpr size_t kNumDriverSymbols = sizeof(Driver) / sizeof(void *);

// The device the runtime uses (NDR_CUDA_DEVICE, default 0): its primary
// context, name and compute capability, once the driver is initialized.
struct Device {
  CUdevice device = 0;
  CUcontext context = nullptr;
  std::string name;
  int major = 0, minor = 0;
};

// The driver, initialized with one device, or NDR_ERR_IO ("no CUDA driver or
// GPU found: ...") when there is none. Loaded once per process: libcuda.so.1,
// or the emulator when NDR_CUDA_EMULATE=1 (the environment is read once).
ndr_status init(const Driver **driver, const Device **device);

// Whether init chose the emulator.
bool emulated();

// The emulator's table (cuda_emulator.cpp).
const Driver &emulatorDriver();

// Replaces the driver for this process's later init calls (tests): the table
// must outlive them; nullptr goes back to the real choice.
void setDriverForTesting(const Driver *driver);

// The driver's name of `result` ("CUDA_ERROR_OUT_OF_MEMORY"), or its number.
std::string errorName(const Driver &driver, CUresult result);

// A failed driver call as a status and message: NDR_ERR_NOMEM for
// CUDA_ERROR_OUT_OF_MEMORY, NDR_ERR_DEVICE otherwise; the message names the
// call and the driver's error. Returns NDR_OK for CUDA_SUCCESS.
ndr_status check(const Driver &driver, CUresult result, const char *call);

// Makes the device's context current on this thread for a scope.
class ScopedContext {
public:
  ScopedContext(const Driver &driver, const Device &device);
  ~ScopedContext();
  ndr_status status() const { return pushed; }

private:
  const Driver &driver;
  ndr_status pushed;
};

// The error an mgpu* entry point (mgpu.cpp) met on this thread since the
// last take: generated code cannot check a status, so the first failure is
// kept and later calls of the same run do nothing. takeError() sets it as the
// thread's last error and returns it (NDR_OK and nothing set if none).
void setPendingError(ndr_status status, std::string message);
bool hasPendingError();
ndr_status takeError();

// Loads every module the loaded libraries registered with mgpuModuleLoad
// (each once) into the device's context: a model created on a GPU its
// kernels were not compiled for fails at create, not at its first run.
ndr_status loadModules();

} // namespace ndr_rt::cuda

#endif // NDR_RUNTIME_CUDA_DRIVER_H
