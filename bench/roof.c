/* roof.c - the memory roof each workload is compared against.
 *
 * A STREAM-like kernel that moves the bytes a workload must move: it reads
 * nin arrays of n_in_each floats and writes n_out floats, out[i] = sum of the
 * inputs at i, with non-temporal stores (the outputs exceed the L3, so a
 * normal store would first read each line). The flat range is split into one
 * contiguous chunk per thread, as the kernels split rows. Timed alternately
 * with each implementation, in the same process, so the noise of this shared
 * machine hits both.
 *
 * Built twice by run.sh: with clang-22 (libomp, the runtime of ndr and the hand
 * kernels) and with gcc (libgomp, closer to what the peers use), so that the
 * roof's threads are the implementation's own pool and never spin beside it.
 */
#include <immintrin.h>
#include <omp.h>
#include <stdint.h>

static int g_threads = 0; /* 0: OpenMP's default */

void roof_set_threads(int threads) { g_threads = threads; }

/* 64 floats (four 64-byte lines) per step. Each step prefetches the inputs
 * PREFETCH floats (2 KiB) ahead into L2, and a step inside every array runs
 * without a test per vector: on the 2-core Zen 3 (AVX2) the roof without
 * either was 1.10-1.34x slower at one thread (a single stream's hardware
 * prefetch and the per-vector tests bounded it; ndr and the hand kernels beat
 * it on W5 by 1.25x), within 4% at two. 2 KiB measured best of 0.5-64 KiB. */
enum { STEP = 64, PREFETCH = 512 };

#if defined(__AVX512F__)
typedef __m512 vec;
enum { VL = 16 };
#define VLOAD _mm512_loadu_ps
#define VADD _mm512_add_ps
#define VZERO _mm512_setzero_ps
#define VSTREAM _mm512_stream_ps
#else
typedef __m256 vec;
enum { VL = 8 };
#define VLOAD _mm256_loadu_ps
#define VADD _mm256_add_ps
#define VZERO _mm256_setzero_ps
#define VSTREAM _mm256_stream_ps
#endif

volatile float roof_sink; /* keeps reads beyond n_out alive */

/* Elements [begin, end) one at a time; returns the sum of those past n_out. */
static float scalar_range(const float **ins, int nin, float *out, long n_out,
                          long n_in_each, long begin, long end) {
  float sink = 0.0f;
  for (long i = begin; i < end; ++i) {
    float acc = 0.0f;
    for (int k = 0; k < nin; ++k)
      if (i < n_in_each)
        acc += ins[k][i];
    if (i < n_out)
      out[i] = acc;
    else
      sink += acc;
  }
  return sink;
}

void roof(const float **ins, int nin, float *out, long n_out, long n_in_each) {
  long n = n_out > n_in_each ? n_out : n_in_each;
  /* Scalar head until out is aligned for streaming stores. */
  long head = (long)(((64 - ((uintptr_t)out & 63)) & 63) / sizeof(float));
  if (head > n)
    head = n;
  float sink = scalar_range(ins, nin, out, n_out, n_in_each, 0, head);
  long nsteps = (n - head) / STEP;
  int threads = g_threads > 0 ? g_threads : omp_get_max_threads();
#pragma omp parallel for num_threads(threads) schedule(static) reduction(+ : sink)
  for (long s = 0; s < nsteps; ++s) {
    long i0 = head + s * STEP;
    if (i0 + PREFETCH + STEP <= n_in_each)
      for (int k = 0; k < nin; ++k)
        for (int l = 0; l < STEP; l += 16)
          _mm_prefetch((const char *)(ins[k] + i0 + PREFETCH + l), _MM_HINT_T1);
    if (i0 + STEP <= n_in_each && i0 + STEP <= n_out) { /* no test per vector */
      for (long i = i0; i < i0 + STEP; i += VL) {
        vec acc = VLOAD(ins[0] + i);
        for (int k = 1; k < nin; ++k)
          acc = VADD(acc, VLOAD(ins[k] + i));
        VSTREAM(out + i, acc);
      }
      continue;
    }
    for (long i = i0; i < i0 + STEP; i += VL) {
      vec acc = VZERO();
      if (i + VL <= n_in_each)
        for (int k = 0; k < nin; ++k)
          acc = VADD(acc, VLOAD(ins[k] + i));
      if (i + VL <= n_out)
        VSTREAM(out + i, acc);
      else
        sink += ((float *)&acc)[0];
    }
  }
  _mm_sfence();
  /* Scalar tail. */
  sink += scalar_range(ins, nin, out, n_out, n_in_each, head + nsteps * STEP, n);
  roof_sink = sink;
}
