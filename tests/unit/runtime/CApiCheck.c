/* CApiCheck.c - compiles the runtime header as C (as a C user would) and
 * exercises a few calls through it. */
#include "runtime/ndr_runtime.h"

int ndr_c_api_check(void) {
  const uint32_t ctr[4] = {0, 0, 0, 0};
  const uint32_t key[2] = {0, 0};
  uint32_t out[4];
  ndr_philox4x32_10(ctr, key, out);
  void *buffer = ndr_alloc(100);
  int aligned = buffer && ((uintptr_t)buffer % NDR_ALIGNMENT) == 0;
  ndr_free(buffer);
  ndr_status status = ndr_set_error(NDR_ERR_ARG, "from C: %d", 42);
  return out[0] == 0x6627e8d5u && aligned && status == NDR_ERR_ARG &&
         ndr_dtype_size(NDR_BF16) == 2;
}

/* ndr_status_name of any int, as a C caller may pass one: in C an enum
 * object holds any int; in C++ a value outside the enumerators' range
 * (0..7 for ndr_status) cannot even be formed without undefined behaviour. */
const char *ndr_c_status_name(int value) {
  return ndr_status_name((ndr_status)value);
}
