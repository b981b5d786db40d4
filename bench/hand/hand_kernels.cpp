//===- hand_kernels.cpp - hand-written fused kernels for the benchmark -----===//
//
// The best fused kernel we can write by hand for each workload of
// bench/workloads.py, the bar the compiler is measured against. AVX-512,
// OpenMP over rows with a static split, as the roof splits its range.
// Measured on the 2-core Zen4 development machine, each worth keeping:
// - the arguments are firstprivate, so the outlined OpenMP loops see locals
//   that no store can alias (1.7x: otherwise every pointer is reloaded);
// - each row is read from memory once: LayerNorm keeps x + r in a scratch row
//   in L1 and takes its statistics from there (two-pass, robust);
// - while a row's output is written, the next row is prefetched into L2,
//   since that sweep has no load that would keep memory busy (1.1-1.2x);
// - outputs larger than the L3 go out with non-temporal stores.
//
// Dropout (W2) draws its mask with Philox4x32-10, 16 blocks per vector (one
// block per 32-bit lane) and three independent vectors in flight, bit-exact
// with DESIGN.md section 5.
//
// Built by bench/run.sh with clang-22 and libomp (ndr's OpenMP runtime):
//   clang++ -O3 -march=native -fopenmp -shared -fPIC hand_kernels.cpp -o hand.so
//
//===----------------------------------------------------------------------===//

#include <immintrin.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>

#ifndef __AVX512F__
#error "the hand kernels are written for AVX-512 (build with -march=native on an AVX-512 CPU)"
#endif

#ifndef PHILOX_WAYS
#define PHILOX_WAYS 3 // independent Philox chains per step: 3 measured 1.2x faster than 1, 4 slower
#endif

namespace {

// Outputs above the L3 (32 MiB) bypass the caches: a normal store would first
// read each line in (write-allocate) and evict the inputs we still stream.
constexpr long kL3Bytes = 32L << 20;

bool streamable(const float *y, long n) {
  return ((uintptr_t)y & 63) == 0 && n * (long)sizeof(float) > kL3Bytes;
}

template <bool NT> inline void store(float *p, __m512 v) {
  if (NT)
    _mm512_stream_ps(p, v);
  else
    _mm512_storeu_ps(p, v);
}

//===----------------------------------------------------------------------===//
// Philox4x32-10, 16 blocks per step
//===----------------------------------------------------------------------===//

// 32x32 -> 64-bit products of each lane with m: lanes' high and low words.
// mul_epu32 multiplies the even lanes, so the odd lanes go through a shift.
inline void mulhilo(__m512i a, __m512i m, __m512i &hi, __m512i &lo) {
  __m512i even = _mm512_mul_epu32(a, m);
  __m512i odd = _mm512_mul_epu32(_mm512_srli_epi64(a, 32), m);
  lo = _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
  hi = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(even, 32), odd);
}

