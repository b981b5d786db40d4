// cublas.cpp - ndr.linear on a CUDA device, through cuBLAS.
//
// The GPU counterpart of linear.cpp: the one computation the runtime does
// not leave to generated code. libcublas is opened with dlopen on the first
// linear, so a model without one never needs it. f16 and bf16 go through
// cublasGemmEx with f32 accumulation, f32 with CUBLAS_COMPUTE_32F (no TF32:
// the results stay within the tolerances of DESIGN.md section 9).
#include "runtime/cuda_driver.h"
#include "runtime/cuda_run.h"
#include "runtime/internal.h"

#include <dlfcn.h>

#include <climits>
#include <vector>

using namespace ndr_rt::cuda;

namespace {

using Handle = void *;
using Status = int;
constexpr int kOpN = 0, kOpT = 1;
constexpr int kR32F = 0, kR16F = 2, kR16BF = 14; // cudaDataType
constexpr int kCompute32F = 68;                   // cublasComputeType_t
constexpr int kGemmDefault = -1;                  // cublasGemmAlgo_t

struct Cublas {
  Status (*create)(Handle *handle);
  Status (*destroy)(Handle handle);
  Status (*setStream)(Handle handle, void *stream);
  Status (*gemmEx)(Handle handle, int transa, int transb, int m, int n, int k,
                   const void *alpha, const void *a, int aType, int lda,
                   const void *b, int bType, int ldb, const void *beta, void *c,
                   int cType, int ldc, int computeType, int algo);
  const char *(*statusName)(Status status); // may be missing
};

// libcublas's functions, or null with the reason in `why`.
const Cublas *loadCublas(std::string &why) {
  static Cublas table;
  static std::string error;
  static bool loaded = [] {
    // The loader's search path first, then the toolkit's usual folder.
    void *library = nullptr;
    for (const char *name :
         {"libcublas.so.13", "libcublas.so.12", "libcublas.so",
          "/usr/local/cuda/lib64/libcublas.so.13", "/usr/local/cuda/lib64/libcublas.so.12"})
      if ((library = dlopen(name, RTLD_NOW | RTLD_LOCAL)))
        break;
    if (!library) {
      error = "cannot open libcublas.so.13 or .12 (put its folder on LD_LIBRARY_PATH)";
      return false;
    }
    auto symbol = [&](const char *name, auto &slot) {
      slot = reinterpret_cast<std::remove_reference_t<decltype(slot)>>(
          dlsym(library, name));
      if (!slot && error.empty())
        error = fmt::format("libcublas has no {}", name);
    };
    symbol("cublasCreate_v2", table.create);
    symbol("cublasDestroy_v2", table.destroy);
    symbol("cublasSetStream_v2", table.setStream);
    symbol("cublasGemmEx", table.gemmEx);
    table.statusName = reinterpret_cast<const char *(*)(Status)>(
        dlsym(library, "cublasGetStatusName"));
    return error.empty();
  }();
  why = error;
  return loaded ? &table : nullptr;
}

std::string statusName(const Cublas &cublas, Status status) {
  if (cublas.statusName)
    if (const char *name = cublas.statusName(status))
      return name;
  return fmt::format("cuBLAS status {}", status);
}

thread_local RunState *currentRun = nullptr;

// The emulator's device memory is host memory: a loop nest in f32 (test
// sizes).
void hostLinear(const void *x, const void *w, void *y, int64_t rows, int64_t in,
                int64_t out, ndr_dtype dtype) {
  std::vector<float> xf(rows * in), wf(out * in), yf(rows * out);
  ndr_convert_to_f32(x, dtype, xf.data(), rows * in);
  ndr_convert_to_f32(w, dtype, wf.data(), out * in);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t o = 0; o < out; ++o) {
      const float *xr = &xf[r * in], *wo = &wf[o * in];
      float sum = 0.0f;
      for (int64_t k = 0; k < in; ++k)
        sum += xr[k] * wo[k];
      yf[r * out + o] = sum;
    }
  ndr_convert_from_f32(yf.data(), dtype, y, rows * out);
}

} // namespace

namespace ndr_rt::cuda {

RunScope::RunScope(RunState &state) : previous(currentRun) { currentRun = &state; }
RunScope::~RunScope() { currentRun = previous; }
RunState *RunScope::current() { return currentRun; }

void releaseRunState(RunState &state) {
  std::string why;
  if (state.cublas)
    if (const Cublas *cublas = loadCublas(why))
      cublas->destroy(state.cublas);
  state.cublas = nullptr;
}

} // namespace ndr_rt::cuda

namespace {
void cudaLinear(const void *x, const void *w, void *y, int64_t rows, int64_t in,
                int64_t out, ndr_dtype type, void *stream) {
  if (hasPendingError())
    return;
  if (emulated())
    return hostLinear(x, w, y, rows, in, out, type);
  if (rows > INT_MAX || in > INT_MAX || out > INT_MAX)
    return setPendingError(NDR_ERR_ARG,
                           fmt::format("linear [{}, {}] x [{}, {}]^T: cuBLAS takes "
                                       "dimensions up to 2^31 - 1",
                                       rows, in, out, in));
  std::string why;
  const Cublas *cublas = loadCublas(why);
  if (!cublas)
    return setPendingError(NDR_ERR_IO, fmt::format("linear needs cuBLAS: {}", why));
  RunState *run = currentRun;
  if (!run)
    return setPendingError(NDR_ERR_ARG, "ndr_cuda_linear_*: called outside a model's run");
  if (!run->cublas)
    if (Status status = cublas->create(&run->cublas))
      return setPendingError(NDR_ERR_DEVICE,
                             fmt::format("cublasCreate: {}", statusName(*cublas, status)));
  int cudaType = type == NDR_F16 ? kR16F : type == NDR_BF16 ? kR16BF : kR32F;
  float alpha = 1.0f, beta = 0.0f;
  // Row-major y[rows, out] = x[rows, in] w[out, in]^T is the column-major
  // y^T[out, rows] = (w viewed [in, out])^T x^T.
  Status status = cublas->setStream(run->cublas, stream);
  if (!status)
    status = cublas->gemmEx(run->cublas, kOpT, kOpN, static_cast<int>(out),
                            static_cast<int>(rows), static_cast<int>(in), &alpha, w,
                            cudaType, static_cast<int>(in), x, cudaType,
                            static_cast<int>(in), &beta, y, cudaType,
                            static_cast<int>(out), kCompute32F, kGemmDefault);
  if (status)
    setPendingError(NDR_ERR_DEVICE,
                    fmt::format("cublasGemmEx ({} x {} x {}): {}", rows, out, in,
                                statusName(*cublas, status)));
}
} // namespace

extern "C" {

void ndr_cuda_linear_f32(const float *x, const float *w, float *y, int64_t rows,
                         int64_t in, int64_t out, void *stream) {
  cudaLinear(x, w, y, rows, in, out, NDR_F32, stream);
}

void ndr_cuda_linear_f16(const uint16_t *x, const uint16_t *w, uint16_t *y,
                         int64_t rows, int64_t in, int64_t out, void *stream) {
  cudaLinear(x, w, y, rows, in, out, NDR_F16, stream);
}

void ndr_cuda_linear_bf16(const uint16_t *x, const uint16_t *w, uint16_t *y,
                          int64_t rows, int64_t in, int64_t out, void *stream) {
  cudaLinear(x, w, y, rows, in, out, NDR_BF16, stream);
}

} // extern "C"
