// ConvertTest.cpp - f16 and bf16 conversions, round to nearest even.
#include "runtime/ndr_runtime.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace {
float floatOf(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}
uint32_t bitsOf(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  return bits;
}
} // namespace

TEST(RuntimeConvert, F16ToF32KnownValues) {
  EXPECT_EQ(ndr_f16_to_f32(0x3C00), 1.0f);
  EXPECT_EQ(ndr_f16_to_f32(0xC000), -2.0f);
  EXPECT_EQ(ndr_f16_to_f32(0x7BFF), 65504.0f);
  EXPECT_EQ(ndr_f16_to_f32(0x0400), std::ldexp(1.0f, -14));
  EXPECT_EQ(ndr_f16_to_f32(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(ndr_f16_to_f32(0x03FF), std::ldexp(1023.0f, -24));
  EXPECT_EQ(bitsOf(ndr_f16_to_f32(0x8000)), 0x80000000u);
  EXPECT_EQ(ndr_f16_to_f32(0x7C00), std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(ndr_f16_to_f32(0x7E00)));
  EXPECT_TRUE(std::isnan(ndr_f16_to_f32(0x7C01)));
}

TEST(RuntimeConvert, F16RoundTripsEveryValue) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    float f = ndr_f16_to_f32(static_cast<uint16_t>(h));
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(ndr_f16_to_f32(ndr_f32_to_f16(f)))) << h;
      continue;
    }
    ASSERT_EQ(ndr_f32_to_f16(f), h) << std::hex << h;
  }
}

TEST(RuntimeConvert, F16RoundsToNearestEven) {
  float one = 1.0f, ulp = std::ldexp(1.0f, -10);
  EXPECT_EQ(ndr_f32_to_f16(one + ulp / 2), 0x3C00);          // tie, even below
  EXPECT_EQ(ndr_f32_to_f16(one + 3 * ulp / 2), 0x3C02);      // tie, even above
  EXPECT_EQ(ndr_f32_to_f16(std::nextafter(one + ulp / 2, 2.0f)), 0x3C01);
  EXPECT_EQ(ndr_f32_to_f16(65519.0f), 0x7BFF);
  EXPECT_EQ(ndr_f32_to_f16(65520.0f), 0x7C00); // tie rounds up to infinity
  EXPECT_EQ(ndr_f32_to_f16(-1e10f), 0xFC00);
  EXPECT_EQ(ndr_f32_to_f16(std::ldexp(1.0f, -25)), 0x0000); // tie to zero
  EXPECT_EQ(ndr_f32_to_f16(std::nextafter(std::ldexp(1.0f, -25), 1.0f)), 0x0001);
  EXPECT_EQ(ndr_f32_to_f16(std::ldexp(1.5f, -24)), 0x0002); // tie, even above
  EXPECT_EQ(ndr_f32_to_f16(std::ldexp(2.5f, -24)), 0x0002); // tie, even below
  EXPECT_EQ(ndr_f32_to_f16(std::ldexp(1023.5f, -24)), 0x0400); // up into normals
  EXPECT_EQ(ndr_f32_to_f16(-std::ldexp(1.0f, -30)), 0x8000);
  EXPECT_EQ(ndr_f32_to_f16(std::numeric_limits<float>::infinity()), 0x7C00);
  uint16_t nan = ndr_f32_to_f16(floatOf(0x7F800001)); // smallest payload
  EXPECT_EQ(nan & 0x7C00, 0x7C00);
  EXPECT_NE(nan & 0x03FF, 0);
}

#ifdef __FLT16_MAX__
// The compiler's _Float16 conversion rounds to nearest even too.
TEST(RuntimeConvert, F16MatchesCompilerOnRandomFloats) {
  std::mt19937 rng(12345);
  for (int i = 0; i < 1000000; ++i) {
    float f = floatOf(static_cast<uint32_t>(rng()));
    if (std::isnan(f))
      continue;
    _Float16 h = static_cast<_Float16>(f);
    uint16_t expected;
    std::memcpy(&expected, &h, 2);
    ASSERT_EQ(ndr_f32_to_f16(f), expected) << std::hex << bitsOf(f);
  }
  // Every half-way point between neighbouring f16 values, and one f32 ulp on
  // either side of it.
  for (uint32_t h = 0; h < 0x7C00; ++h) {
    float lo = ndr_f16_to_f32(static_cast<uint16_t>(h));
    float hi = ndr_f16_to_f32(static_cast<uint16_t>(h + 1));
    float mid = lo + (hi - lo) / 2;
    for (float f : {mid, std::nextafter(mid, 0.0f), std::nextafter(mid, 1e9f)}) {
      _Float16 ref = static_cast<_Float16>(f);
      uint16_t expected;
      std::memcpy(&expected, &ref, 2);
      ASSERT_EQ(ndr_f32_to_f16(f), expected) << std::hex << bitsOf(f);
      ASSERT_EQ(ndr_f32_to_f16(-f), expected | 0x8000) << std::hex << bitsOf(f);
    }
  }
}
#endif

