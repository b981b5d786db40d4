// cuda_driver.cpp - loading the CUDA driver and reporting its errors.
#include "runtime/cuda_driver.h"
#include "runtime/internal.h"

#include <dlfcn.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace ndr_rt::cuda {

const char *const kDriverSymbols[] = {
    "cuInit",           "cuGetErrorName",
    "cuDeviceGetCount", "cuDeviceGet",
    "cuDeviceGetName",  "cuDeviceGetAttribute",
    "cuDevicePrimaryCtxRetain",
    "cuCtxPushCurrent_v2",
    "cuCtxPopCurrent_v2",
    "cuModuleLoadData", "cuModuleUnload",
    "cuModuleGetFunction",
    "cuLaunchKernel",   "cuMemAlloc_v2",
    "cuMemFree_v2",     "cuMemcpyAsync",
    "cuMemcpyHtoDAsync_v2",
    "cuMemcpyDtoHAsync_v2",
    "cuMemsetD32Async", "cuMemsetD16Async",
    "cuStreamCreate",   "cuStreamDestroy_v2",
    "cuStreamSynchronize",
    "cuStreamWaitEvent",
    "cuEventCreate",    "cuEventDestroy_v2",
    "cuEventRecord",    "cuEventSynchronize",
};
static_assert(sizeof(kDriverSymbols) / sizeof(kDriverSymbols[0]) ==
                  kNumDriverSymbols,
              "one name per member of Driver");

namespace {

const char kNoDriver[] = "no CUDA driver or GPU found";

// What init found, once per driver table.
struct State {
  const Driver *driver = nullptr;
  Device device;
  ndr_status status = NDR_OK;
  std::string message;
  bool emulated = false;
};

std::atomic<const Driver *> testDriver{nullptr};
// Bumped by each setDriverForTesting: a test's table is initialized anew.
std::atomic<unsigned> testGeneration{0};
std::mutex stateMutex;

// libcuda.so.1's functions, or a message why there are none.
const Driver *loadLibcuda(std::string &why) {
  static Driver table;
  static std::string error;
  static bool loaded = [] {
    void *library = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!library) {
      const char *reason = dlerror();
      error = reason ? reason : "libcuda.so.1: cannot open";
      return false;
    }
    void **slots = reinterpret_cast<void **>(&table);
    for (size_t i = 0; i < kNumDriverSymbols; ++i) {
      slots[i] = dlsym(library, kDriverSymbols[i]);
      if (!slots[i]) {
        error = fmt::format("libcuda.so.1 has no {} (a driver older than CUDA 12?)",
                            kDriverSymbols[i]);
        return false;
      }
    }
    return true;
  }();
  why = error;
  return loaded ? &table : nullptr;
}

// Initializes `driver` with the device NDR_CUDA_DEVICE (default 0).
void initDevice(State &state) {
  const Driver &d = *state.driver;
  auto failWith = [&](ndr_status status, std::string message) {
    state.status = status;
    state.message = std::move(message);
  };
  CUresult result = d.cuInit(0);
  int count = 0;
  if (result == CUDA_SUCCESS)
    result = d.cuDeviceGetCount(&count);
  if (result != CUDA_SUCCESS || count == 0)
    return failWith(NDR_ERR_IO,
                    fmt::format("{} ({})", kNoDriver,
                                result != CUDA_SUCCESS
                                    ? "cuInit: " + errorName(d, result)
                                    : std::string("the driver sees no device")));
  int ordinal = 0;
  if (const char *text = std::getenv("NDR_CUDA_DEVICE"); text && *text) {
    char *end = nullptr;
    long value = std::strtol(text, &end, 10);
    if (*end || value < 0 || value >= count)
      return failWith(NDR_ERR_ARG,
                      fmt::format("NDR_CUDA_DEVICE={}: not a device number in "
                                  "[0, {})",
                                  text, count));
    ordinal = static_cast<int>(value);
  }
  Device &device = state.device;
  char name[256] = {};
  ndr_status status = check(d, d.cuDeviceGet(&device.device, ordinal), "cuDeviceGet");
  if (!status)
    status = check(d, d.cuDeviceGetName(name, sizeof name - 1, device.device),
                   "cuDeviceGetName");
  if (!status)
    status = check(d,
                   d.cuDeviceGetAttribute(&device.major,
                                          CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR,
                                          device.device),
                   "cuDeviceGetAttribute");
  if (!status)
    status = check(d,
                   d.cuDeviceGetAttribute(&device.minor,
                                          CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR,
                                          device.device),
                   "cuDeviceGetAttribute");
  if (!status)
    status = check(d, d.cuDevicePrimaryCtxRetain(&device.context, device.device),
                   "cuDevicePrimaryCtxRetain");
  if (status)
    return failWith(status, ndr_last_error());
  device.name = name;
}

