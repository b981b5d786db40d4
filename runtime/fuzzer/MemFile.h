//===- MemFile.h - a path whose file holds a fuzzer's input -----*- C++ -*-===//
//
// The runtime's readers take paths (the safetensors reader maps its file), so
// each input becomes a file: an anonymous in-memory file (memfd), rewritten
// for every input and opened by its /proc/self/fd path. No disk, no cleanup.
//
//===----------------------------------------------------------------------===//

#ifndef NDR_RUNTIME_FUZZER_MEMFILE_H
#define NDR_RUNTIME_FUZZER_MEMFILE_H

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fmt/format.h>
#include <string>
#include <sys/mman.h>
#include <unistd.h>

namespace ndr_fuzz {

class MemFile {
public:
  explicit MemFile(const char *name) : fd(memfd_create(name, MFD_CLOEXEC)) {
    if (fd < 0) {
      std::perror("memfd_create");
      std::abort();
    }
    path = fmt::format("/proc/self/fd/{}", fd);
  }
  ~MemFile() { close(fd); }

  // Replaces the file's contents with data[0, size).
  void write(const uint8_t *data, size_t size) {
    if (ftruncate(fd, 0) != 0) {
      std::perror("ftruncate");
      std::abort();
    }
    for (size_t done = 0; done < size;) {
      ssize_t n = pwrite(fd, data + done, size - done, static_cast<off_t>(done));
      if (n <= 0) {
        std::perror("pwrite");
        std::abort();
      }
      done += static_cast<size_t>(n);
    }
  }

  const char *c_str() const { return path.c_str(); }

private:
  int fd;
  std::string path;
};

} // namespace ndr_fuzz

#endif // NDR_RUNTIME_FUZZER_MEMFILE_H
