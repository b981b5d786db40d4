//===- linear.cpp - ndr.linear through oneDNN's sgemm ---------------------===//
//
// The one kernel the runtime holds (DESIGN.md section 8): a matrix product is
// where a tuned BLAS beats generated loop nests by an order of magnitude.
// oneDNN's sgemm rather than OpenBLAS's: it picks its kernels by the CPU's
// features, where Debian's OpenBLAS (0.3.21) picks them by model and runs
// AVX2 code on AVX-512 parts it does not know (Zen 5: W6's two GEMMs in
// 81 ms against 163 at one thread); on AVX2 parts the two run level.
//
//===----------------------------------------------------------------------===//

#include "runtime/internal.h"
#include "runtime/ndr_runtime.h"

#include <dnnl.h>

namespace {
void linear(const float *x, const float *w, const float *b, float *y,
            int64_t rows, int64_t in, int64_t out) {
  // sgemm runs on libgomp's threads (Debian's oneDNN): the kernels' libomp
  // workers sleep at once after their regions instead of spinning on the
  // cores sgemm needs (openmp.cpp).
  static const bool quiet = ndr_rt::shouldQuietOpenmp();
  if (quiet)
    ndr_rt::quietOpenmp();
  float beta = 0.0f;
  if (b) {
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t o = 0; o < out; ++o)
        y[r * out + o] = b[o];
    beta = 1.0f;
  }
  // Row-major, as dnnl_sgemm's arguments always are: y = x w^T (+ y).
  dnnl_sgemm('N', 'T', rows, out, in, 1.0f, x, in, w, in, beta, y, out);
}
} // namespace

extern "C" void ndr_linear_f32(const float *x, const float *w, float *y,
                               int64_t rows, int64_t in, int64_t out) {
  linear(x, w, nullptr, y, rows, in, out);
}

extern "C" void ndr_linear_bias_f32(const float *x, const float *w,
                                    const float *b, float *y, int64_t rows,
                                    int64_t in, int64_t out) {
  linear(x, w, b, y, rows, in, out);
}
