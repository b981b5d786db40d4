// status.cpp - status names and the per-thread status and error message.
#include "runtime/internal.h"

#include <cstdarg>
#include <cstdio>
#include <cstring>

namespace {
thread_local std::string lastError;
thread_local ndr_status lastStatus = NDR_OK;
} // namespace

ndr_status ndr_rt::setError(ndr_status status, std::string message) {
  lastError = std::move(message);
  lastStatus = status;
  return status;
}

extern "C" {

const char *ndr_status_name(ndr_status status) {
  // A C caller may pass any int; in C++ reading a value outside the
  // enumerators' range as an ndr_status is undefined, so read the bytes.
  static_assert(sizeof(ndr_status) == sizeof(int));
  int value;
  std::memcpy(&value, &status, sizeof value);
  switch (value) {
  case NDR_OK:
    return "ok";
  case NDR_ERR_IO:
    return "I/O error";
  case NDR_ERR_FORMAT:
    return "format error";
  case NDR_ERR_SHAPE:
    return "shape mismatch";
  case NDR_ERR_DTYPE:
    return "dtype mismatch";
  case NDR_ERR_MISSING:
    return "missing tensor";
  case NDR_ERR_ARG:
    return "invalid argument";
  case NDR_ERR_NOMEM:
    return "out of memory";
  case NDR_ERR_DEVICE:
    return "device error";
  }
  return "unknown status";
}

const char *ndr_last_error(void) { return lastError.c_str(); }

ndr_status ndr_last_status(void) { return lastStatus; }

ndr_status ndr_set_error(ndr_status status, const char *format, ...) {
  va_list args;
  va_start(args, format);
  va_list again;
  va_copy(again, args);
  int length = std::vsnprintf(nullptr, 0, format, args);
  va_end(args);
  if (length < 0) {
    lastError = format;
  } else {
    std::string message(static_cast<size_t>(length) + 1, '\0');
    std::vsnprintf(message.data(), message.size(), format, again);
    message.pop_back();
    lastError = std::move(message);
  }
  va_end(again);
  lastStatus = status;
  return status;
}

void ndr_clear_error(void) {
  lastError.clear();
  lastStatus = NDR_OK;
}

} // extern "C"
