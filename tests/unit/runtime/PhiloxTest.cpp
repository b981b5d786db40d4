// PhiloxTest.cpp - Philox4x32-10 known answers, the dropout mask of
// DESIGN.md section 5 and the seeded normal generator.
#include "runtime/ndr_runtime.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace {

struct Kat {
  uint32_t ctr[4];
  uint32_t key[2];
  uint32_t expected[4];
};

// Random123's known-answer vectors ("philox4x32 10" lines: counter, key,
// expected). The first three are tests/kat_vectors of
// github.com/DEShawResearch/random123; the last three are from the longer
// examples/kat_vectors of the Random123 distribution (girving/random123-manual).
const Kat kats[] = {
    {{0x00000000, 0x00000000, 0x00000000, 0x00000000},
     {0x00000000, 0x00000000},
     {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
    {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
     {0xffffffff, 0xffffffff},
     {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
    {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
     {0xa4093822, 0x299f31d0},
     {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
    {{0x00000001, 0x00000000, 0x00000000, 0x00000000},
     {0x00000001, 0x00000000},
     {0xac08141b, 0xdfc5ccbe, 0x79c07a47, 0xa7f66093}},
    {{0x00000000, 0x00000000, 0x00000000, 0xffffffff},
     {0x00000000, 0xffffffff},
     {0x9f18bb20, 0x62161056, 0x7ea8c028, 0x4c01fc6e}},
    {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
     {0x00000000, 0x80000000},
     {0x63675d2c, 0x422d7c4d, 0x3145d30d, 0x3bce33a4}},
};

// The 16-bit draw of element `index`, written out from section 5.
uint32_t referenceDraw(uint64_t seed, uint32_t stream, uint64_t index) {
  uint64_t j = index / 8;
  unsigned h = index % 8;
  const uint32_t ctr[4] = {uint32_t(j & 0xFFFFFFFF), uint32_t(j >> 32), stream, 0};
  const uint32_t key[2] = {uint32_t(seed & 0xFFFFFFFF), uint32_t(seed >> 32)};
  uint32_t out[4];
  ndr_philox4x32_10(ctr, key, out);
  return (out[h / 2] >> (16 * (h % 2))) & 0xFFFF;
}

} // namespace

TEST(RuntimePhilox, Random123KnownAnswers) {
  for (const Kat &kat : kats) {
    uint32_t out[4];
    ndr_philox4x32_10(kat.ctr, kat.key, out);
    for (int i = 0; i < 4; ++i)
      EXPECT_EQ(out[i], kat.expected[i]) << std::hex << "ctr[0]=" << kat.ctr[0]
                                         << " key=" << kat.key[0] << "," << kat.key[1]
                                         << " word " << i;
  }
}

TEST(RuntimeDropout, Threshold) {
  EXPECT_EQ(ndr_dropout_threshold(0.0f), 0u);
  EXPECT_EQ(ndr_dropout_threshold(1.0f), 65536u);
  EXPECT_EQ(ndr_dropout_threshold(0.5f), 32768u);
  EXPECT_EQ(ndr_dropout_threshold(0.25f), 16384u);
  EXPECT_EQ(ndr_dropout_threshold(0.1f), 6554u); // 6553.6000...
  EXPECT_EQ(ndr_dropout_threshold(1.0f / 65536), 1u);
  EXPECT_EQ(ndr_dropout_threshold(0.49f / 65536), 0u);
  EXPECT_EQ(ndr_dropout_threshold(-0.5f), 0u);
  EXPECT_EQ(ndr_dropout_threshold(2.0f), 65536u);
  EXPECT_EQ(ndr_dropout_threshold(std::numeric_limits<float>::quiet_NaN()), 0u);
}

// keep(t) is "draw >= t", so the draw r is the largest t that keeps: testing
// t = r and t = r + 1 pins the draw of every element to section 5.
TEST(RuntimeDropout, FollowsSectionFiveMapping) {
  const uint64_t seeds[] = {0, 42, 0x0123456789ABCDEFull, ~0ull};
  const uint32_t streams[] = {0, 1, 7, 0xFFFFFFFF};
  const uint64_t indices[] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  15, 16,
                              17, 1000003, (1ull << 35) + 5, (1ull << 35) + 13,
                              ~0ull - 3};
  for (uint64_t seed : seeds)
    for (uint32_t stream : streams)
      for (uint64_t index : indices) {
        uint32_t r = referenceDraw(seed, stream, index);
        EXPECT_EQ(ndr_dropout_keep(seed, stream, index, r), 1)
            << seed << " " << stream << " " << index;
        EXPECT_EQ(ndr_dropout_keep(seed, stream, index, r + 1), 0)
            << seed << " " << stream << " " << index;
      }
}

TEST(RuntimeDropout, LowHalfFirstWithinAWord) {
  // Element 0 takes the low half of word 0 and element 1 its high half.
  const uint32_t ctr[4] = {0, 0, 3, 0};
  const uint32_t key[2] = {5, 0};
  uint32_t out[4];
  ndr_philox4x32_10(ctr, key, out);
  EXPECT_EQ(referenceDraw(5, 3, 0), out[0] & 0xFFFF);
  EXPECT_EQ(referenceDraw(5, 3, 1), out[0] >> 16);
  EXPECT_EQ(referenceDraw(5, 3, 7), out[3] >> 16);
  EXPECT_EQ(ndr_dropout_keep(5, 3, 1, out[0] >> 16), 1);
  EXPECT_EQ(ndr_dropout_keep(5, 3, 1, (out[0] >> 16) + 1), 0);
}

TEST(RuntimeDropout, MaskMatchesPerElementKeep) {
  const uint64_t n = 1003; // not a multiple of 8
  std::vector<uint8_t> keep(n + 1, 0xAB);
  ndr_dropout_mask(99, 4, n, 0.3f, keep.data());
  uint32_t threshold = ndr_dropout_threshold(0.3f);
  for (uint64_t i = 0; i < n; ++i)
    ASSERT_EQ(keep[i], ndr_dropout_keep(99, 4, i, threshold)) << i;
  EXPECT_EQ(keep[n], 0xAB); // nothing written past n
}

TEST(RuntimeDropout, ZeroKeepsAllOneDropsAll) {
  const uint64_t n = 100000;
  std::vector<uint8_t> keep(n);
  ndr_dropout_mask(1, 0, n, 0.0f, keep.data());
  for (uint64_t i = 0; i < n; ++i)
    ASSERT_EQ(keep[i], 1) << i;
  ndr_dropout_mask(1, 0, n, 1.0f, keep.data());
  for (uint64_t i = 0; i < n; ++i)
    ASSERT_EQ(keep[i], 0) << i;
}

TEST(RuntimeDropout, KeptFractionNearOneMinusP) {
  const uint64_t n = 1000000;
  std::vector<uint8_t> keep(n);
  ndr_dropout_mask(2024, 0, n, 0.1f, keep.data());
  uint64_t kept = 0;
  for (uint8_t k : keep)
    kept += k;
  EXPECT_NEAR(double(kept) / n, 0.9, 0.003);
}

TEST(RuntimeDropout, StreamsAndSeedsGiveDifferentMasks) {
  const uint64_t n = 4096;
  std::vector<uint8_t> a(n), b(n), c(n), again(n);
  ndr_dropout_mask(7, 0, n, 0.5f, a.data());
  ndr_dropout_mask(7, 1, n, 0.5f, b.data());
  ndr_dropout_mask(8, 0, n, 0.5f, c.data());
  ndr_dropout_mask(7, 0, n, 0.5f, again.data());
  EXPECT_EQ(a, again);
  EXPECT_NE(a, b);
  EXPECT_NE(a, c);
}

TEST(RuntimeNormal, FollowsDocumentedFormula) {
  const uint64_t seed = 0xFEEDFACECAFEBEEFull;
  const uint32_t stream = 9;
  float got[8];
  ndr_fill_normal(got, 8, 0.5f, seed, stream);
  for (uint32_t block = 0; block < 2; ++block) {
    const uint32_t ctr[4] = {block, 0, stream, 1};
    const uint32_t key[2] = {uint32_t(seed), uint32_t(seed >> 32)};
    uint32_t w[4];
    ndr_philox4x32_10(ctr, key, w);
    for (int pair = 0; pair < 2; ++pair) {
      double u1 = (w[2 * pair] + 0.5) / 4294967296.0;
      double u2 = w[2 * pair + 1] / 4294967296.0;
      double radius = std::sqrt(-2.0 * std::log(u1));
      double angle = 6.283185307179586476925286766559 * u2;
      EXPECT_FLOAT_EQ(got[block * 4 + pair * 2], float(radius * std::cos(angle) * 0.5));
      EXPECT_FLOAT_EQ(got[block * 4 + pair * 2 + 1], float(radius * std::sin(angle) * 0.5));
    }
  }
}

TEST(RuntimeNormal, MomentsMatchStd) {
  const int64_t n = 1000000;
  std::vector<float> x(n);
  ndr_fill_normal(x.data(), n, 0.02f, 1, 0);
  double sum = 0, squares = 0;
  for (float v : x) {
    ASSERT_TRUE(std::isfinite(v));
    sum += v;
    squares += double(v) * v;
  }
  double mean = sum / n, deviation = std::sqrt(squares / n - mean * mean);
  EXPECT_NEAR(mean, 0.0, 0.02 * 0.005);
  EXPECT_NEAR(deviation, 0.02, 0.02 * 0.005);
}

TEST(RuntimeNormal, DeterministicAndIndexed) {
  std::vector<float> a(103), b(103), prefix(7), other(103);
  ndr_fill_normal(a.data(), 103, 1.0f, 5, 2);
  ndr_fill_normal(b.data(), 103, 1.0f, 5, 2);
  ndr_fill_normal(prefix.data(), 7, 1.0f, 5, 2);
  EXPECT_EQ(a, b);
  for (int i = 0; i < 7; ++i)
    EXPECT_EQ(prefix[i], a[i]) << i; // element i depends only on i
  ndr_fill_normal(other.data(), 103, 1.0f, 5, 3);
  EXPECT_NE(a, other);
  ndr_fill_normal(other.data(), 103, 1.0f, 6, 2);
  EXPECT_NE(a, other);
  ndr_fill_normal(other.data(), 103, 0.0f, 5, 2);
  for (float v : other)
    EXPECT_EQ(v, 0.0f);
  ndr_fill_normal(nullptr, 0, 1.0f, 5, 2); // nothing to write
}
