//===- NpyFuzzer.cpp - libFuzzer over the .npy reader -----------*- C++ -*-===//
//
// Reads arbitrary bytes as a .npy file. The reader must never crash, leak or
// touch memory it does not own, and must fail with one line of message; a
// file it accepts must hold exactly what it says: its data are the file's
// last bytes, ndr_npy_read with the same dtype and shape gives them again,
// another dtype is refused, and writing them back and reading that gives the
// same tensor. f16 and bf16 data also go through the conversions, which must
// round-trip every value that is not a NaN.
//
//===----------------------------------------------------------------------===//

#include "runtime/fuzzer/MemFile.h"
#include "runtime/ndr_runtime.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

namespace {

[[noreturn]] void finding(const char *what) {
  std::fprintf(stderr, "ndr-npy-fuzzer: %s (last error: %s)\n", what,
               ndr_last_error());
  std::abort();
}

void check(bool ok, const char *what) {
  if (!ok)
    finding(what);
}

// A failed call must leave a message of one line: not empty, and no control
// characters (a newline would start another line, a carriage return or an
// escape sequence would garble a terminal's).
void checkMessage() {
  const char *message = ndr_last_error();
  check(message[0] != '\0', "failure without a message");
  for (const char *c = message; *c; ++c)
    check(static_cast<unsigned char>(*c) >= 0x20 && *c != 0x7f,
          "a control character in a message");
}

struct Freer {
  void operator()(void *ptr) const { ndr_free(ptr); }
};

// f16/bf16 -> f32 -> f16/bf16 gives the same bits for every non-NaN value.
void checkConversions(const ndr_tensor_info &info, const void *data) {
  if (info.dtype == NDR_F32)
    return;
  int64_t n = static_cast<int64_t>(info.nbytes / 2);
  std::vector<float> wide(static_cast<size_t>(n));
  check(ndr_convert_to_f32(data, info.dtype, wide.data(), n) == NDR_OK,
        "conversion to f32 failed");
  std::vector<uint16_t> back(static_cast<size_t>(n));
  check(ndr_convert_from_f32(wide.data(), info.dtype, back.data(), n) == NDR_OK,
        "conversion from f32 failed");
  const uint16_t *bits = static_cast<const uint16_t *>(data);
  for (int64_t i = 0; i < n; ++i) {
    if (std::isnan(wide[i])) {
      check(std::isnan(info.dtype == NDR_F16 ? ndr_f16_to_f32(back[i])
                                             : ndr_bf16_to_f32(back[i])),
            "a NaN did not stay a NaN");
      continue;
    }
    uint16_t single = info.dtype == NDR_F16 ? ndr_f32_to_f16(wide[i])
                                            : ndr_f32_to_bf16(wide[i]);
    check(back[i] == bits[i] && single == bits[i],
          "f16/bf16 -> f32 -> f16/bf16 changed a value");
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static ndr_fuzz::MemFile input("ndr-fuzz.npy"), output("ndr-fuzz-out.npy");
  input.write(data, size);

  ndr_clear_error();
  ndr_tensor_info info;
  void *loadedRaw = nullptr;
  if (ndr_npy_load(input.c_str(), &info, &loadedRaw) != NDR_OK) {
    checkMessage();
    // ndr_npy_read refuses what ndr_npy_load refuses.
    int64_t shape[1] = {1};
    float one;
    check(ndr_npy_read(input.c_str(), NDR_F32, 1, shape, &one) != NDR_OK,
          "ndr_npy_read accepted a file that ndr_npy_load refused");
    checkMessage();
    return 0;
  }
  std::unique_ptr<void, Freer> loaded(loadedRaw);

  check(info.dtype == NDR_F32 || info.dtype == NDR_F16 || info.dtype == NDR_BF16,
        "loaded an unsupported dtype");
  check(info.rank >= 0 && info.rank <= NDR_MAX_RANK, "rank out of range");
  uint64_t bytes = ndr_dtype_size(info.dtype);
  for (int32_t i = 0; i < info.rank; ++i) {
    check(info.shape[i] >= 0, "negative dimension");
    check(!__builtin_mul_overflow(bytes, static_cast<uint64_t>(info.shape[i]), &bytes),
          "size overflows");
  }
  check(bytes == info.nbytes, "nbytes is not the size of the shape");
  check(info.nbytes <= size && info.data == loaded.get(), "data is not the buffer");
  check(info.nbytes == 0 ||
            std::memcmp(loaded.get(), data + size - info.nbytes, info.nbytes) == 0,
        "data are not the last bytes of the file");

  // ndr_npy_read with what the file holds, into a buffer of exactly that size.
  std::vector<unsigned char> again(info.nbytes);
  check(ndr_npy_read(input.c_str(), info.dtype, info.rank, info.shape,
                     again.data()) == NDR_OK,
        "ndr_npy_read refused the file's own dtype and shape");
  check(info.nbytes == 0 ||
            std::memcmp(again.data(), loaded.get(), info.nbytes) == 0,
        "ndr_npy_read gave other data");
  ndr_dtype other = info.dtype == NDR_F32 ? NDR_F16 : NDR_F32;
  check(ndr_npy_read(input.c_str(), other, info.rank, info.shape, nullptr) ==
            NDR_ERR_DTYPE,
        "ndr_npy_read accepted another dtype");
  checkMessage();

  checkConversions(info, loaded.get());

  // Written back (version 1.0) and read again: the same tensor.
  check(ndr_npy_write(output.c_str(), info.dtype, info.rank, info.shape,
                      loaded.get()) == NDR_OK,
        "cannot write back what was read");
  ndr_tensor_info reread;
  void *rereadRaw = nullptr;
  check(ndr_npy_load(output.c_str(), &reread, &rereadRaw) == NDR_OK,
        "cannot read what was written");
  std::unique_ptr<void, Freer> rereadData(rereadRaw);
  check(reread.dtype == info.dtype && reread.rank == info.rank &&
            std::equal(info.shape, info.shape + info.rank, reread.shape) &&
            reread.nbytes == info.nbytes &&
            (info.nbytes == 0 ||
             std::memcmp(rereadRaw, loaded.get(), info.nbytes) == 0),
        "write then read changed the tensor");
  return 0;
}
