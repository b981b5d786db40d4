// alloc.cpp - 64-byte aligned allocation (a cache line; the widest vectors).
#include "runtime/internal.h"

#include <cstdlib>

extern "C" void *ndr_alloc(size_t bytes) {
  // aligned_alloc wants a non-zero multiple of the alignment.
  size_t rounded = bytes == 0 ? NDR_ALIGNMENT
                              : (bytes + NDR_ALIGNMENT - 1) & ~size_t(NDR_ALIGNMENT - 1);
  void *ptr = rounded < bytes ? nullptr : std::aligned_alloc(NDR_ALIGNMENT, rounded);
  if (!ptr)
    ndr_rt::fail(NDR_ERR_NOMEM, "cannot allocate {} bytes", bytes);
  return ptr;
}

extern "C" void ndr_free(void *ptr) { std::free(ptr); }
