//===- hand_kernels.cpp - hand-written fused kernels for the benchmark -----===//
//
// The best fused kernel we can write by hand for each workload of
// bench/workloads.py, the bar the compiler is measured against. AVX-512
// (16 lanes) where the CPU has it, else AVX2 (8 lanes), through the few
// wrappers below; OpenMP over rows with a static split, as the roof splits
// its range.
// Measured on the 2-core Zen4 development machine, each worth keeping:
// - the arguments are firstprivate, so the outlined OpenMP loops see locals
//   that no store can alias (1.7x: otherwise every pointer is reloaded);
// - each row is read from memory once: LayerNorm keeps x + r in a scratch row
//   in L1 and takes its statistics from there (two-pass, robust);
// - each sweep over a row prefetches its share of the next row into L2 (a
//   third for LayerNorm, a half for RMSNorm), so memory is busy at an even
//   rate: on Zen 3, 1.03-1.05x (W1) and 1.1x (W4) faster at one thread than
//   the whole next row in the last sweep (the previous kernel);
// - outputs larger than the L3 go out with non-temporal stores.
//
// Dropout (W2) draws its mask with Philox4x32-10, one block per 32-bit lane
// (16 or 8 per vector) and three independent vectors in flight, bit-exact
// with DESIGN.md section 5.
//
// Built by bench/run.sh with clang-22 and libomp (ndr's OpenMP runtime):
//   clang++ -O3 -march=native -fopenmp -shared -fPIC hand_kernels.cpp -o hand.so
//
//===----------------------------------------------------------------------===//

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>

#if !defined(__AVX2__) || !defined(__FMA__) || !defined(__BMI2__)
#error "the hand kernels need AVX2, FMA and BMI2 at least (build with -march=native)"
#endif

#ifndef PHILOX_WAYS
#define PHILOX_WAYS 3 // independent Philox chains per step: 3 measured 1.2x faster than 1, 4 slower
#endif

namespace {

//===----------------------------------------------------------------------===//
// The vector width: 16 lanes with AVX-512, else 8 with AVX2. Only what the
// kernels below use.
//===----------------------------------------------------------------------===//

#ifdef __AVX512F__
constexpr int W = 16;
using vf = __m512;
using vi = __m512i;
inline vf loadu(const float *p) { return _mm512_loadu_ps(p); }
inline vf loada(const float *p) { return _mm512_load_ps(p); }
inline void storeu(float *p, vf v) { _mm512_storeu_ps(p, v); }
inline void storea(float *p, vf v) { _mm512_store_ps(p, v); }
inline void stream(float *p, vf v) { _mm512_stream_ps(p, v); }
inline vf splat(float f) { return _mm512_set1_ps(f); }
inline vf zero() { return _mm512_setzero_ps(); }
inline vf add(vf a, vf b) { return _mm512_add_ps(a, b); }
inline vf sub(vf a, vf b) { return _mm512_sub_ps(a, b); }
inline vf mul(vf a, vf b) { return _mm512_mul_ps(a, b); }
inline vf fma(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }
inline float reduce(vf a) { return _mm512_reduce_add_ps(a); }
/// a * b in the lanes whose bit of `dropped` is clear, 0 in the others.
inline vf mulKept(uint32_t dropped, vf a, vf b) {
  return _mm512_maskz_mul_ps((__mmask16)~dropped, a, b);
}
#else
constexpr int W = 8;
using vf = __m256;
using vi = __m256i;
inline vf loadu(const float *p) { return _mm256_loadu_ps(p); }
inline vf loada(const float *p) { return _mm256_load_ps(p); }
inline void storeu(float *p, vf v) { _mm256_storeu_ps(p, v); }
inline void storea(float *p, vf v) { _mm256_store_ps(p, v); }
inline void stream(float *p, vf v) { _mm256_stream_ps(p, v); }
inline vf splat(float f) { return _mm256_set1_ps(f); }
inline vf zero() { return _mm256_setzero_ps(); }
inline vf add(vf a, vf b) { return _mm256_add_ps(a, b); }
inline vf sub(vf a, vf b) { return _mm256_sub_ps(a, b); }
inline vf mul(vf a, vf b) { return _mm256_mul_ps(a, b); }
inline vf fma(vf a, vf b, vf c) { return _mm256_fmadd_ps(a, b, c); }
inline float reduce(vf a) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}
inline vf mulKept(uint32_t dropped, vf a, vf b) {
  const __m256i lanebit = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
  __m256i hit = _mm256_and_si256(_mm256_set1_epi32((int)dropped), lanebit);
  __m256i kept = _mm256_cmpeq_epi32(hit, _mm256_setzero_si256());
  return _mm256_and_ps(_mm256_mul_ps(a, b), _mm256_castsi256_ps(kept));
}
#endif

