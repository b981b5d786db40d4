// CudaTest.cpp - the runtime's CUDA layer against fake driver tables: no
// driver or no GPU, every class of failed driver call as a run's status, the
// mgpu* entry points that generated code calls, the device-side model host,
// and the emulator's launches (its barriers, shuffles and their misuse).
#include "TestModel.h"
#include "runtime/cuda_driver.h"
#include "runtime/ndr_model.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

using namespace ndr_rt::cuda;

extern "C" {
void *mgpuModuleLoad(void *data, size_t size);
void mgpuModuleUnload(void *module);
CUfunction mgpuModuleGetFunction(void *module, const char *name);
void mgpuLaunchKernel(CUfunction function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t sharedBytes, CUstream stream,
                      void **params, void **extra, size_t paramsCount);
void *mgpuMemAlloc(uint64_t bytes, CUstream stream, bool hostShared);
void mgpuMemFree(void *ptr, CUstream stream);
void mgpuMemcpy(void *dst, void *src, size_t bytes, CUstream stream);
void ndr_emu_register(const char *module, const char *kernel, void (*packed)(void **));
int64_t ndr_emu_id(int32_t which);
void ndr_emu_barrier(void);
uint32_t ndr_emu_shuffle_xor(uint32_t value, int32_t offset, int32_t width);
}

