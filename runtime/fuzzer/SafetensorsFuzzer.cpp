//===- SafetensorsFuzzer.cpp - libFuzzer over the safetensors reader -----===//
//
// Opens arbitrary bytes as a safetensors file. The reader must never crash,
// leak or touch memory it does not own, and must fail with one line of
// message; a file it accepts must hold exactly what it says: its tensors
// tile the data buffer in order and their data are the file's bytes there,
// every tensor is found by its name and read back with its own dtype and
// shape, another dtype is refused, and writing the tensors out and opening
// that gives the same tensors. Each file is also the params file of a small
// model (parameters "w" f32[2, 2] and "b" bf16[2]), as an executable's
// --params is.
//
//===----------------------------------------------------------------------===//

#include "runtime/fuzzer/MemFile.h"
#include "runtime/ndr_model.h"
#include "runtime/ndr_runtime.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace {

[[noreturn]] void finding(const char *what) {
  std::fprintf(stderr, "ndr-safetensors-fuzzer: %s (last error: %s)\n", what,
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

struct Closer {
  void operator()(ndr_safetensors *file) const { ndr_safetensors_close(file); }
};
using FilePtr = std::unique_ptr<ndr_safetensors, Closer>;

// The model whose params file each input also is.
const int64_t wShape[] = {2, 2}, bShape[] = {2};
const ndr_tensor_desc params[] = {
    {"w", NDR_F32, 2, wShape, NDR_INIT_NONE, 0.0f},
    {"b", NDR_BF16, 1, bShape, NDR_INIT_NONE, 0.0f},
};
void runNothing(void **, uint64_t) {}
const ndr_model_desc model = {"fuzz", 0, 2, 0, 0, nullptr, params, nullptr,
                              nullptr, nullptr, runNothing};

void checkModel(const char *path) {
  ndr_model *created = nullptr;
  ndr_status status = ndr_model_create(&model, path, 0, &created);
  if (status != NDR_OK) {
    check(!created, "a failed ndr_model_create left a model");
    checkMessage();
  }
  ndr_model_destroy(created);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static ndr_fuzz::MemFile input("ndr-fuzz.safetensors"),
      output("ndr-fuzz-out.safetensors");
  input.write(data, size);

  ndr_clear_error();
  checkModel(input.c_str());
  ndr_safetensors *opened = nullptr;
  if (ndr_safetensors_open(input.c_str(), &opened) != NDR_OK) {
    check(!opened, "a failed open left a file");
    checkMessage();
    return 0;
  }
  FilePtr file(opened);

  uint64_t headerSize;
  check(size >= 8, "opened a file of less than 8 bytes");
  std::memcpy(&headerSize, data, 8);
  check(headerSize <= size - 8, "opened a file shorter than its header");
  const uint8_t *buffer = data + 8 + headerSize;
  uint64_t bufferSize = size - 8 - headerSize;

  int64_t count = ndr_safetensors_count(file.get());
  check(count >= 0, "negative tensor count");
  std::vector<ndr_tensor_info> infos(static_cast<size_t>(count));
  std::vector<ndr_safetensors_tensor> tensors;
  uint64_t offset = 0;
  for (int64_t i = 0; i < count; ++i) {
    ndr_tensor_info &info = infos[static_cast<size_t>(i)];
    check(ndr_safetensors_entry(file.get(), i, &info) == NDR_OK,
          "no entry at an index below the count");
    check(info.name != nullptr && std::strcmp(info.name, "__metadata__") != 0,
          "an entry without a name or named __metadata__");
    size_t elementSize = ndr_dtype_size(info.dtype);
    check(elementSize > 0, "an entry of an invalid dtype");
    check(info.rank >= 0 && info.rank <= NDR_MAX_RANK, "rank out of range");
    uint64_t bytes = elementSize;
    for (int32_t d = 0; d < info.rank; ++d) {
      check(info.shape[d] >= 0, "negative dimension");
      check(!__builtin_mul_overflow(bytes, static_cast<uint64_t>(info.shape[d]),
                                    &bytes),
            "size overflows");
    }
    check(bytes == info.nbytes, "nbytes is not the size of the shape");
    // The entries tile the data buffer in order, and hold its bytes.
    check(offset <= bufferSize && info.nbytes <= bufferSize - offset,
          "an entry beyond the data buffer");
    check(info.nbytes == 0 ||
              std::memcmp(info.data, buffer + offset, info.nbytes) == 0,
          "an entry's data are not the file's bytes at its offsets");
    offset += info.nbytes;

    ndr_tensor_info found;
    check(ndr_safetensors_find(file.get(), info.name, &found) == NDR_OK,
          "an entry is not found by its name");
    check(found.data == info.data && found.nbytes == info.nbytes &&
              found.dtype == info.dtype,
          "find gave another tensor than the entry");
    // Read into a buffer of exactly the tensor's size.
    std::vector<unsigned char> copy(info.nbytes);
    check(ndr_safetensors_read(file.get(), info.name, info.dtype, info.rank,
                               info.shape, copy.data()) == NDR_OK,
          "ndr_safetensors_read refused the tensor's own dtype and shape");
    check(info.nbytes == 0 || std::memcmp(copy.data(), info.data, info.nbytes) == 0,
          "ndr_safetensors_read gave other data");
    ndr_dtype other = info.dtype == NDR_F32 ? NDR_I8 : NDR_F32;
    const void *ignored;
    check(ndr_safetensors_get(file.get(), info.name, other, info.rank,
                              info.shape, &ignored) == NDR_ERR_DTYPE,
          "ndr_safetensors_get accepted another dtype");
    checkMessage();
    tensors.push_back(
        {info.name, info.dtype, info.rank, info.shape, info.data});
  }
  check(offset == bufferSize, "the entries do not cover the data buffer");
  ndr_tensor_info info;
  if (ndr_safetensors_find(file.get(), "ndr fuzz: missing", &info) != NDR_OK)
    checkMessage();
  (void)ndr_safetensors_metadata(file.get(), "format");

  // Written out and opened again: the same tensors in the same order.
  check(ndr_safetensors_write(output.c_str(), tensors.data(), count, nullptr,
                              0) == NDR_OK,
        "cannot write the tensors that were read");
  ndr_safetensors *reopened = nullptr;
  check(ndr_safetensors_open(output.c_str(), &reopened) == NDR_OK,
        "cannot open what was written");
  FilePtr again(reopened);
  check(ndr_safetensors_count(again.get()) == count,
        "write then open changed the tensor count");
  for (int64_t i = 0; i < count; ++i) {
    const ndr_tensor_info &before = infos[static_cast<size_t>(i)];
    ndr_tensor_info after;
    check(ndr_safetensors_entry(again.get(), i, &after) == NDR_OK &&
              std::strcmp(before.name, after.name) == 0 &&
              before.dtype == after.dtype && before.rank == after.rank &&
              std::equal(before.shape, before.shape + before.rank, after.shape) &&
              before.nbytes == after.nbytes &&
              (before.nbytes == 0 ||
               std::memcmp(before.data, after.data, before.nbytes) == 0),
          "write then open changed a tensor");
  }
  return 0;
}