/// Philox4x32-10 of U x 16 consecutive blocks from block j0, one block per
/// 32-bit lane; U independent chains hide the latency of each round's
/// multiplies. Writes the dropped bits of their U x 128 elements to bits[0, 2U).
template <int U>
inline void philoxDropped(uint64_t j0, uint64_t seed, uint32_t stream, __m512i thresh,
                          uint64_t *bits) {
  const __m512i m0 = _mm512_set1_epi32((int)0xD2511F53u);
  const __m512i m1 = _mm512_set1_epi32((int)0xCD9E8D57u);
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  __m512i c0[U], c1[U], c2[U], c3[U];
  for (int u = 0; u < U; ++u) {
    uint64_t j = j0 + 16 * u;
    __m512i lo = _mm512_set1_epi32((int)(uint32_t)j);
    c0[u] = _mm512_add_epi32(lo, lane);
    c1[u] = _mm512_set1_epi32((int)(uint32_t)(j >> 32));
    // Carry into the high word where the low word wrapped within these 16.
    c1[u] = _mm512_mask_add_epi32(c1[u], _mm512_cmplt_epu32_mask(c0[u], lo), c1[u],
                                  _mm512_set1_epi32(1));
    c2[u] = _mm512_set1_epi32((int)stream);
    c3[u] = _mm512_setzero_si512();
  }
  uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
  for (int round = 0; round < 10; ++round) {
    const __m512i key0 = _mm512_set1_epi32((int)k0), key1 = _mm512_set1_epi32((int)k1);
    for (int u = 0; u < U; ++u) {
      __m512i hi0, lo0, hi1, lo1;
      mulhilo(c0[u], m0, hi0, lo0);
      mulhilo(c2[u], m1, hi1, lo1);
      c0[u] = _mm512_ternarylogic_epi32(hi1, c1[u], key0, 0x96); // 0x96: three-way xor
      c2[u] = _mm512_ternarylogic_epi32(hi0, c3[u], key1, 0x96);
      c1[u] = lo1;
      c3[u] = lo0;
    }
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  // Each block is 8 elements, so word k's two halves land at bits 2k, 2k+1 of
  // each byte of the element mask: pdep spreads 2 bits per block there.
  const uint64_t spread = 0x0303030303030303ULL;
  for (int u = 0; u < U; ++u) {
    // All 16-bit draws compared at once: bit 2b + h of d[k] is block b, half h.
    __mmask32 d[4] = {_mm512_cmplt_epu16_mask(c0[u], thresh), _mm512_cmplt_epu16_mask(c1[u], thresh),
                      _mm512_cmplt_epu16_mask(c2[u], thresh), _mm512_cmplt_epu16_mask(c3[u], thresh)};
    uint64_t first8 = 0, last8 = 0;
    for (int k = 0; k < 4; ++k) {
      first8 |= _pdep_u64(d[k] & 0xFFFF, spread << (2 * k));
      last8 |= _pdep_u64(d[k] >> 16, spread << (2 * k));
    }
    bits[2 * u] = first8;
    bits[2 * u + 1] = last8;
  }
}

/// Dropped-element bits of blocks [first, first + nblocks) (nblocks a multiple
/// of 8): bit e of bits[] is 1 iff element 8 * first + e is dropped. Block j,
/// draw h is element 8j + h: counter (j lo, j hi, stream, 0), key (seed lo,
/// seed hi), word h / 2, 16-bit half h % 2 low first, dropped iff draw < t.
void droppedBits(uint64_t seed, uint32_t stream, uint64_t first, long nblocks, uint32_t t,
                 uint64_t *bits) {
  if (t >= 65536) { // every draw is below: all dropped (p = 1)
    for (long w = 0; w < nblocks / 8; ++w)
      bits[w] = ~0ULL;
    return;
  }
  const __m512i thresh = _mm512_set1_epi16((short)t);
  constexpr int U = PHILOX_WAYS;
  long b = 0;
  for (; b + 16 * U <= nblocks; b += 16 * U)
    philoxDropped<U>(first + b, seed, stream, thresh, bits + b / 8);
  for (; b < nblocks; b += 16) {
    uint64_t last[2];
    philoxDropped<1>(first + b, seed, stream, thresh, last);
    bits[b / 8] = last[0];
    if (b + 8 < nblocks)
      bits[b / 8 + 1] = last[1];
  }
}

uint32_t dropoutThreshold(float p) {
  double t = std::lround((double)p * 65536.0);
  return t < 0 ? 0 : t > 65536 ? 65536 : (uint32_t)t;
}

//===----------------------------------------------------------------------===//
// Row kernels
//===----------------------------------------------------------------------===//

enum class Sum { Add, AddBias, AddDropout };

struct Dropout {
  uint64_t seed = 0;
  uint32_t stream = 0, threshold = 0;
  float scale = 1.0f;
};

inline float hsum(__m512 a, __m512 b, __m512 c, __m512 d) {
  return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a, b), _mm512_add_ps(c, d)));
}

/// A per-thread scratch row, 64-byte aligned, in L1/L2 while the row is worked on.
struct Scratch {
  float *row;
  uint64_t *bits;
  explicit Scratch(long cols)
      : row((float *)std::aligned_alloc(64, ((cols * 4 + 63) / 64) * 64)),
        bits((uint64_t *)std::aligned_alloc(64, ((cols / 8 + 63) / 64) * 64 + 64)) {}
  ~Scratch() {
    std::free(row);
    std::free(bits);
  }
};

