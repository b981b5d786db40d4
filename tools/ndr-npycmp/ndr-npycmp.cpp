// ndr-npycmp - compares two .npy files elementwise, for end-to-end tests.
//
//   ndr-npycmp ACTUAL.npy EXPECTED.npy [--rtol R] [--atol A] [--ulp N]
//
// The files must have the same dtype and shape. An element matches when both
// are NaN, when both are equal (infinities included), or, for finite values,
//   tolerance: |actual - expected| <= atol + rtol * |expected|
//   --ulp N:   they are at most N representable values of the dtype apart.
// Defaults (DESIGN.md section 9): f32 rtol 1e-5, atol 1e-6; f16 and bf16
// --ulp 1, or the tolerance when --rtol or --atol is given.
// Exit codes: 0 match, 1 mismatch, 2 bad arguments or an unreadable file.
#include "runtime/ndr_runtime.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>

namespace {
const char *usage =
    "usage: ndr-npycmp ACTUAL.npy EXPECTED.npy [--rtol R] [--atol A] [--ulp N]\n"
    "  match: |actual - expected| <= atol + rtol * |expected| (f32 default\n"
    "  rtol 1e-5, atol 1e-6), or with --ulp N within N units in the last place\n"
    "  of the dtype (f16/bf16 default: --ulp 1); NaN matches only NaN.\n"
    "  exit 0: match, 1: mismatch, 2: bad arguments or file\n";

struct Tolerance {
  bool ulpMode = false;
  double rtol = 1e-5;
  double atol = 1e-6;
  uint64_t ulp = 1;
};

// The data of a file loaded with ndr_npy_load.
struct Array {
  ndr_tensor_info info{};
  void *data = nullptr;
  ~Array() { ndr_free(data); }

  float value(int64_t i) const {
    if (info.dtype == NDR_F32)
      return static_cast<const float *>(data)[i];
    uint16_t bits = static_cast<const uint16_t *>(data)[i];
    return info.dtype == NDR_F16 ? ndr_f16_to_f32(bits) : ndr_bf16_to_f32(bits);
  }
  // Position of element i on a line where neighbouring values of the dtype
  // are 1 apart (+0 and -0 are both 0).
  int64_t ordinal(int64_t i) const {
    uint32_t bits, sign;
    if (info.dtype == NDR_F32) {
      std::memcpy(&bits, static_cast<const float *>(data) + i, sizeof(bits));
      sign = 0x80000000u;
    } else {
      bits = static_cast<const uint16_t *>(data)[i];
      sign = 0x8000u;
    }
    int64_t magnitude = bits & (sign - 1);
    return bits & sign ? -magnitude : magnitude;
  }
};

int fail(const std::string &message) {
  fmt::print(stderr, "ndr-npycmp: error: {}\n", message);
  return 2;
}

bool parseTolerance(const std::string &text, double *value) {
  char *end = nullptr;
  *value = std::strtod(text.c_str(), &end);
  return !text.empty() && *end == '\0' && std::isfinite(*value) && *value >= 0;
}

bool parseCount(const std::string &text, uint64_t *value) {
  char *end = nullptr;
  *value = std::strtoull(text.c_str(), &end, 10);
  return !text.empty() && text[0] >= '0' && text[0] <= '9' && *end == '\0' &&
         *value != std::numeric_limits<uint64_t>::max();
}

std::string join(int32_t rank, const int64_t *values) {
  return fmt::format("[{}]", fmt::join(values, values + rank, ", "));
}

std::string indexOf(const ndr_tensor_info &info, int64_t flat) {
  int64_t index[NDR_MAX_RANK];
  for (int32_t d = info.rank - 1; d >= 0; --d) {
    index[d] = flat % info.shape[d];
    flat /= info.shape[d];
  }
  return join(info.rank, index);
}

std::string describe(ndr_dtype dtype, const Tolerance &tol) {
  if (tol.ulpMode)
    return fmt::format("{}, ulp {}", ndr_dtype_name(dtype), tol.ulp);
  return fmt::format("{}, rtol {:g}, atol {:g}", ndr_dtype_name(dtype), tol.rtol,
                     tol.atol);
}
} // namespace