namespace {

constexpr CUresult kLaunchFailed = 719, kNoBinary = 209;

// The emulator's table with some entries replaced: a driver that works on
// host memory and fails where a test says.
struct FakeDriver {
  Driver table = emulatorDriver();
  FakeDriver() { setDriverForTesting(&table); }
  ~FakeDriver() { setDriverForTesting(nullptr); }
};

// Failure names of the fake tables below (the emulator names its own).
CUresult errorName(CUresult error, const char **name) {
  switch (error) {
  case kLaunchFailed:
    *name = "CUDA_ERROR_LAUNCH_FAILED";
    return CUDA_SUCCESS;
  case kNoBinary:
    *name = "CUDA_ERROR_NO_BINARY_FOR_GPU";
    return CUDA_SUCCESS;
  case CUDA_ERROR_OUT_OF_MEMORY:
    *name = "CUDA_ERROR_OUT_OF_MEMORY";
    return CUDA_SUCCESS;
  case CUDA_ERROR_NO_DEVICE:
    *name = "CUDA_ERROR_NO_DEVICE";
    return CUDA_SUCCESS;
  }
  return 1;
}

// An emulated kernel: y[i] = 2 * x[i] + seed for i < n (params: x, y, n, seed).
void scaleKernel(void **params) {
  const float *x = *static_cast<const float **>(params[0]);
  float *y = *static_cast<float **>(params[1]);
  int64_t n = *static_cast<int64_t *>(params[2]);
  uint64_t seed = *static_cast<uint64_t *>(params[3]);
  int64_t i = ndr_emu_id(3) * ndr_emu_id(6) + ndr_emu_id(0);
  if (i < n)
    y[i] = 2.0f * x[i] + float(seed);
}

// The image of module `key` under the emulator.
std::string image(const std::string &key) { return std::string("NDREMU") + '\0' + key + '\0'; }

// A CUDA model as ndrc's generated C holds one, with a hand-written device
// run: input x f32[300], param w f32[300] = ones, output y = 2x + seed (the
// kernel above; w is only uploaded). Its image is registered per test.
const int64_t kShape[] = {300};
const ndr_tensor_desc kX = {"x", NDR_F32, 1, kShape, NDR_INIT_NONE, 0.0f};
const ndr_tensor_desc kW = {"w", NDR_F32, 1, kShape, NDR_INIT_ONES, 0.0f};
const ndr_tensor_desc kY = {"y", NDR_F32, 1, kShape, NDR_INIT_NONE, 0.0f};
void *testModule = nullptr;

void runDevice(void **buffers, uint64_t seed, void *stream) {
  int64_t n = 300;
  void *params[] = {&buffers[0], &buffers[2], &n, &seed};
  CUfunction f = mgpuModuleGetFunction(testModule, "scale");
  mgpuLaunchKernel(f, 3, 1, 1, 128, 1, 1, 0, static_cast<CUstream>(stream), params,
                   nullptr, 4);
}

const ndr_model_desc kModel = {"cudatest", 1, 1, 0, 1, &kX, &kW, nullptr, &kY,
                               nullptr, nullptr, 0, NDR_TARGET_CUDA, nullptr,
                               runDevice};

// Registers the kernel and a fresh image for one test.
class CudaModel : public ::testing::Test {
protected:
  // Before SetUp and after TearDown: the image is unloaded through it.
  FakeDriver fake;
  void SetUp() override {
    ndr_emu_register("cudatest", "scale", scaleKernel);
    key = image("cudatest");
    testModule = mgpuModuleLoad(key.data(), key.size());
  }
  void TearDown() override {
    mgpuModuleUnload(testModule);
    testModule = nullptr;
  }
  std::string key;
};

TEST_F(CudaModel, RunsOnTheDeviceAndCopiesHostBuffers) {
  ndr_model *model = nullptr;
  ASSERT_EQ(ndr_model_create(&kModel, nullptr, 0, &model), NDR_OK) << ndr_last_error();
  EXPECT_EQ(ndr_model_target(model), NDR_TARGET_CUDA);
  std::vector<float> x(300), y(300);
  for (int i = 0; i < 300; ++i)
    x[i] = float(i);
  const void *in[] = {x.data()};
  void *out[] = {y.data()};
  ASSERT_EQ(ndr_model_run(model, in, out, 5), NDR_OK) << ndr_last_error();
  for (int i = 0; i < 300; ++i)
    ASSERT_EQ(y[i], 2.0f * i + 5.0f) << i;
  // On "device" pointers (host memory under the fake), no copies.
  std::vector<float> y2(300);
  void *out2[] = {y2.data()};
  ASSERT_EQ(ndr_model_run_device(model, in, out2, 1, nullptr), NDR_OK) << ndr_last_error();
  EXPECT_EQ(y2[299], 2.0f * 299 + 1.0f);
  ndr_model_destroy(model);
}

TEST_F(CudaModel, NoDriverIsOneClearError) {
  fake.table.cuGetErrorName = errorName;
  fake.table.cuInit = [](unsigned) { return CUDA_ERROR_NO_DEVICE; };
  ndr_model *model = nullptr;
  EXPECT_EQ(ndr_model_create(&kModel, nullptr, 0, &model), NDR_ERR_IO);
  EXPECT_EQ(model, nullptr);
  EXPECT_STREQ(ndr_last_error(),
               "no CUDA driver or GPU found (cuInit: CUDA_ERROR_NO_DEVICE)");
}

TEST_F(CudaModel, NoDeviceIsOneClearError) {
  fake.table.cuDeviceGetCount = [](int *count) {
    *count = 0;
    return CUDA_SUCCESS;
  };
  ndr_model *model = nullptr;
  EXPECT_EQ(ndr_model_create(&kModel, nullptr, 0, &model), NDR_ERR_IO);
  EXPECT_STREQ(ndr_last_error(),
               "no CUDA driver or GPU found (the driver sees no device)");
}

TEST_F(CudaModel, KernelsForAnotherGpuFailAtCreate) {
  fake.table.cuGetErrorName = errorName;
  fake.table.cuModuleLoadData = [](CUmodule *, const void *) { return kNoBinary; };
  ndr_model *model = nullptr;
  EXPECT_EQ(ndr_model_create(&kModel, nullptr, 0, &model), NDR_ERR_DEVICE);
  EXPECT_NE(std::string(ndr_last_error()).find("CUDA_ERROR_NO_BINARY_FOR_GPU"),
            std::string::npos)
      << ndr_last_error();
  EXPECT_NE(std::string(ndr_last_error()).find("--gpu-arch"), std::string::npos);
}

TEST_F(CudaModel, DeviceMemoryExhaustedNamesTheTensor) {
  fake.table.cuGetErrorName = errorName;
  fake.table.cuMemAlloc = [](CUdeviceptr *, size_t) { return CUDA_ERROR_OUT_OF_MEMORY; };
  ndr_model *model = nullptr;
  EXPECT_EQ(ndr_model_create(&kModel, nullptr, 0, &model), NDR_ERR_NOMEM);
  EXPECT_STREQ(ndr_last_error(),
               "model 'cudatest': cannot allocate 1200 bytes of device memory for "
               "input 'x': CUDA_ERROR_OUT_OF_MEMORY");
}

TEST_F(CudaModel, AFailedLaunchIsTheRunsStatus) {
  ndr_model *model = nullptr;
  ASSERT_EQ(ndr_model_create(&kModel, nullptr, 0, &model), NDR_OK) << ndr_last_error();
  fake.table.cuGetErrorName = errorName;
  fake.table.cuLaunchKernel = [](CUfunction, unsigned, unsigned, unsigned, unsigned,
                                 unsigned, unsigned, unsigned, CUstream, void **,
                                 void **) { return kLaunchFailed; };
  std::vector<float> x(300), y(300);
  const void *in[] = {x.data()};
  void *out[] = {y.data()};
  EXPECT_EQ(ndr_model_run(model, in, out, 0), NDR_ERR_DEVICE);
  EXPECT_STREQ(ndr_last_error(), "cuLaunchKernel: CUDA_ERROR_LAUNCH_FAILED");
  // The error was the run's: the next run starts clean.
  fake.table.cuLaunchKernel = emulatorDriver().cuLaunchKernel;
  EXPECT_EQ(ndr_model_run(model, in, out, 0), NDR_OK) << ndr_last_error();
  ndr_model_destroy(model);
}

TEST_F(CudaModel, DevicePointersAreChecked) {
  ndr_model *model = nullptr;
  ASSERT_EQ(ndr_model_create(&kModel, nullptr, 0, &model), NDR_OK) << ndr_last_error();
  alignas(16) float buffer[304];
  const void *misaligned[] = {buffer + 1};
  void *out[] = {buffer};
  EXPECT_EQ(ndr_model_run_device(model, misaligned, out, 0, nullptr), NDR_ERR_ARG);
  EXPECT_STREQ(ndr_last_error(),
               "model 'cudatest': device pointer for input 'x' is not 16-byte aligned "
               "(the kernels load and store 128 bits at a time)");
  const void *null[] = {nullptr};
  EXPECT_EQ(ndr_model_run_device(model, null, out, 0, nullptr), NDR_ERR_ARG);
  EXPECT_STREQ(ndr_last_error(), "model 'cudatest': null device pointer for input 'x'");
  ndr_model_destroy(model);
}

TEST(CudaRuntime, CpuModelsRefuseDeviceRuns) {
  ndr_model *model = nullptr;
  ASSERT_EQ(ndr_model_create(&ndr_test_model, nullptr, 0, &model), NDR_OK);
  EXPECT_EQ(ndr_model_target(model), NDR_TARGET_CPU);
  EXPECT_EQ(ndr_model_run_device(model, nullptr, nullptr, 0, nullptr), NDR_ERR_ARG);
  EXPECT_NE(std::string(ndr_last_error()).find("needs a CUDA model"), std::string::npos);
  ndr_model_destroy(model);
}

TEST(CudaRuntime, TheFirstFailureOfARunIsKept) {
  FakeDriver fake;
  fake.table.cuGetErrorName = errorName;
  fake.table.cuMemAlloc = [](CUdeviceptr *, size_t) { return CUDA_ERROR_OUT_OF_MEMORY; };
  const Driver *driver;
  const Device *device;
  ASSERT_EQ(init(&driver, &device), NDR_OK);
  EXPECT_EQ(mgpuMemAlloc(64, nullptr, false), nullptr);
  // Managed memory would be another failure: the first one stays.
  EXPECT_EQ(mgpuMemAlloc(64, nullptr, true), nullptr);
  EXPECT_EQ(takeError(), NDR_ERR_NOMEM);
  EXPECT_STREQ(ndr_last_error(), "cuMemAlloc: CUDA_ERROR_OUT_OF_MEMORY");
  EXPECT_EQ(takeError(), NDR_OK);
  EXPECT_EQ(mgpuMemAlloc(64, nullptr, true), nullptr);
  EXPECT_EQ(takeError(), NDR_ERR_DEVICE);
  EXPECT_STREQ(ndr_last_error(),
               "mgpuMemAlloc: managed (host-shared) memory is not supported");
}

TEST(CudaRuntime, CopiesAndFreesGoThroughTheDriver) {
  FakeDriver fake;
  const Driver *driver;
  const Device *device;
  ASSERT_EQ(init(&driver, &device), NDR_OK);
  EXPECT_EQ(device->name, "NDR CUDA emulator (host CPU)");
  float src[4] = {1, 2, 3, 4};
  auto *dst = static_cast<float *>(mgpuMemAlloc(sizeof src, nullptr, false));
  ASSERT_NE(dst, nullptr);
  mgpuMemcpy(dst, src, sizeof src, nullptr);
  EXPECT_EQ(dst[3], 4.0f);
  mgpuMemFree(dst, nullptr);
  EXPECT_EQ(takeError(), NDR_OK);
}

// ---- The emulator's launches ---------------------------------------------

// Sums its block's thread ids with a warp butterfly and, across warps,
// through "shared" memory and a barrier, as the norm kernels do.
float sharedPartials[32];
void blockSum(void **params) {
  float *out = *static_cast<float **>(params[0]);
  int64_t tid = ndr_emu_id(0), threads = ndr_emu_id(6);
  float v = float(tid);
  for (int offset = 16; offset > 0; offset /= 2) {
    uint32_t bits;
    std::memcpy(&bits, &v, 4);
    uint32_t other = ndr_emu_shuffle_xor(bits, offset, 32);
    float o;
    std::memcpy(&o, &other, 4);
    v += o;
  }
  if (tid % 32 == 0)
    sharedPartials[tid / 32] = v;
  ndr_emu_barrier();
  float total = 0;
  for (int64_t w = 0; w < threads / 32; ++w)
    total += sharedPartials[w];
  out[ndr_emu_id(3) * threads + tid] = total;
}

// Thread 0 leaves before a barrier the others wait at.
void divergentBarrier(void **) {
  if (ndr_emu_id(0) == 0)
    return;
  ndr_emu_barrier();
}

// Lane 1 leaves before a shuffle its warp does.
void divergentShuffle(void **) {
  if (ndr_emu_id(0) == 1)
    return;
  ndr_emu_shuffle_xor(1, 1, 32);
}

CUfunction emulated(const char *name, void (*kernel)(void **)) {
  ndr_emu_register("emutest", name, kernel);
  static std::string bytes = image("emutest");
  static void *module = mgpuModuleLoad(bytes.data(), bytes.size());
  return mgpuModuleGetFunction(module, name);
}

TEST(CudaEmulator, BarriersAndShufflesSumABlock) {
  FakeDriver fake;
  const Driver *driver;
  const Device *device;
  ASSERT_EQ(init(&driver, &device), NDR_OK);
  CUfunction f = emulated("block_sum", blockSum);
  ASSERT_NE(f, nullptr);
  std::vector<float> out(2 * 256);
  float *ptr = out.data();
  void *params[] = {&ptr};
  mgpuLaunchKernel(f, 2, 1, 1, 256, 1, 1, 0, nullptr, params, nullptr, 1);
  ASSERT_EQ(takeError(), NDR_OK) << ndr_last_error();
  for (float v : out)
    ASSERT_EQ(v, 255.0f * 256.0f / 2.0f);
}

TEST(CudaEmulator, ADivergentBarrierFailsTheLaunch) {
  FakeDriver fake;
  const Driver *driver;
  const Device *device;
  ASSERT_EQ(init(&driver, &device), NDR_OK);
  mgpuLaunchKernel(emulated("divergent_barrier", divergentBarrier), 1, 1, 1, 64, 1, 1,
                   0, nullptr, nullptr, nullptr, 0);
  EXPECT_EQ(takeError(), NDR_ERR_DEVICE);
  EXPECT_STREQ(ndr_last_error(),
               "cuLaunchKernel: CUDA_ERROR_LAUNCH_FAILED (emulator: a barrier that "
               "some threads of the block never reach)");
  mgpuLaunchKernel(emulated("divergent_shuffle", divergentShuffle), 1, 1, 1, 32, 1, 1,
                   0, nullptr, nullptr, nullptr, 0);
  EXPECT_EQ(takeError(), NDR_ERR_DEVICE);
  EXPECT_STREQ(ndr_last_error(),
               "cuLaunchKernel: CUDA_ERROR_LAUNCH_FAILED (emulator: a warp shuffle "
               "that some threads of the warp never reach)");
}

TEST(CudaEmulator, AnImageOfAGpuIsNotEmulated) {
  FakeDriver fake;
  const Driver *driver;
  const Device *device;
  ASSERT_EQ(init(&driver, &device), NDR_OK);
  std::string cubin = "\x7f" "ELF not a kernel image";
  void *module = mgpuModuleLoad(cubin.data(), cubin.size());
  EXPECT_EQ(mgpuModuleGetFunction(module, "k"), nullptr);
  EXPECT_EQ(takeError(), NDR_ERR_DEVICE);
  EXPECT_NE(std::string(ndr_last_error()).find("compile with --gpu-emulate"),
            std::string::npos)
      << ndr_last_error();
  mgpuModuleUnload(module);
}

} // namespace