/// y = LayerNorm(s) over rows, s = x + r [+ bias | with dropout on r].
template <Sum S, bool NT>
void addLayerNorm(const float *x, const float *r, const float *bias, const float *gamma,
                  const float *beta, float *y, long rows, long cols, float eps, Dropout d) {
#pragma omp parallel firstprivate(x, r, bias, gamma, beta, y, rows, cols, eps, d)
  {
    Scratch scratch(cols);
    float *s = scratch.row;
#pragma omp for schedule(static)
    for (long row = 0; row < rows; ++row) {
      const float *xr = x + row * cols, *rr = r + row * cols;
      float *yr = y + row * cols;
      if (S == Sum::AddDropout)
        droppedBits(d.seed, d.stream, (uint64_t)(row * cols) / 8, cols / 8, d.threshold,
                    scratch.bits);
      const __m512 scale = _mm512_set1_ps(d.scale);
      // Sweep 1 (memory): the sum, kept in L1, and its total.
      __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(),
                       _mm512_setzero_ps()};
      for (long c = 0; c < cols; c += 64) {
        uint64_t dropped = S == Sum::AddDropout ? scratch.bits[c / 64] : 0;
        for (int u = 0; u < 4; ++u) {
          long i = c + 16 * u;
          __m512 rv = _mm512_loadu_ps(rr + i);
          if (S == Sum::AddDropout) // kept: r / (1 - p); dropped: 0
            rv = _mm512_maskz_mul_ps((__mmask16) ~(dropped >> (16 * u)), rv, scale);
          __m512 v = _mm512_add_ps(_mm512_loadu_ps(xr + i), rv);
          if (S == Sum::AddBias) // (x + r) + bias, in the order the source writes
            v = _mm512_add_ps(v, _mm512_loadu_ps(bias + i));
          _mm512_store_ps(s + i, v);
          acc[u] = _mm512_add_ps(acc[u], v);
        }
      }
      float mean = hsum(acc[0], acc[1], acc[2], acc[3]) / cols;
      // Sweep 2 (L1): the variance about the mean, two-pass for accuracy.
      const __m512 m = _mm512_set1_ps(mean);
      for (int u = 0; u < 4; ++u)
        acc[u] = _mm512_setzero_ps();
      for (long c = 0; c < cols; c += 64)
        for (int u = 0; u < 4; ++u) {
          __m512 dv = _mm512_sub_ps(_mm512_load_ps(s + c + 16 * u), m);
          acc[u] = _mm512_fmadd_ps(dv, dv, acc[u]);
        }
      float var = hsum(acc[0], acc[1], acc[2], acc[3]) / cols;
      const __m512 rstd = _mm512_set1_ps(1.0f / std::sqrt(var + eps));
      // Sweep 3: normalize, scale, shift, store; meanwhile prefetch the next
      // row into L2, since no load of this sweep keeps memory busy (1.1x).
      for (long c = 0; c < cols; c += 16) {
        _mm_prefetch((const char *)(xr + cols + c), _MM_HINT_T2);
        _mm_prefetch((const char *)(rr + cols + c), _MM_HINT_T2);
        __m512 n = _mm512_mul_ps(_mm512_sub_ps(_mm512_load_ps(s + c), m), rstd);
        store<NT>(yr + c, _mm512_fmadd_ps(n, _mm512_loadu_ps(gamma + c), _mm512_loadu_ps(beta + c)));
      }
    }
  }
}

/// y = RMSNorm(x + r) over rows. A row of 4096 is 32 KiB of x and r, the
/// whole L1: a scratch row would only push them out, so the output sweep
/// adds x and r again (from L1/L2), and prefetches the next row (1.2x).
template <bool NT>
void addRmsNorm(const float *x, const float *r, const float *gamma, float *y, long rows, long cols,
                float eps) {
#pragma omp parallel for schedule(static) firstprivate(x, r, gamma, y, rows, cols, eps)
  for (long row = 0; row < rows; ++row) {
    const float *xr = x + row * cols, *rr = r + row * cols;
    float *yr = y + row * cols;
    __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(),
                     _mm512_setzero_ps()};
    for (long c = 0; c < cols; c += 64)
      for (int u = 0; u < 4; ++u) {
        long i = c + 16 * u;
        __m512 v = _mm512_add_ps(_mm512_loadu_ps(xr + i), _mm512_loadu_ps(rr + i));
        acc[u] = _mm512_fmadd_ps(v, v, acc[u]);
      }
    float ms = hsum(acc[0], acc[1], acc[2], acc[3]) / cols;
    const __m512 rstd = _mm512_set1_ps(1.0f / std::sqrt(ms + eps));
    for (long c = 0; c < cols; c += 16) {
      _mm_prefetch((const char *)(xr + cols + c), _MM_HINT_T2);
      _mm_prefetch((const char *)(rr + cols + c), _MM_HINT_T2);
      __m512 v = _mm512_add_ps(_mm512_loadu_ps(xr + c), _mm512_loadu_ps(rr + c));
      store<NT>(yr + c, _mm512_mul_ps(_mm512_mul_ps(v, rstd), _mm512_loadu_ps(gamma + c)));
    }
  }
}

