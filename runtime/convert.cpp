// convert.cpp - f16 and bf16 <-> f32, rounding to nearest, ties to even.
#include "runtime/internal.h"

#include <cstring>

namespace {
uint32_t bitsOf(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

float floatOf(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

// Shifts `mantissa` right by `shift` bits, rounding to nearest even.
uint32_t shiftRoundEven(uint32_t mantissa, unsigned shift) {
  uint32_t result = mantissa >> shift;
  uint32_t rest = mantissa & ((1u << shift) - 1);
  uint32_t half = 1u << (shift - 1);
  if (rest > half || (rest == half && (result & 1)))
    ++result;
  return result;
}
} // namespace

extern "C" {

uint16_t ndr_f32_to_f16(float value) {
  uint32_t x = bitsOf(value);
  uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000);
  x &= 0x7FFFFFFF;
  if (x > 0x7F800000) // NaN stays a (quiet) NaN with its top payload bits
    return sign | 0x7E00 | ((x >> 13) & 0x3FF);
  if (x >= 0x477FF000) // from half-way between 65504 and 65536 up: infinity
    return sign | 0x7C00;
  if (x >= 0x38800000) // normal f16: rebias the exponent by 127 - 15
    return sign | static_cast<uint16_t>(shiftRoundEven(x - 0x38000000, 13));
  if (x <= 0x33000000) // at most half the smallest subnormal: zero
    return sign;
  // Subnormal f16, in units of 2^-24.
  uint32_t exponent = x >> 23;
  uint32_t mantissa = (x & 0x7FFFFF) | 0x800000;
  return sign | static_cast<uint16_t>(shiftRoundEven(mantissa, 126 - exponent));
}

float ndr_f16_to_f32(uint16_t bits) {
  uint32_t sign = uint32_t(bits & 0x8000) << 16;
  uint32_t exponent = (bits >> 10) & 0x1F;
  uint32_t mantissa = bits & 0x3FF;
  if (exponent == 0x1F)
    return floatOf(sign | 0x7F800000 | (mantissa << 13));
  if (exponent != 0)
    return floatOf(sign | ((exponent + 112) << 23) | (mantissa << 13));
  if (mantissa == 0)
    return floatOf(sign);
  // Subnormal: normalize.
  exponent = 113;
  while (!(mantissa & 0x400)) {
    mantissa <<= 1;
    --exponent;
  }
  return floatOf(sign | (exponent << 23) | ((mantissa & 0x3FF) << 13));
}

uint16_t ndr_f32_to_bf16(float value) {
  uint32_t x = bitsOf(value);
  if ((x & 0x7FFFFFFF) > 0x7F800000) // NaN: keep it a quiet NaN
    return static_cast<uint16_t>((x >> 16) | 0x0040);
  return static_cast<uint16_t>((x + 0x7FFF + ((x >> 16) & 1)) >> 16);
}

float ndr_bf16_to_f32(uint16_t bits) { return floatOf(uint32_t(bits) << 16); }

// LLVM's x86 backend keeps bf16 values in f32 registers on CPUs without
// AVX512-BF16 (Zen 3, say) and rounds them back with this compiler-rt
// function, for bf16 selects and masked loads and stores in generated code.
// GCC 12's libgcc lacks it; compiler-rt's or a newer libgcc's wins (weak).
// The bf16 result travels in the low 16 bits of xmm0, as a float's would.
__attribute__((weak)) float __truncsfbf2(float value) {
  return floatOf(ndr_f32_to_bf16(value));
}

ndr_status ndr_convert_from_f32(const float *src, ndr_dtype dtype, void *dst,
                                int64_t n) {
  switch (dtype) {
  case NDR_F32:
    if (n > 0)
      std::memmove(dst, src, static_cast<size_t>(n) * sizeof(float));
    return NDR_OK;
  case NDR_F16:
    for (int64_t i = 0; i < n; ++i)
      static_cast<uint16_t *>(dst)[i] = ndr_f32_to_f16(src[i]);
    return NDR_OK;
  case NDR_BF16:
    for (int64_t i = 0; i < n; ++i)
      static_cast<uint16_t *>(dst)[i] = ndr_f32_to_bf16(src[i]);
    return NDR_OK;
  default:
    return ndr_rt::fail(NDR_ERR_DTYPE, "cannot convert f32 to {}",
                        ndr_dtype_name(dtype));
  }
}

ndr_status ndr_convert_to_f32(const void *src, ndr_dtype dtype, float *dst,
                              int64_t n) {
  switch (dtype) {
  case NDR_F32:
    if (n > 0)
      std::memmove(dst, src, static_cast<size_t>(n) * sizeof(float));
    return NDR_OK;
  case NDR_F16:
    for (int64_t i = 0; i < n; ++i)
      dst[i] = ndr_f16_to_f32(static_cast<const uint16_t *>(src)[i]);
    return NDR_OK;
  case NDR_BF16:
    for (int64_t i = 0; i < n; ++i)
      dst[i] = ndr_bf16_to_f32(static_cast<const uint16_t *>(src)[i]);
    return NDR_OK;
  default:
    return ndr_rt::fail(NDR_ERR_DTYPE, "cannot convert {} to f32",
                        ndr_dtype_name(dtype));
  }
}

} // extern "C"