TEST(RuntimeConvert, Bf16RoundsToNearestEven) {
  EXPECT_EQ(ndr_f32_to_bf16(1.0f), 0x3F80);
  EXPECT_EQ(ndr_f32_to_bf16(-1.0f), 0xBF80);
  EXPECT_EQ(ndr_f32_to_bf16(floatOf(0x3F808000)), 0x3F80); // tie, even below
  EXPECT_EQ(ndr_f32_to_bf16(floatOf(0x3F818000)), 0x3F82); // tie, even above
  EXPECT_EQ(ndr_f32_to_bf16(floatOf(0x3F808001)), 0x3F81);
  EXPECT_EQ(ndr_f32_to_bf16(floatOf(0x3F807FFF)), 0x3F80);
  EXPECT_EQ(ndr_f32_to_bf16(std::numeric_limits<float>::max()), 0x7F80);
  EXPECT_EQ(ndr_f32_to_bf16(std::numeric_limits<float>::infinity()), 0x7F80);
  EXPECT_EQ(ndr_f32_to_bf16(floatOf(0x00000001)), 0x0000); // below half a bf16 ulp
  // A NaN whose payload sits in the low bits must not become infinity.
  EXPECT_TRUE(std::isnan(ndr_bf16_to_f32(ndr_f32_to_bf16(floatOf(0x7F800001)))));
  EXPECT_TRUE(std::isnan(ndr_bf16_to_f32(ndr_f32_to_bf16(floatOf(0xFFC00000)))));
  EXPECT_EQ(ndr_bf16_to_f32(0x3F80), 1.0f);
  EXPECT_EQ(bitsOf(ndr_bf16_to_f32(0x1234)), 0x12340000u);
}

// Against a reference that picks the nearer of the two bf16 neighbours in
// double precision, the even one on a tie.
TEST(RuntimeConvert, Bf16MatchesReferenceOnRandomFloats) {
  std::mt19937 rng(777);
  for (int i = 0; i < 1000000; ++i) {
    uint32_t bits = static_cast<uint32_t>(rng());
    float f = floatOf(bits);
    if (!std::isfinite(f))
      continue;
    uint16_t down = static_cast<uint16_t>(bits >> 16), up = static_cast<uint16_t>(down + 1);
    double dDown = std::fabs(double(f) - ndr_bf16_to_f32(down));
    double dUp = std::fabs(ndr_bf16_to_f32(up) - double(f));
    if (std::isinf(ndr_bf16_to_f32(up))) // past the largest finite: half-ulp rule
      dUp = std::fabs(std::ldexp(1.0, 128) - std::fabs(double(f)));
    uint16_t expected = dDown < dUp ? down : dUp < dDown ? up : (down & 1) ? up : down;
    ASSERT_EQ(ndr_f32_to_bf16(f), expected) << std::hex << bits;
  }
}

TEST(RuntimeConvert, Arrays) {
  const float src[5] = {1.0f, -2.5f, 0.1f, 65504.0f, 1e-8f};
  uint16_t half[5], brain[5];
  float back[5], copy[5];
  ASSERT_EQ(ndr_convert_from_f32(src, NDR_F16, half, 5), NDR_OK);
  ASSERT_EQ(ndr_convert_from_f32(src, NDR_BF16, brain, 5), NDR_OK);
  ASSERT_EQ(ndr_convert_from_f32(src, NDR_F32, copy, 5), NDR_OK);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(half[i], ndr_f32_to_f16(src[i]));
    EXPECT_EQ(brain[i], ndr_f32_to_bf16(src[i]));
    EXPECT_EQ(copy[i], src[i]);
  }
  ASSERT_EQ(ndr_convert_to_f32(half, NDR_F16, back, 5), NDR_OK);
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(back[i], ndr_f16_to_f32(half[i]));
  ASSERT_EQ(ndr_convert_to_f32(brain, NDR_BF16, back, 5), NDR_OK);
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(back[i], ndr_bf16_to_f32(brain[i]));
  ASSERT_EQ(ndr_convert_to_f32(copy, NDR_F32, back, 5), NDR_OK);
  EXPECT_EQ(back[1], -2.5f);

  EXPECT_EQ(ndr_convert_from_f32(src, NDR_I32, copy, 5), NDR_ERR_DTYPE);
  EXPECT_STREQ(ndr_last_error(), "cannot convert f32 to i32");
  EXPECT_EQ(ndr_convert_to_f32(copy, NDR_U8, back, 5), NDR_ERR_DTYPE);
  EXPECT_STREQ(ndr_last_error(), "cannot convert u8 to f32");
}
