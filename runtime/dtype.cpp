// dtype.cpp - element types, shapes and the check of expected tensors.
#include "runtime/internal.h"

namespace {
struct DtypeInfo {
  const char *name;
  size_t size;
};
// Indexed by ndr_dtype.
constexpr DtypeInfo dtypes[] = {
    {"f32", 4}, {"f16", 2},  {"bf16", 2},  {"f64", 8},    {"i8", 1},
    {"i16", 2}, {"i32", 4},  {"i64", 8},   {"u8", 1},     {"u16", 2},
    {"u32", 4}, {"u64", 8},  {"bool", 1},  {"f8e4m3", 1}, {"f8e5m2", 1}};
constexpr int numDtypes = sizeof(dtypes) / sizeof(dtypes[0]);

bool validDtype(ndr_dtype dtype) {
  return static_cast<int>(dtype) >= 0 && static_cast<int>(dtype) < numDtypes;
}
} // namespace

extern "C" size_t ndr_dtype_size(ndr_dtype dtype) {
  return validDtype(dtype) ? dtypes[dtype].size : 0;
}

extern "C" const char *ndr_dtype_name(ndr_dtype dtype) {
  return validDtype(dtype) ? dtypes[dtype].name : "invalid";
}

std::string ndr_rt::shapeString(int32_t rank, const int64_t *shape) {
  return fmt::format("[{}]", fmt::join(shape, shape + rank, ", "));
}

bool ndr_rt::tensorBytes(ndr_dtype dtype, int32_t rank, const int64_t *shape,
                         uint64_t *bytes) {
  uint64_t total = ndr_dtype_size(dtype);
  for (int32_t i = 0; i < rank; ++i) {
    if (shape[i] < 0 ||
        __builtin_mul_overflow(total, static_cast<uint64_t>(shape[i]), &total))
      return false;
  }
  if (total > static_cast<uint64_t>(INT64_MAX))
    return false;
  *bytes = total;
  return true;
}

ndr_status ndr_rt::checkTensor(const std::string &what, ndr_dtype dtype,
                               int32_t rank, const int64_t *shape,
                               const ndr_tensor_info &got) {
  uint64_t bytes;
  if (!validDtype(dtype))
    return fail(NDR_ERR_ARG, "{}: invalid expected dtype {}", what,
                static_cast<int>(dtype));
  if (rank < 0 || rank > NDR_MAX_RANK || (rank > 0 && !shape) ||
      !tensorBytes(dtype, rank, shape, &bytes))
    return fail(NDR_ERR_ARG, "{}: invalid expected shape", what);
  if (got.dtype != dtype)
    return fail(NDR_ERR_DTYPE, "{}: expected dtype {}, got {}", what,
                ndr_dtype_name(dtype), ndr_dtype_name(got.dtype));
  bool same = got.rank == rank;
  for (int32_t i = 0; same && i < rank; ++i)
    same = got.shape[i] == shape[i];
  if (!same)
    return fail(NDR_ERR_SHAPE, "{}: expected shape {}, got {}", what,
                shapeString(rank, shape), shapeString(got.rank, got.shape));
  return NDR_OK;
}
