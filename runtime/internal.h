// internal.h - helpers shared by the runtime's source files (not installed).
#ifndef NDR_RUNTIME_INTERNAL_H
#define NDR_RUNTIME_INTERNAL_H

#include "runtime/ndr_model.h"
#include "runtime/ndr_runtime.h"

#include <fmt/format.h>

#include <string>
#include <utility>
#include <vector>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "libndr_runtime reads and writes little-endian files in place"
#endif

namespace ndr_rt {

// Sets this thread's status and message, and returns `status`.
ndr_status setError(ndr_status status, std::string message);

// The same with the message formatted by {fmt}, its format string checked at
// compile time: `return fail(NDR_ERR_IO, "{}: cannot open: {}", path, why);`
template <typename... Args>
ndr_status fail(ndr_status status, fmt::format_string<Args...> format,
                Args &&...args) {
  return setError(status, fmt::format(format, std::forward<Args>(args)...));
}

// "[8, 768]".
std::string shapeString(int32_t rank, const int64_t *shape);

// product(shape) * size of dtype, false on overflow past 2^63 or a negative
// dimension.
bool tensorBytes(ndr_dtype dtype, int32_t rank, const int64_t *shape,
                 uint64_t *bytes);

// Checks a caller's expected dtype and shape (NDR_ERR_ARG when they are not
// valid), then compares them with `got`; `what` starts the message
// ("x.npy" or "p.safetensors: tensor 'w'").
ndr_status checkTensor(const std::string &what, ndr_dtype dtype, int32_t rank,
                       const int64_t *shape, const ndr_tensor_info &got);

// Checks a model descriptor: counts, tensors (dtype, shape, initializer) and
// functions.
ndr_status checkDesc(const ndr_model_desc &desc);

// Elements and bytes of a tensor of a descriptor that has passed checkDesc.
int64_t elementCount(const ndr_tensor_desc &t);
size_t byteCount(const ndr_tensor_desc &t);

// Fills the tensor's data `dst` with stddev * N(0, 1) from ndr_fill_normal,
// rounded once to an f16 or bf16 tensor's dtype.
ndr_status fillNormal(const ndr_tensor_desc &t, void *dst, float stddev,
                      uint64_t seed, uint32_t stream);

// Whether runs should let their OpenMP workers sleep at once (openmp.cpp):
// libgomp is loaded too, and the user has not chosen a wait policy.
bool shouldQuietOpenmp();
// Makes the calling thread's next parallel regions do so.
void quietOpenmp();

// The device side of a CUDA model (cuda_model.cpp). cudaCreate loads the
// driver and the kernels, copies the parameters (`hostState`: params...,
// derived..., as the descriptor orders them) to the device and runs init
// there.
struct CudaModel;
ndr_status cudaCreate(const ndr_model_desc &desc,
                      const std::vector<void *> &hostState, CudaModel **out);
ndr_status cudaRun(CudaModel &model, const void *const *inputs,
                   void *const *outputs, uint64_t seed);
ndr_status cudaRunDevice(CudaModel &model, const void *const *inputs,
                         void *const *outputs, uint64_t seed, void *stream);
void cudaDestroy(CudaModel *model);

// What the .npy and safetensors header parsers share: a cursor over the
// header text and errors that say where it went wrong.
class HeaderCursor {
public:
  HeaderCursor(const char *text, size_t size)
      : pos(text), begin(text), end(text + size) {}

  std::string error;

protected:
  const char *pos, *begin, *end;

  bool failAt(const std::string &what) {
    error = fmt::format("malformed header at byte {}: {}", pos - begin, what);
    return false;
  }
  void skipSpace() {
    while (pos < end && (*pos == ' ' || *pos == '\t' || *pos == '\n' || *pos == '\r'))
      ++pos;
  }
  bool consume(char c) {
    if (pos < end && *pos == c) {
      ++pos;
      return true;
    }
    return false;
  }
  bool expect(char c) {
    skipSpace();
    return consume(c) || failAt(fmt::format("expected '{}'", c));
  }
};

} // namespace ndr_rt

#endif // NDR_RUNTIME_INTERNAL_H