/// Inference batch norm on x viewed as [outer, channels, inner]: one scale and
/// shift per channel, computed once, then a single fused multiply-add sweep.
template <bool NT>
void batchNorm(const float *x, const float *scale, const float *shift, float *y, long outer,
               long channels, long inner) {
  if (inner == 1) { // channels last: vectors run along the channels
#pragma omp parallel for schedule(static) firstprivate(x, scale, shift, y, channels, inner)
    for (long o = 0; o < outer; ++o)
      for (long c = 0; c < channels; c += 16) {
        long i = o * channels + c;
        store<NT>(y + i, _mm512_fmadd_ps(_mm512_loadu_ps(x + i), _mm512_loadu_ps(scale + c),
                                         _mm512_loadu_ps(shift + c)));
      }
    return;
  }
  // Channels first: each (o, c) plane is contiguous, with one scale and shift.
#pragma omp parallel for schedule(static) firstprivate(x, scale, shift, y, channels, inner)
  for (long plane = 0; plane < outer * channels; ++plane) {
    long c = plane % channels;
    const __m512 a = _mm512_set1_ps(scale[c]), b = _mm512_set1_ps(shift[c]);
    const float *xp = x + plane * inner;
    float *yp = y + plane * inner;
    for (long i = 0; i < inner; i += 16)
      store<NT>(yp + i, _mm512_fmadd_ps(_mm512_loadu_ps(xp + i), a, b));
  }
}

} // namespace

//===----------------------------------------------------------------------===//
// C API (called from bench/bench.py through ctypes). Each returns 0, or -1
// where a shape is not what the vector loops need.
//===----------------------------------------------------------------------===//

extern "C" {

/// W1 (bias NULL) and W3: y = LayerNorm(x + r [+ bias]); cols a multiple of 64.
int hand_add_ln(const float *x, const float *r, const float *bias, const float *gamma,
                const float *beta, float *y, long rows, long cols, float eps) {
  if (cols % 64)
    return -1;
  bool nt = streamable(y, rows * cols);
  if (bias)
    (nt ? addLayerNorm<Sum::AddBias, true> : addLayerNorm<Sum::AddBias, false>)(
        x, r, bias, gamma, beta, y, rows, cols, eps, {});
  else
    (nt ? addLayerNorm<Sum::Add, true> : addLayerNorm<Sum::Add, false>)(x, r, nullptr, gamma, beta,
                                                                        y, rows, cols, eps, {});
  return 0;
}

/// W2: y = LayerNorm(x + dropout(r, p)), mask by DESIGN.md section 5.
int hand_add_dropout_ln(const float *x, const float *r, const float *gamma, const float *beta,
                        float *y, long rows, long cols, float eps, float p, uint64_t seed,
                        uint32_t stream) {
  if (cols % 64)
    return -1;
  Dropout d;
  d.seed = seed;
  d.stream = stream;
  d.threshold = dropoutThreshold(p);
  d.scale = 1.0f / (1.0f - p);
  (streamable(y, rows * cols) ? addLayerNorm<Sum::AddDropout, true>
                              : addLayerNorm<Sum::AddDropout, false>)(x, r, nullptr, gamma, beta, y,
                                                                      rows, cols, eps, d);
  return 0;
}

/// W4: y = RMSNorm(x + r).
int hand_add_rms(const float *x, const float *r, const float *gamma, float *y, long rows, long cols,
                 float eps) {
  if (cols % 64)
    return -1;
  (streamable(y, rows * cols) ? addRmsNorm<true> : addRmsNorm<false>)(x, r, gamma, y, rows, cols,
                                                                      eps);
  return 0;
}

/// W5 (inner = 1) and W5n: inference batch norm of x viewed as [outer, channels, inner].
int hand_batch_norm(const float *x, const float *mean, const float *var, const float *gamma,
                    const float *beta, float *y, long outer, long channels, long inner,
                    float eps) {
  if ((inner == 1 ? channels : inner) % 16)
    return -1;
  float *scale = (float *)std::aligned_alloc(64, ((channels * 4 + 63) / 64) * 64);
  float *shift = (float *)std::aligned_alloc(64, ((channels * 4 + 63) / 64) * 64);
  for (long c = 0; c < channels; ++c) {
    scale[c] = gamma[c] / std::sqrt(var[c] + eps);
    shift[c] = beta[c] - mean[c] * scale[c];
  }
  long n = outer * channels * inner;
  (streamable(y, n) ? batchNorm<true> : batchNorm<false>)(x, scale, shift, y, outer, channels,
                                                          inner);
  std::free(scale);
  std::free(shift);
  return 0;
}

/// The dropout keep mask (1 = kept) of n elements, for testing the vector Philox.
int hand_dropout_keep(uint64_t seed, uint32_t stream, float p, long n, uint8_t *keep) {
  if (n % 64)
    return -1;
  uint64_t *bits = (uint64_t *)std::malloc(n / 8 + 128);
  droppedBits(seed, stream, 0, n / 8, dropoutThreshold(p), bits);
  for (long i = 0; i < n; ++i)
    keep[i] = !((bits[i / 64] >> (i % 64)) & 1);
  std::free(bits);
  return 0;
}

} // extern "C"
