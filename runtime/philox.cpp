// philox.cpp - Philox4x32-10 (Salmon et al., SC'11) and the dropout mask of
// DESIGN.md section 5, the reference every backend must reproduce bit for bit.
#include "runtime/internal.h"

#include <cmath>

namespace {
constexpr uint32_t M0 = 0xD2511F53, M1 = 0xCD9E8D57;
constexpr uint32_t W0 = 0x9E3779B9, W1 = 0xBB67AE85;

// The block of 8 dropout draws that holds element `index`.
void dropoutBlock(uint64_t seed, uint32_t stream, uint64_t block,
                  uint32_t out[4]) {
  const uint32_t ctr[4] = {static_cast<uint32_t>(block),
                           static_cast<uint32_t>(block >> 32), stream, 0};
  const uint32_t key[2] = {static_cast<uint32_t>(seed),
                           static_cast<uint32_t>(seed >> 32)};
  ndr_philox4x32_10(ctr, key, out);
}

uint32_t draw(const uint32_t words[4], unsigned h) {
  return (words[h / 2] >> (16 * (h % 2))) & 0xFFFF;
}
} // namespace

extern "C" {

void ndr_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2],
                       uint32_t out[4]) {
  uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
  uint32_t k0 = key[0], k1 = key[1];
  for (int round = 0; round < 10; ++round) {
    if (round) {
      k0 += W0;
      k1 += W1;
    }
    uint64_t p0 = uint64_t(M0) * c0, p1 = uint64_t(M1) * c2;
    uint32_t hi0 = uint32_t(p0 >> 32), lo0 = uint32_t(p0);
    uint32_t hi1 = uint32_t(p1 >> 32), lo1 = uint32_t(p1);
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

uint32_t ndr_dropout_threshold(float p) {
  if (!(p > 0.0f))
    return 0;
  if (p >= 1.0f)
    return 65536;
  return static_cast<uint32_t>(std::lround(static_cast<double>(p) * 65536.0));
}

int ndr_dropout_keep(uint64_t seed, uint32_t stream, uint64_t index,
                     uint32_t threshold) {
  uint32_t words[4];
  dropoutBlock(seed, stream, index / 8, words);
  return draw(words, index % 8) >= threshold;
}

void ndr_dropout_mask(uint64_t seed, uint32_t stream, uint64_t n, float p,
                      uint8_t *keep) {
  uint32_t threshold = ndr_dropout_threshold(p);
  for (uint64_t block = 0; block * 8 < n; ++block) {
    uint32_t words[4];
    dropoutBlock(seed, stream, block, words);
    for (unsigned h = 0; h < 8 && block * 8 + h < n; ++h)
      keep[block * 8 + h] = draw(words, h) >= threshold;
  }
}

void ndr_fill_normal(float *dst, int64_t n, float stddev, uint64_t seed,
                     uint32_t stream) {
  const uint32_t key[2] = {static_cast<uint32_t>(seed),
                           static_cast<uint32_t>(seed >> 32)};
  const double twoPi = 6.283185307179586476925286766559;
  const double scale = 1.0 / 4294967296.0;
  for (int64_t block = 0; block * 4 < n; ++block) {
    const uint64_t j = static_cast<uint64_t>(block);
    const uint32_t ctr[4] = {static_cast<uint32_t>(j),
                             static_cast<uint32_t>(j >> 32), stream, 1};
    uint32_t words[4];
    ndr_philox4x32_10(ctr, key, words);
    // Box-Muller on each pair of words: u1 in (0, 1) keeps log finite.
    for (int pair = 0; pair < 2; ++pair) {
      double u1 = (words[2 * pair] + 0.5) * scale;
      double u2 = words[2 * pair + 1] * scale;
      double radius = std::sqrt(-2.0 * std::log(u1));
      double z[2] = {radius * std::cos(twoPi * u2),
                     radius * std::sin(twoPi * u2)};
      for (int k = 0; k < 2; ++k) {
        int64_t i = block * 4 + pair * 2 + k;
        if (i < n)
          dst[i] = static_cast<float>(z[k] * stddev);
      }
    }
  }
}

} // extern "C"
