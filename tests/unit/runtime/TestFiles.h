// TestFiles.h - a scratch directory and raw file helpers for runtime tests.
#ifndef NDR_TESTS_UNIT_RUNTIME_TESTFILES_H
#define NDR_TESTS_UNIT_RUNTIME_TESTFILES_H

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace ndr_test {

// A fresh directory, removed with everything in it when the test ends.
class ScratchDir {
public:
  ScratchDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "ndr-runtime-XXXXXX").string();
    if (!mkdtemp(pattern.data()))
      ADD_FAILURE() << "mkdtemp failed";
    root = pattern;
  }
  ~ScratchDir() { std::filesystem::remove_all(root); }
  std::string path(const std::string &name) const { return (root / name).string(); }

private:
  std::filesystem::path root;
};

inline void writeBytes(const std::string &path, const std::string &bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline std::string readBytes(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Little-endian bytes of an integer.
inline std::string le(uint64_t value, int bytes) {
  std::string out;
  for (int i = 0; i < bytes; ++i)
    out += static_cast<char>((value >> (8 * i)) & 0xFF);
  return out;
}

} // namespace ndr_test

#endif // NDR_TESTS_UNIT_RUNTIME_TESTFILES_H