// Outputs above the L3 (32 MiB) bypass the caches: a normal store would first
// read each line in (write-allocate) and evict the inputs we still stream.
constexpr long kL3Bytes = 32L << 20;

bool streamable(const float *y, long n) {
  return ((uintptr_t)y & 63) == 0 && n * (long)sizeof(float) > kL3Bytes;
}

template <bool NT> inline void store(float *p, vf v) {
  if (NT)
    stream(p, v);
  else
    storeu(p, v);
}

//===----------------------------------------------------------------------===//
// Philox4x32-10, W blocks per vector (one block per 32-bit lane)
//===----------------------------------------------------------------------===//

#ifdef __AVX512F__
// 32x32 -> 64-bit products of each lane with m: lanes' high and low words.
// mul_epu32 multiplies the even lanes, so the odd lanes go through a shift.
inline void mulhilo(vi a, vi m, vi &hi, vi &lo) {
  vi even = _mm512_mul_epu32(a, m);
  vi odd = _mm512_mul_epu32(_mm512_srli_epi64(a, 32), m);
  lo = _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
  hi = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(even, 32), odd);
}
inline vi splati(uint32_t v) { return _mm512_set1_epi32((int)v); }
inline vi lanes() { return _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15); }
inline vi addi(vi a, vi b) { return _mm512_add_epi32(a, b); }
inline vi xor3(vi a, vi b, vi c) { return _mm512_ternarylogic_epi32(a, b, c, 0x96); }
/// hi + 1 in the lanes where lo wrapped below base (the carry of lo = base + lane).
inline vi carry(vi hi, vi lo, vi base) {
  return _mm512_mask_add_epi32(hi, _mm512_cmplt_epu32_mask(lo, base), hi, splati(1));
}
/// Bit i of the result: 16-bit half i of v is below t (i = 2 * lane + half).
inline uint32_t below16(vi v, vi t) { return _mm512_cmplt_epu16_mask(v, t); }
#else
inline void mulhilo(vi a, vi m, vi &hi, vi &lo) {
  vi even = _mm256_mul_epu32(a, m);
  vi odd = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), m);
  lo = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
  hi = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA);
}
inline vi splati(uint32_t v) { return _mm256_set1_epi32((int)v); }
inline vi lanes() { return _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7); }
inline vi addi(vi a, vi b) { return _mm256_add_epi32(a, b); }
inline vi xor3(vi a, vi b, vi c) { return _mm256_xor_si256(_mm256_xor_si256(a, b), c); }
inline vi carry(vi hi, vi lo, vi base) {
  // No unsigned compare in AVX2: flip the sign bits; the mask is -1 where true.
  const vi sign = splati(0x80000000u);
  vi wrapped = _mm256_cmpgt_epi32(_mm256_xor_si256(base, sign), _mm256_xor_si256(lo, sign));
  return _mm256_sub_epi32(hi, wrapped);
}
inline uint32_t below16(vi v, vi t) {
  // v < t exactly where t - v, saturated at 0, is not 0.
  vi ge = _mm256_cmpeq_epi16(_mm256_subs_epu16(t, v), _mm256_setzero_si256());
  return ~_pext_u32((uint32_t)_mm256_movemask_epi8(ge), 0x55555555u) & 0xFFFFu;
}
#endif