int main(int argc, char **argv) {
  std::string paths[2];
  int numPaths = 0;
  Tolerance tol;
  bool givenTol = false, givenUlp = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      fmt::print("{}", usage);
      return 0;
    }
    if (arg.compare(0, 1, "-") != 0 || arg == "-") {
      if (numPaths == 2)
        return fail(fmt::format("unexpected argument '{}'\n{}", arg, usage));
      paths[numPaths++] = arg;
      continue;
    }
    // "--flag VALUE" or "--flag=VALUE".
    size_t eq = arg.find('=');
    std::string flag = arg.substr(0, eq), value;
    if (eq != std::string::npos)
      value = arg.substr(eq + 1);
    else if (i + 1 < argc)
      value = argv[++i];
    bool ok;
    if (flag == "--rtol" || flag == "--atol") {
      ok = parseTolerance(value, flag == "--rtol" ? &tol.rtol : &tol.atol);
      givenTol = true;
    } else if (flag == "--ulp") {
      ok = parseCount(value, &tol.ulp);
      givenUlp = true;
    } else {
      return fail(fmt::format("unknown option '{}'\n{}", arg, usage));
    }
    if (!ok)
      return fail(fmt::format("{}: '{}' is not a non-negative number", flag, value));
  }
  if (numPaths != 2)
    return fail(fmt::format("expected two .npy files\n{}", usage));
  if (givenTol && givenUlp)
    return fail("give either --ulp or --rtol/--atol, not both");

  Array actual, expected;
  if (ndr_npy_load(paths[0].c_str(), &actual.info, &actual.data) ||
      ndr_npy_load(paths[1].c_str(), &expected.info, &expected.data))
    return fail(ndr_last_error());
  const ndr_tensor_info &info = expected.info;
  if (actual.info.dtype != info.dtype) {
    fmt::print("ndr-npycmp: dtype differs: actual {}, expected {}\n",
               ndr_dtype_name(actual.info.dtype), ndr_dtype_name(info.dtype));
    return 1;
  }
  std::string shape = join(info.rank, info.shape);
  if (join(actual.info.rank, actual.info.shape) != shape) {
    fmt::print("ndr-npycmp: shape differs: actual {}, expected {}\n",
               join(actual.info.rank, actual.info.shape), shape);
    return 1;
  }
  tol.ulpMode = givenUlp || (!givenTol && info.dtype != NDR_F32);

  // Each mismatch gets a badness (how far past its tolerance it is); the worst
  // is the first with the largest.
  const double infinity = std::numeric_limits<double>::infinity();
  int64_t n = static_cast<int64_t>(info.nbytes / ndr_dtype_size(info.dtype));
  int64_t mismatches = 0, worst = -1;
  double worstBadness = 0;
  for (int64_t i = 0; i < n; ++i) {
    float a = actual.value(i), e = expected.value(i);
    if (a == e || (std::isnan(a) && std::isnan(e)))
      continue;
    double badness = infinity;
    if (std::isfinite(a) && std::isfinite(e)) {
      if (tol.ulpMode) {
        badness = static_cast<double>(std::llabs(actual.ordinal(i) - expected.ordinal(i)));
        if (badness <= static_cast<double>(tol.ulp))
          continue;
      } else {
        double diff = std::fabs(static_cast<double>(a) - e);
        double allowed = tol.atol + tol.rtol * std::fabs(static_cast<double>(e));
        if (diff <= allowed)
          continue;
        badness = allowed > 0 ? diff / allowed : infinity;
      }
    }
    ++mismatches;
    if (worst < 0 || badness > worstBadness) {
      worst = i;
      worstBadness = badness;
    }
  }

  if (mismatches == 0) {
    fmt::print("ndr-npycmp: {} elements match ({})\n", n, describe(info.dtype, tol));
    return 0;
  }
  float a = actual.value(worst), e = expected.value(worst);
  std::string detail =
      !std::isfinite(a) || !std::isfinite(e)
          ? "not finite"
      : tol.ulpMode
          ? fmt::format("diff {:.0f} ulp", worstBadness)
          : fmt::format("diff {:g}, allowed {:g}", std::fabs(static_cast<double>(a) - e),
                        tol.atol + tol.rtol * std::fabs(static_cast<double>(e)));
  fmt::print("ndr-npycmp: {} of {} elements differ ({})\n"
             "ndr-npycmp: worst at {} (flat index {}): actual {:.9g}, expected {:.9g} "
             "({})\n",
             mismatches, n, describe(info.dtype, tol), indexOf(info, worst), worst,
             a, e, detail);
  return 1;
}
