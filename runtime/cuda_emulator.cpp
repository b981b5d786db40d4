// cuda_emulator.cpp - a CUDA driver that runs kernels on the host CPU.
//
// For testing the CUDA target where there is no GPU (CI): with
// NDR_CUDA_EMULATE=1 the runtime's driver is this table. A model compiled
// with `ndrc --target=cuda --gpu-emulate` carries its kernels as host
// functions (codegen/gpu/EmulateKernels.cpp), registered by name when the
// library loads, and an image that names them instead of a cubin. Device
// memory is host memory, streams and events are in order, and a launch runs
// its blocks one after another, each block's threads as fibers
// (ucontext) that switch at barriers and warp shuffles: the kernels' indexing,
// reductions, dropout masks and the host code around them run as they are,
// only not in PTX. A barrier or shuffle that not every thread of the block
// (of the warp) reaches fails the launch (it would hang or be undefined on a
// GPU). Launches are serialized process-wide.
#include "runtime/cuda_driver.h"
#include "runtime/internal.h"

#include <sys/mman.h>
#include <ucontext.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NDR_EMU_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define NDR_EMU_ASAN 1
#endif
#ifdef NDR_EMU_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

using namespace ndr_rt::cuda;

namespace {

constexpr char kImageMagic[] = "NDREMU"; // then '\0' and the module's key
constexpr CUresult kInvalidValue = 1, kInvalidImage = 200, kNotFound = 500,
                   kLaunchFailed = 719;
constexpr size_t kStackBytes = 256 * 1024;
constexpr int kWarp = 32;

using PackedKernel = void (*)(void **params);

struct EmuModule {
  std::string key;
};
// A registered kernel; its address is the CUfunction handle.
struct EmuFunction {
  PackedKernel kernel;
};

std::mutex registryMutex;
// Nodes of a map stay put: the handles live as long as the process.
std::map<std::string, EmuFunction> &kernels() {
  static auto *map = new std::map<std::string, EmuFunction>;
  return *map;
}

// ---- Fibers ---------------------------------------------------------------

enum class FiberState { Ready, AtBarrier, AtWarp, Done };

struct Fiber {
  ucontext_t context;
  void *stack = nullptr;
  unsigned id[3] = {0, 0, 0};
  int linear = 0;
  FiberState state = FiberState::Ready;
  uint32_t shuffleValue = 0;
};

// One launch in progress (on the launching thread; launches are serialized).
struct Launch {
  PackedKernel kernel;
  void **params;
  unsigned grid[3], block[3], blockId[3] = {0, 0, 0};
  std::vector<Fiber> fibers;
  ucontext_t scheduler;
  Fiber *current = nullptr;
#ifdef NDR_EMU_ASAN
  void *fakeStack = nullptr;
#endif
};

thread_local Launch *activeLaunch = nullptr;
thread_local std::string launchError;
std::mutex launchMutex;

// Stacks kept across launches (mmap'd, reserved lazily by the kernel).
std::vector<void *> &stackPool() {
  static auto *pool = new std::vector<void *>;
  return *pool;
}

void *takeStack() {
  std::vector<void *> &pool = stackPool();
  if (!pool.empty()) {
    void *stack = pool.back();
    pool.pop_back();
    return stack;
  }
  void *stack = mmap(nullptr, kStackBytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  return stack == MAP_FAILED ? nullptr : stack;
}

// Switches from the running fiber back to the scheduler.
void yieldToScheduler() {
  Launch &launch = *activeLaunch;
  Fiber &fiber = *launch.current;
#ifdef NDR_EMU_ASAN
  void *fake = nullptr;
  __sanitizer_start_switch_fiber(&fake, nullptr, 0);
#endif
  swapcontext(&fiber.context, &launch.scheduler);
#ifdef NDR_EMU_ASAN
  __sanitizer_finish_switch_fiber(fake, nullptr, nullptr);
#endif
}

void fiberMain() {
#ifdef NDR_EMU_ASAN
  __sanitizer_finish_switch_fiber(nullptr, nullptr, nullptr);
#endif
  Launch &launch = *activeLaunch;
  launch.kernel(launch.params);
  launch.current->state = FiberState::Done;
#ifdef NDR_EMU_ASAN
  __sanitizer_start_switch_fiber(nullptr, nullptr, 0);
#endif
  setcontext(&launch.scheduler);
}

// Resumes `fiber` until it waits or ends.
void resume(Launch &launch, Fiber &fiber) {
  launch.current = &fiber;
#ifdef NDR_EMU_ASAN
  __sanitizer_start_switch_fiber(&launch.fakeStack, fiber.stack, kStackBytes);
#endif
  swapcontext(&launch.scheduler, &fiber.context);
#ifdef NDR_EMU_ASAN
  __sanitizer_finish_switch_fiber(launch.fakeStack, nullptr, nullptr);
#endif
  launch.current = nullptr;
}

// Releases the warps whose live threads all wait at a shuffle and the block
// when all wait at a barrier; false (with launchError) when threads wait
// for ones that have ended, or for each other at different kinds of waits.
bool release(Launch &launch, bool &released) {
  released = false;
  std::vector<Fiber> &fibers = launch.fibers;
  int n = static_cast<int>(fibers.size());
  bool allAtBarrier = true, anyAtBarrier = false, anyDone = false;
  for (int w = 0; w < n; w += kWarp) {
    int end = std::min(n, w + kWarp);
    bool waiting = false, all = true, done = false;
    for (int i = w; i < end; ++i) {
      waiting |= fibers[i].state == FiberState::AtWarp;
      all &= fibers[i].state == FiberState::AtWarp;
      done |= fibers[i].state == FiberState::Done;
    }
    if (waiting && done) {
      launchError = "a warp shuffle that some threads of the warp never reach";
      return false;
    }
    if (all) {
      for (int i = w; i < end; ++i)
        fibers[i].state = FiberState::Ready;
      released = true;
    }
  }
  if (released)
    return true;
  for (Fiber &fiber : fibers) {
    allAtBarrier &= fiber.state == FiberState::AtBarrier || fiber.state == FiberState::Done;
    anyAtBarrier |= fiber.state == FiberState::AtBarrier;
    anyDone |= fiber.state == FiberState::Done;
  }
  if (!anyAtBarrier)
    return true;
  if (!allAtBarrier) {
    launchError = "threads wait at a barrier while others wait at a shuffle";
    return false;
  }
  if (anyDone) {
    launchError = "a barrier that some threads of the block never reach";
    return false;
  }
  for (Fiber &fiber : fibers)
    fiber.state = FiberState::Ready;
  released = true;
  return true;
}

// Runs one block; false with launchError on a failure.
bool runBlock(Launch &launch) {
  for (Fiber &fiber : launch.fibers) {
    fiber.state = FiberState::Ready;
    getcontext(&fiber.context);
    fiber.context.uc_stack.ss_sp = fiber.stack;
    fiber.context.uc_stack.ss_size = kStackBytes;
    fiber.context.uc_link = nullptr;
    makecontext(&fiber.context, fiberMain, 0);
  }
  while (true) {
    bool live = false;
    for (Fiber &fiber : launch.fibers)
      if (fiber.state == FiberState::Ready)
        resume(launch, fiber);
    for (Fiber &fiber : launch.fibers)
      live |= fiber.state != FiberState::Done;
    if (!live)
      return true;
    bool released;
    if (!release(launch, released))
      return false;
    if (!released) {
      launchError = "threads wait for each other forever";
      return false;
    }
  }
}

CUresult launchKernel(CUfunction function, unsigned gx, unsigned gy, unsigned gz,
                      unsigned bx, unsigned by, unsigned bz, unsigned, CUstream,
                      void **params, void **extra) {
  if (!function || extra)
    return kInvalidValue;
  uint64_t threads = uint64_t(bx) * by * bz;
  if (threads == 0 || threads > 1024 || gx == 0 || gy == 0 || gz == 0)
    return kInvalidValue;
  std::lock_guard<std::mutex> lock(launchMutex);
  Launch launch;
  launch.kernel = reinterpret_cast<EmuFunction *>(function)->kernel;
  launch.params = params;
  unsigned grid[3] = {gx, gy, gz}, block[3] = {bx, by, bz};
  std::copy(grid, grid + 3, launch.grid);
  std::copy(block, block + 3, launch.block);
  launch.fibers.resize(threads);
  for (size_t i = 0; i < threads; ++i) {
    Fiber &fiber = launch.fibers[i];
    fiber.linear = static_cast<int>(i);
    fiber.id[0] = static_cast<unsigned>(i % bx);
    fiber.id[1] = static_cast<unsigned>(i / bx % by);
    fiber.id[2] = static_cast<unsigned>(i / (uint64_t(bx) * by));
    fiber.stack = takeStack();
  }
  bool ok = true;
  for (Fiber &fiber : launch.fibers)
    ok &= fiber.stack != nullptr;
  activeLaunch = &launch;
  for (unsigned z = 0; z < gz && ok; ++z)
    for (unsigned y = 0; y < gy && ok; ++y)
      for (unsigned x = 0; x < gx && ok; ++x) {
        launch.blockId[0] = x;
        launch.blockId[1] = y;
        launch.blockId[2] = z;
        ok = runBlock(launch);
      }
  activeLaunch = nullptr;
  for (Fiber &fiber : launch.fibers)
    if (fiber.stack)
      stackPool().push_back(fiber.stack);
  if (!ok && launchError.empty())
    launchError = "out of memory for the threads' stacks";
  return ok ? CUDA_SUCCESS : kLaunchFailed;
}

// ---- The rest of the driver -------------------------------------------------

CUstream_st *const kStream = reinterpret_cast<CUstream_st *>(uintptr_t(0x5));
CUctx_st *const kContext = reinterpret_cast<CUctx_st *>(uintptr_t(0xC));

CUresult getErrorName(CUresult error, const char **name) {
  static thread_local std::string text;
  switch (error) {
  case CUDA_SUCCESS:
    *name = "CUDA_SUCCESS";
    return CUDA_SUCCESS;
  case kInvalidValue:
    *name = "CUDA_ERROR_INVALID_VALUE";
    return CUDA_SUCCESS;
  case CUDA_ERROR_OUT_OF_MEMORY:
    *name = "CUDA_ERROR_OUT_OF_MEMORY";
    return CUDA_SUCCESS;
  case kInvalidImage:
    *name = "CUDA_ERROR_INVALID_IMAGE (not a kernel image of the emulator: "
            "compile with --gpu-emulate)";
    return CUDA_SUCCESS;
  case kNotFound:
    *name = "CUDA_ERROR_NOT_FOUND";
    return CUDA_SUCCESS;
  case kLaunchFailed:
    text = "CUDA_ERROR_LAUNCH_FAILED (emulator: " + launchError + ")";
    *name = text.c_str();
    return CUDA_SUCCESS;
  }
  return kInvalidValue;
}

CUresult deviceGetName(char *name, int length, CUdevice) {
  std::snprintf(name, static_cast<size_t>(length), "NDR CUDA emulator (host CPU)");
  return CUDA_SUCCESS;
}

CUresult deviceGetAttribute(int *value, int attribute, CUdevice) {
  *value = attribute == CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR ? 9 : 0;
  return CUDA_SUCCESS;
}

CUresult moduleLoadData(CUmodule *module, const void *image) {
  const char *text = static_cast<const char *>(image);
  if (std::memcmp(text, kImageMagic, sizeof kImageMagic) != 0)
    return kInvalidImage;
  *module = reinterpret_cast<CUmodule>(new EmuModule{text + sizeof kImageMagic});
  return CUDA_SUCCESS;
}

CUresult moduleUnload(CUmodule module) {
  delete reinterpret_cast<EmuModule *>(module);
  return CUDA_SUCCESS;
}

CUresult moduleGetFunction(CUfunction *function, CUmodule module, const char *name) {
  std::lock_guard<std::mutex> lock(registryMutex);
  auto found = kernels().find(reinterpret_cast<EmuModule *>(module)->key + "/" + name);
  if (found == kernels().end())
    return kNotFound;
  *function = reinterpret_cast<CUfunction>(&found->second);
  return CUDA_SUCCESS;
}

CUresult memAlloc(CUdeviceptr *ptr, size_t bytes) {
  void *memory = ndr_alloc(bytes);
  if (!memory)
    return CUDA_ERROR_OUT_OF_MEMORY;
  *ptr = reinterpret_cast<CUdeviceptr>(memory);
  return CUDA_SUCCESS;
}

CUresult memFree(CUdeviceptr ptr) {
  ndr_free(reinterpret_cast<void *>(ptr));
  return CUDA_SUCCESS;
}

CUresult memcpyAsync(CUdeviceptr dst, CUdeviceptr src, size_t bytes, CUstream) {
  std::memmove(reinterpret_cast<void *>(dst), reinterpret_cast<void *>(src), bytes);
  return CUDA_SUCCESS;
}

CUresult memcpyHtoD(CUdeviceptr dst, const void *src, size_t bytes, CUstream) {
  std::memcpy(reinterpret_cast<void *>(dst), src, bytes);
  return CUDA_SUCCESS;
}

CUresult memcpyDtoH(void *dst, CUdeviceptr src, size_t bytes, CUstream) {
  std::memcpy(dst, reinterpret_cast<void *>(src), bytes);
  return CUDA_SUCCESS;
}

CUresult memsetD32(CUdeviceptr dst, unsigned value, size_t count, CUstream) {
  auto *words = reinterpret_cast<uint32_t *>(dst);
  std::fill(words, words + count, value);
  return CUDA_SUCCESS;
}

CUresult memsetD16(CUdeviceptr dst, unsigned short value, size_t count, CUstream) {
  auto *halves = reinterpret_cast<uint16_t *>(dst);
  std::fill(halves, halves + count, value);
  return CUDA_SUCCESS;
}

const Driver kEmulator = {
    [](unsigned) { return CUDA_SUCCESS; },
    getErrorName,
    [](int *count) {
      *count = 1;
      return CUDA_SUCCESS;
    },
    [](CUdevice *device, int) {
      *device = 0;
      return CUDA_SUCCESS;
    },
    deviceGetName,
    deviceGetAttribute,
    [](CUcontext *context, CUdevice) {
      *context = kContext;
      return CUDA_SUCCESS;
    },
    [](CUcontext) { return CUDA_SUCCESS; },
    [](CUcontext *context) {
      *context = kContext;
      return CUDA_SUCCESS;
    },
    moduleLoadData,
    moduleUnload,
    moduleGetFunction,
    launchKernel,
    memAlloc,
    memFree,
    memcpyAsync,
    memcpyHtoD,
    memcpyDtoH,
    memsetD32,
    memsetD16,
    [](CUstream *stream, unsigned) {
      *stream = kStream;
      return CUDA_SUCCESS;
    },
    [](CUstream) { return CUDA_SUCCESS; },
    [](CUstream) { return CUDA_SUCCESS; },
    [](CUstream, CUevent, unsigned) { return CUDA_SUCCESS; },
    [](CUevent *event, unsigned) {
      *event = reinterpret_cast<CUevent>(uintptr_t(0xE));
      return CUDA_SUCCESS;
    },
    [](CUevent) { return CUDA_SUCCESS; },
    [](CUevent, CUstream) { return CUDA_SUCCESS; },
    [](CUevent) { return CUDA_SUCCESS; },
};

} // namespace

const Driver &ndr_rt::cuda::emulatorDriver() { return kEmulator; }

extern "C" {

// Called by the global constructor of an emulated model's kernels.
void ndr_emu_register(const char *module, const char *kernel, PackedKernel packed) {
  std::lock_guard<std::mutex> lock(registryMutex);
  kernels()[std::string(module) + "/" + kernel] = EmuFunction{packed};
}

// The kernels' gpu.thread_id, block_id, block_dim and grid_dim: `which` is
// 3 * kind + dimension, kinds in that order.
int64_t ndr_emu_id(int32_t which) {
  Launch &launch = *activeLaunch;
  int dim = which % 3;
  switch (which / 3) {
  case 0:
    return launch.current->id[dim];
  case 1:
    return launch.blockId[dim];
  case 2:
    return launch.block[dim];
  default:
    return launch.grid[dim];
  }
}

void ndr_emu_barrier(void) {
  activeLaunch->current->state = FiberState::AtBarrier;
  yieldToScheduler();
}

// gpu.shuffle xor of 32-bit values within segments of `width` lanes.
uint32_t ndr_emu_shuffle_xor(uint32_t value, int32_t offset, int32_t width) {
  Launch &launch = *activeLaunch;
  Fiber &fiber = *launch.current;
  fiber.shuffleValue = value;
  fiber.state = FiberState::AtWarp;
  yieldToScheduler(); // every lane has put its value
  int lane = fiber.linear % kWarp, base = fiber.linear - lane;
  int segment = lane / width * width;
  int partner = segment + ((lane - segment) ^ offset);
  uint32_t result = partner < kWarp && base + partner < int(launch.fibers.size())
                        ? launch.fibers[base + partner].shuffleValue
                        : value;
  fiber.state = FiberState::AtWarp;
  yieldToScheduler(); // every lane has read before values change again
  return result;
}

} // extern "C"