// The state of the table in use: the test's, or the real choice.
State &currentState() {
  static State real, test;
  static unsigned initialized = 0;
  const Driver *forTest = testDriver.load();
  if (forTest) {
    if (initialized != testGeneration.load()) {
      initialized = testGeneration.load();
      test = State{};
      test.driver = forTest;
      initDevice(test);
    }
    return test;
  }
  static bool chosen = [] {
    const char *emulate = std::getenv("NDR_CUDA_EMULATE");
    if (emulate && std::strcmp(emulate, "1") == 0) {
      real.driver = &emulatorDriver();
      real.emulated = true;
    } else {
      std::string why;
      real.driver = loadLibcuda(why);
      if (!real.driver) {
        real.status = NDR_ERR_IO;
        real.message = fmt::format("{} ({})", kNoDriver, why);
        return true;
      }
    }
    initDevice(real);
    return true;
  }();
  (void)chosen;
  return real;
}

thread_local ndr_status pendingStatus = NDR_OK;
thread_local std::string pendingMessage;

} // namespace

ndr_status init(const Driver **driver, const Device **device) {
  std::lock_guard<std::mutex> lock(stateMutex);
  State &state = currentState();
  if (state.status)
    return setError(state.status, state.message);
  *driver = state.driver;
  *device = &state.device;
  return NDR_OK;
}

bool emulated() {
  std::lock_guard<std::mutex> lock(stateMutex);
  return currentState().emulated;
}

void setDriverForTesting(const Driver *driver) {
  std::lock_guard<std::mutex> lock(stateMutex);
  testDriver.store(driver);
  ++testGeneration;
}

std::string errorName(const Driver &driver, CUresult result) {
  const char *name = nullptr;
  if (driver.cuGetErrorName && driver.cuGetErrorName(result, &name) == CUDA_SUCCESS &&
      name)
    return name;
  return fmt::format("CUDA error {}", result);
}

ndr_status check(const Driver &driver, CUresult result, const char *call) {
  if (result == CUDA_SUCCESS)
    return NDR_OK;
  ndr_status status =
      result == CUDA_ERROR_OUT_OF_MEMORY ? NDR_ERR_NOMEM : NDR_ERR_DEVICE;
  return fail(status, "{}: {}", call, errorName(driver, result));
}

ScopedContext::ScopedContext(const Driver &driver, const Device &device)
    : driver(driver),
      pushed(check(driver, driver.cuCtxPushCurrent(device.context),
                   "cuCtxPushCurrent")) {}

ScopedContext::~ScopedContext() {
  if (pushed == NDR_OK) {
    CUcontext popped;
    driver.cuCtxPopCurrent(&popped);
  }
}

void setPendingError(ndr_status status, std::string message) {
  if (pendingStatus)
    return; // the first failure is the one to report
  pendingStatus = status;
  pendingMessage = std::move(message);
}

bool hasPendingError() { return pendingStatus != NDR_OK; }

ndr_status takeError() {
  ndr_status status = pendingStatus;
  if (!status)
    return NDR_OK;
  pendingStatus = NDR_OK;
  return setError(status, std::move(pendingMessage));
}

} // namespace ndr_rt::cuda