/// Philox4x32-10 of U x W consecutive blocks from block j0, one block per
/// 32-bit lane; U independent chains hide the latency of each round's
/// multiplies. Writes the dropped bits of their U x W x 8 elements to
/// bits[0, U * W / 8).
template <int U>
inline void philoxDropped(uint64_t j0, uint64_t seed, uint32_t stream, vi thresh, uint64_t *bits) {
  const vi m0 = splati(0xD2511F53u), m1 = splati(0xCD9E8D57u);
  vi c0[U], c1[U], c2[U], c3[U];
  for (int u = 0; u < U; ++u) {
    uint64_t j = j0 + W * u;
    vi lo = splati((uint32_t)j);
    c0[u] = addi(lo, lanes());
    c1[u] = carry(splati((uint32_t)(j >> 32)), c0[u], lo);
    c2[u] = splati(stream);
    c3[u] = splati(0);
  }
  uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
  for (int round = 0; round < 10; ++round) {
    const vi key0 = splati(k0), key1 = splati(k1);
    for (int u = 0; u < U; ++u) {
      vi hi0, lo0, hi1, lo1;
      mulhilo(c0[u], m0, hi0, lo0);
      mulhilo(c2[u], m1, hi1, lo1);
      c0[u] = xor3(hi1, c1[u], key0);
      c2[u] = xor3(hi0, c3[u], key1);
      c1[u] = lo1;
      c3[u] = lo0;
    }
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  // Each block is 8 elements, so word k's two halves land at bits 2k, 2k+1 of
  // each byte of the element mask: pdep spreads 2 bits per block there, 8
  // blocks (16 bits of d[k]) per 64-bit word.
  const uint64_t spread = 0x0303030303030303ULL;
  for (int u = 0; u < U; ++u) {
    // All 16-bit draws compared at once: bit 2b + h of d[k] is block b, half h.
    uint32_t d[4] = {below16(c0[u], thresh), below16(c1[u], thresh), below16(c2[u], thresh),
                     below16(c3[u], thresh)};
    for (int w = 0; w < W / 8; ++w) {
      uint64_t word = 0;
      for (int k = 0; k < 4; ++k)
        word |= _pdep_u64((d[k] >> (16 * w)) & 0xFFFF, spread << (2 * k));
      bits[u * (W / 8) + w] = word;
    }
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
  const vi thresh = splati(t * 0x10001u); // t in both 16-bit halves
  constexpr int U = PHILOX_WAYS;
  long b = 0;
  for (; b + W * U <= nblocks; b += W * U)
    philoxDropped<U>(first + b, seed, stream, thresh, bits + b / 8);
  for (; b < nblocks; b += W) {
    uint64_t last[W / 8];
    philoxDropped<1>(first + b, seed, stream, thresh, last);
    for (int w = 0; w < W / 8 && b + 8 * w < nblocks; ++w)
      bits[b / 8 + w] = last[w];
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

inline float hsum(const vf acc[4]) { return reduce(add(add(acc[0], acc[1]), add(acc[2], acc[3]))); }

/// Prefetches into L2 the lines of sweep k of n's share of the next row
/// `next` (k * cols / n + c / n for the step [c, c + step) of this sweep).
inline void prefetchShare(const float *next, long cols, int k, int n, long c, long step) {
  long base = k * (cols / n);
  for (long o = (base + c / n) & ~15L; o < base + (c + step) / n; o += 16)
    _mm_prefetch((const char *)(next + o), _MM_HINT_T2);
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
      const bool last = row + 1 == rows;
      auto prefetch = [&](int sweep, long c) {
        if (!last) {
          prefetchShare(xr + cols, cols, sweep, 3, c, 4 * W);
          prefetchShare(rr + cols, cols, sweep, 3, c, 4 * W);
        }
      };
      if (S == Sum::AddDropout)
        droppedBits(d.seed, d.stream, (uint64_t)(row * cols) / 8, cols / 8, d.threshold,
                    scratch.bits);
      const vf scale = splat(d.scale);
      // Sweep 1 (memory): the sum, kept in L1, and its total.
      vf acc[4] = {zero(), zero(), zero(), zero()};
      for (long c = 0; c < cols; c += 4 * W) {
        prefetch(0, c);
        for (int u = 0; u < 4; ++u) {
          long i = c + W * u;
          vf rv = loadu(rr + i);
          if (S == Sum::AddDropout) // kept: r / (1 - p); dropped: 0
            rv = mulKept((uint32_t)(scratch.bits[i / 64] >> (i % 64)), rv, scale);
          vf v = add(loadu(xr + i), rv);
          if (S == Sum::AddBias) // (x + r) + bias, in the order the source writes
            v = add(v, loadu(bias + i));
          storea(s + i, v);
          acc[u] = add(acc[u], v);
        }
      }
      float mean = hsum(acc) / cols;
      // Sweep 2 (L1): the variance about the mean, two-pass for accuracy.
      const vf m = splat(mean);
      for (int u = 0; u < 4; ++u)
        acc[u] = zero();
      for (long c = 0; c < cols; c += 4 * W) {
        prefetch(1, c);
        for (int u = 0; u < 4; ++u) {
          vf dv = sub(loada(s + c + W * u), m);
          acc[u] = fma(dv, dv, acc[u]);
        }
      }
      float var = hsum(acc) / cols;
      const vf rstd = splat(1.0f / std::sqrt(var + eps));
      // Sweep 3: normalize, scale, shift, store.
      for (long c = 0; c < cols; c += 4 * W) {
        prefetch(2, c);
        for (int u = 0; u < 4; ++u) {
          long i = c + W * u;
          vf n = mul(sub(loada(s + i), m), rstd);
          store<NT>(yr + i, fma(n, loadu(gamma + i), loadu(beta + i)));
        }
      }
    }
  }
}

/// y = RMSNorm(x + r) over rows. A row of 4096 is 32 KiB of x and r, the
/// whole L1: a scratch row would only push them out, so the output sweep
/// adds x and r again (from L1/L2). Each sweep prefetches half the next row.
template <bool NT>
void addRmsNorm(const float *x, const float *r, const float *gamma, float *y, long rows, long cols,
                float eps) {
#pragma omp parallel for schedule(static) firstprivate(x, r, gamma, y, rows, cols, eps)
  for (long row = 0; row < rows; ++row) {
    const float *xr = x + row * cols, *rr = r + row * cols;
    float *yr = y + row * cols;
    const bool last = row + 1 == rows;
    auto prefetch = [&](int sweep, long c) {
      if (!last) {
        prefetchShare(xr + cols, cols, sweep, 2, c, 4 * W);
        prefetchShare(rr + cols, cols, sweep, 2, c, 4 * W);
      }
    };
    vf acc[4] = {zero(), zero(), zero(), zero()};
    for (long c = 0; c < cols; c += 4 * W) {
      prefetch(0, c);
      for (int u = 0; u < 4; ++u) {
        long i = c + W * u;
        vf v = add(loadu(xr + i), loadu(rr + i));
        acc[u] = fma(v, v, acc[u]);
      }
    }
    float ms = hsum(acc) / cols;
    const vf rstd = splat(1.0f / std::sqrt(ms + eps));
    for (long c = 0; c < cols; c += 4 * W) {
      prefetch(1, c);
      for (int u = 0; u < 4; ++u) {
        long i = c + W * u;
        vf v = add(loadu(xr + i), loadu(rr + i));
        store<NT>(yr + i, mul(mul(v, rstd), loadu(gamma + i)));
      }
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
      for (long c = 0; c < channels; c += W) {
        long i = o * channels + c;
        store<NT>(y + i, fma(loadu(x + i), loadu(scale + c), loadu(shift + c)));
      }
    return;
  }
  // Channels first: each (o, c) plane is contiguous, with one scale and shift.
#pragma omp parallel for schedule(static) firstprivate(x, scale, shift, y, channels, inner)
  for (long plane = 0; plane < outer * channels; ++plane) {
    long c = plane % channels;
    const vf a = splat(scale[c]), b = splat(shift[c]);
    const float *xp = x + plane * inner;
    float *yp = y + plane * inner;
    for (long i = 0; i < inner; i += W)
      store<NT>(yp + i, fma(loadu(xp + i), a, b));
  }
}

/// y = x * scale + shift per channel of x viewed as [outer, channels, inner],
/// `channel(c, scale, shift)` giving each channel's pair once.
template <typename Channel>
void scaleAndShift(const float *x, float *y, long outer, long channels, long inner,
                   Channel channel) {
  long bytes = ((channels * 4 + 63) / 64) * 64;
  float *scale = (float *)std::aligned_alloc(64, bytes);
  float *shift = (float *)std::aligned_alloc(64, bytes);
  for (long c = 0; c < channels; ++c)
    channel(c, scale[c], shift[c]);
  (streamable(y, outer * channels * inner) ? batchNorm<true> : batchNorm<false>)(
      x, scale, shift, y, outer, channels, inner);
  std::free(scale);
  std::free(shift);
}

/// Train batch norm's statistics: per channel the sum S and sum of squares Q
/// of d = x - K, K the channel's first element (shifted data: one sweep over
/// x, exact for constant channels). Channels last: each of 64 row ranges sums
/// its rows into its own [2, C] partials (in L1 for C = 768; f32 sums over
/// all rows of one thread would be off by 1e-4); otherwise each contiguous
/// (o, c) plane is summed with 4 partial sums. Then the parts in double.
void batchStats(const float *x, double *sum, double *squares, long outer, long channels,
                long inner) {
  if (inner == 1) {
    const long ranges = std::min(outer, 64L);
    float *parts = (float *)std::aligned_alloc(64, ranges * 2 * channels * sizeof(float));
#pragma omp parallel for schedule(static) firstprivate(x, parts, outer, channels, ranges)
    for (long r = 0; r < ranges; ++r) {
      float *s = parts + r * 2 * channels, *q = s + channels;
      for (long c = 0; c < channels; c += W) {
        storea(s + c, zero());
        storea(q + c, zero());
      }
      for (long o = r * outer / ranges; o < (r + 1) * outer / ranges; ++o) {
        const float *row = x + o * channels;
        for (long c = 0; c < channels; c += W) {
          vf d = sub(loadu(row + c), loadu(x + c));
          storea(s + c, add(loada(s + c), d));
          storea(q + c, fma(d, d, loada(q + c)));
        }
      }
    }
    for (long c = 0; c < channels; ++c) {
      sum[c] = squares[c] = 0;
      for (long r = 0; r < ranges; ++r) {
        sum[c] += parts[r * 2 * channels + c];
        squares[c] += parts[r * 2 * channels + channels + c];
      }
    }
    std::free(parts);
    return;
  }
  float *planes = (float *)std::malloc(outer * channels * 2 * sizeof(float));
#pragma omp parallel for schedule(static) firstprivate(x, planes, channels, inner)
  for (long plane = 0; plane < outer * (long)channels; ++plane) {
    const float *xp = x + plane * inner;
    const vf k = splat(x[(plane % channels) * inner]);
    vf s[4] = {zero(), zero(), zero(), zero()}, q[4] = {zero(), zero(), zero(), zero()};
    for (long i = 0; i < inner; i += 4 * W)
      for (int u = 0; u < 4; ++u) {
        vf d = sub(loadu(xp + i + W * u), k);
        s[u] = add(s[u], d);
        q[u] = fma(d, d, q[u]);
      }
    planes[2 * plane] = hsum(s);
    planes[2 * plane + 1] = hsum(q);
  }
  for (long c = 0; c < channels; ++c) {
    sum[c] = squares[c] = 0;
    for (long o = 0; o < outer; ++o) {
      sum[c] += planes[2 * (o * channels + c)];
      squares[c] += planes[2 * (o * channels + c) + 1];
    }
  }
  std::free(planes);
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
  scaleAndShift(x, y, outer, channels, inner, [&](long c, float &scale, float &shift) {
    scale = gamma[c] / std::sqrt(var[c] + eps);
    shift = beta[c] - mean[c] * scale;
  });
  return 0;
}

/// W5t and W5nt: train batch norm (the batch's mean and biased variance; the
/// running statistics updated with momentum and the unbiased variance).
int hand_batch_norm_train(const float *x, float *running_mean, float *running_var,
                          const float *gamma, const float *beta, float *y, long outer,
                          long channels, long inner, float eps, float momentum) {
  if ((inner == 1 ? channels : inner) % (inner == 1 ? W : 4 * W))
    return -1;
  double *sum = (double *)std::malloc(2 * channels * sizeof(double)), *squares = sum + channels;
  batchStats(x, sum, squares, outer, channels, inner);
  double n = double(outer) * double(inner);
  scaleAndShift(x, y, outer, channels, inner, [&](long c, float &scale, float &shift) {
    double k = x[c * inner], m = sum[c] / n;
    double var = std::max(squares[c] / n - m * m, 0.0), mean = k + m;
    scale = float(gamma[c] / std::sqrt(var + eps));
    shift = float(beta[c] - mean * scale);
    running_mean[c] = float((1 - momentum) * running_mean[c] + momentum * mean);
    running_var[c] = float((1 - momentum) * running_var[c] + momentum * var * n / (n - 1));
  });
  std::free(sum);
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
