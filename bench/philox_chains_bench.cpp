//===- philox_chains_bench.cpp - Philox4x32-10 throughput by chain count --===//
//
// How many blocks one evaluation of Philox4x32-10 should cover: a round is a
// chain of multiply, shift and xor, so few independent chains leave its
// latency exposed. Times, in ns per element (8 elements a block), the
// generator alone in the two layouts: one block per i64 lane (NDR's, each
// word in a lane's low half, a product one vpmuludq) with 16, 32 and 48
// blocks, and one block per i32 lane (the hand kernel's, even and odd lanes
// multiplied apart and blended) with 1, 2 and 3 chains of 16. Best of 7.
//   build/bench/philox-chains-bench
//
//===----------------------------------------------------------------------===//

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>

#ifdef __AVX512F__
#include <immintrin.h>

namespace {
using vi = __m512i;

vi splat32(uint32_t v) { return _mm512_set1_epi32(int(v)); }

/// The words of N registers of blocks, word by word, into out[4 * N].
template <int N>
void storeWords(vi *out, const vi (&c0)[N], const vi (&c1)[N], const vi (&c2)[N],
                const vi (&c3)[N]) {
  for (int i = 0; i < N; ++i) {
    out[4 * i] = c0[i];
    out[4 * i + 1] = c1[i];
    out[4 * i + 2] = c2[i];
    out[4 * i + 3] = c3[i];
  }
}

/// 32x32 -> 64-bit products of each i32 lane with m, as hi and lo words.
void mulhilo(vi a, vi m, vi &hi, vi &lo) {
  vi even = _mm512_mul_epu32(a, m);
  vi odd = _mm512_mul_epu32(_mm512_srli_epi64(a, 32), m);
  lo = _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
  hi = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(even, 32), odd);
}

/// U chains of 16 blocks, one block per i32 lane.
template <int U>
__attribute__((noinline)) void blocksI32(uint64_t j0, uint64_t seed, vi *out) {
  const vi m0 = splat32(0xD2511F53u), m1 = splat32(0xCD9E8D57u);
  vi c0[U], c1[U], c2[U], c3[U];
  for (int u = 0; u < U; ++u) {
    c0[u] = _mm512_add_epi32(splat32(uint32_t(j0 + 16 * u)),
                             _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
    c1[u] = splat32(uint32_t(j0 >> 32));
    c2[u] = splat32(7);
    c3[u] = _mm512_setzero_si512();
  }
  uint32_t k0 = uint32_t(seed), k1 = uint32_t(seed >> 32);
  for (int round = 0; round < 10; ++round) {
    vi key0 = splat32(k0), key1 = splat32(k1);
    for (int u = 0; u < U; ++u) {
      vi hi0, lo0, hi1, lo1;
      mulhilo(c0[u], m0, hi0, lo0);
      mulhilo(c2[u], m1, hi1, lo1);
      c0[u] = _mm512_ternarylogic_epi32(hi1, c1[u], key0, 0x96);
      c2[u] = _mm512_ternarylogic_epi32(hi0, c3[u], key1, 0x96);
      c1[u] = lo1;
      c3[u] = lo0;
    }
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  storeWords(out, c0, c1, c2, c3);
}

/// V registers of 8 blocks, one block per i64 lane (the high halves are
/// left undefined: vpmuludq reads only the low ones).
template <int V>
__attribute__((noinline)) void blocksI64(uint64_t j0, uint64_t seed, vi *out) {
  const vi m0 = _mm512_set1_epi64(0xD2511F53u), m1 = _mm512_set1_epi64(0xCD9E8D57u);
  vi c0[V], c1[V], c2[V], c3[V];
  for (int v = 0; v < V; ++v) {
    c0[v] = _mm512_add_epi64(_mm512_set1_epi64(int64_t(j0 + 8 * v)),
                             _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7));
    c1[v] = _mm512_srli_epi64(c0[v], 32);
    c2[v] = _mm512_set1_epi64(7);
    c3[v] = _mm512_setzero_si512();
  }
  uint32_t k0 = uint32_t(seed), k1 = uint32_t(seed >> 32);
  for (int round = 0; round < 10; ++round) {
    vi key0 = _mm512_set1_epi64(k0), key1 = _mm512_set1_epi64(k1);
    for (int v = 0; v < V; ++v) {
      vi p0 = _mm512_mul_epu32(c0[v], m0), p1 = _mm512_mul_epu32(c2[v], m1);
      c0[v] = _mm512_ternarylogic_epi64(_mm512_srli_epi64(p1, 32), c1[v], key0, 0x96);
      c2[v] = _mm512_ternarylogic_epi64(_mm512_srli_epi64(p0, 32), c3[v], key1, 0x96);
      c1[v] = p1;
      c3[v] = p0;
    }
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  storeWords(out, c0, c1, c2, c3);
}

/// ns per element of `fn`, which evaluates `blocks` blocks a call.
double nsPerElement(void (*fn)(uint64_t, uint64_t, vi *), int blocks) {
  alignas(64) static vi out[32];
  constexpr int kCalls = 200000;
  double best = 1e30;
  for (int trial = 0; trial < 7; ++trial) {
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kCalls; ++i) {
      fn(uint64_t(i) * 64, 0x1234567890abcdefull + i, out);
      asm volatile("" : : "r"(out) : "memory");
    }
    std::chrono::duration<double, std::nano> ns = std::chrono::steady_clock::now() - start;
    best = std::min(best, ns.count() / kCalls / (8.0 * blocks));
  }
  return best;
}
} // namespace

int main() {
  std::printf("Philox4x32-10 alone, ns per element (best of 7)\n");
  std::printf("i64 lanes, 16 blocks (2 registers a word): %.4f\n", nsPerElement(blocksI64<2>, 16));
  std::printf("i64 lanes, 32 blocks (4 registers a word): %.4f\n", nsPerElement(blocksI64<4>, 32));
  std::printf("i64 lanes, 48 blocks (6 registers a word): %.4f\n", nsPerElement(blocksI64<6>, 48));
  std::printf("i32 lanes, 1 chain of 16 blocks:           %.4f\n", nsPerElement(blocksI32<1>, 16));
  std::printf("i32 lanes, 2 chains of 16 blocks:          %.4f\n", nsPerElement(blocksI32<2>, 32));
  std::printf("i32 lanes, 3 chains of 16 blocks:          %.4f\n", nsPerElement(blocksI32<3>, 48));
  return 0;
}
#else
int main() {
  std::printf("philox-chains-bench: needs an AVX-512 machine (built without __AVX512F__)\n");
  return 0;
}
#endif
