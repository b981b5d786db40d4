//===- linear.cpp - ndr.linear through OpenBLAS ---------------------------===//
//
// The one kernel the runtime holds (DESIGN.md section 8): a matrix product is
// where a tuned BLAS beats generated loop nests by an order of magnitude.
//
//===----------------------------------------------------------------------===//

#include "runtime/internal.h"
#include "runtime/ndr_runtime.h"

#include <cblas.h>

namespace {
void linear(const float *x, const float *w, const float *b, float *y,
            int64_t rows, int64_t in, int64_t out) {
  // The kernels' OpenMP workers sleep at once after their regions, instead
  // of spinning on the cores sgemm's threads need (openmp.cpp).
  static const bool quiet = ndr_rt::shouldQuietBesideBlas(openblas_get_num_threads());
  if (quiet)
    ndr_rt::quietOpenmp();
  float beta = 0.0f;
  if (b) {
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t o = 0; o < out; ++o)
        y[r * out + o] = b[o];
    beta = 1.0f;
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, out, in, 1.0f, x,
              in, w, in, beta, y, out);
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
