// NpyTest.cpp - .npy writing, reading and every way a file can be wrong.
#include "TestFiles.h"
#include "runtime/ndr_runtime.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

using ndr_test::le;
using ndr_test::readBytes;
using ndr_test::ScratchDir;
using ndr_test::writeBytes;

namespace {
const std::string magic("\x93NUMPY", 6);

// A version 1.0 file with the given header text and data bytes.
std::string npyV1(const std::string &header, const std::string &data) {
  return magic + '\x01' + '\x00' + le(header.size(), 2) + header + data;
}
std::string npyV2(const std::string &header, const std::string &data) {
  return magic + '\x02' + '\x00' + le(header.size(), 4) + header + data;
}
std::string floats(std::vector<float> values) {
  return std::string(reinterpret_cast<const char *>(values.data()), values.size() * 4);
}
std::string message() { return ndr_last_error(); }
} // namespace

TEST(RuntimeNpy, WritesWhatNumpyWrites) {
  ScratchDir dir;
  const int64_t shape[] = {2, 3};
  const float data[6] = {1, 2, 3, 4, 5, 6};
  ASSERT_EQ(ndr_npy_write(dir.path("a.npy").c_str(), NDR_F32, 2, shape, data), NDR_OK);
  std::string bytes = readBytes(dir.path("a.npy"));
  // np.save(np.arange(1, 7, dtype=np.float32).reshape(2, 3)) gives a 118-byte
  // header, so the data starts at byte 128.
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  std::string header = dict + std::string(118 - dict.size() - 1, ' ') + "\n";
  EXPECT_EQ(bytes, npyV1(header, floats({1, 2, 3, 4, 5, 6})));
}

// When the dict already ends on a 64-byte boundary numpy still pads, with a
// full 64 spaces: this shape's dict is 117 bytes, 128 with the prefix and
// the newline.
TEST(RuntimeNpy, PadsLikeNumpyOnABoundary) {
  ScratchDir dir;
  std::vector<int64_t> shape(16, 10);
  shape[0] = 100;
  shape[15] = 0;
  ASSERT_EQ(ndr_npy_write(dir.path("z.npy").c_str(), NDR_F32, 16, shape.data(), nullptr),
            NDR_OK);
  std::string bytes = readBytes(dir.path("z.npy"));
  ASSERT_EQ(bytes.size(), 192u);
  EXPECT_EQ(bytes.substr(8, 2), le(182, 2));
  EXPECT_EQ(bytes.substr(10 + 117, 65), std::string(64, ' ') + "\n") << bytes;
  ndr_tensor_info info;
  void *data;
  ASSERT_EQ(ndr_npy_load(dir.path("z.npy").c_str(), &info, &data), NDR_OK) << message();
  EXPECT_EQ(info.rank, 16);
  EXPECT_EQ(info.nbytes, 0u);
  ndr_free(data);
}

TEST(RuntimeNpy, RoundTripsEveryDtypeAndRank) {
  ScratchDir dir;
  struct Case {
    ndr_dtype dtype;
    std::vector<int64_t> shape;
    const char *descr;
  } cases[] = {{NDR_F32, {}, "'<f4'"},        {NDR_F32, {5}, "'<f4'"},
               {NDR_F16, {2, 3, 4}, "'<f2'"}, {NDR_BF16, {3, 1}, "'<u2'"},
               {NDR_F32, {0, 4}, "'<f4'"},    {NDR_F16, {1, 1, 1, 1, 1, 1, 1, 1, 1, 2}, "'<f2'"}};
  for (const Case &c : cases) {
    int32_t rank = static_cast<int32_t>(c.shape.size());
    size_t count = 1;
    for (int64_t d : c.shape)
      count *= static_cast<size_t>(d);
    size_t bytes = count * ndr_dtype_size(c.dtype);
    std::vector<unsigned char> data(bytes);
    for (size_t i = 0; i < bytes; ++i)
      data[i] = static_cast<unsigned char>(i * 37 + 11);
    std::string path = dir.path("t.npy");
    ASSERT_EQ(ndr_npy_write(path.c_str(), c.dtype, rank, c.shape.data(), data.data()), NDR_OK)
        << message();
    std::string file = readBytes(path);
    EXPECT_EQ((file.size() - bytes) % 64, 0u);
    EXPECT_NE(file.find(c.descr), std::string::npos);

    std::vector<unsigned char> back(bytes + 1, 0xEE);
    ASSERT_EQ(ndr_npy_read(path.c_str(), c.dtype, rank, c.shape.data(), back.data()), NDR_OK)
        << message();
    EXPECT_TRUE(std::equal(data.begin(), data.end(), back.begin()));
    EXPECT_EQ(back[bytes], 0xEE);

    ndr_tensor_info info;
    void *loaded = nullptr;
    ASSERT_EQ(ndr_npy_load(path.c_str(), &info, &loaded), NDR_OK) << message();
    EXPECT_EQ(info.dtype, c.dtype);
    EXPECT_EQ(info.name, nullptr);
    ASSERT_EQ(info.rank, rank);
    for (int32_t i = 0; i < rank; ++i)
      EXPECT_EQ(info.shape[i], c.shape[i]);
    EXPECT_EQ(info.nbytes, bytes);
    EXPECT_EQ(info.data, loaded);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(loaded) % NDR_ALIGNMENT, 0u);
    EXPECT_TRUE(std::equal(data.begin(), data.end(), static_cast<unsigned char *>(loaded)));
    ndr_free(loaded);
  }
}

TEST(RuntimeNpy, ReadsHeaderVariants) {
  ScratchDir dir;
  std::string path = dir.path("v.npy");
  const int64_t shape[] = {2};
  std::string data = floats({1.5f, -2.0f});
  for (std::string dict : {
           "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n",
           "{\"shape\":(2,),\"fortran_order\":False,\"descr\":\"<f4\"}",
           "{ 'descr' : '<f4' , 'fortran_order' : False , 'shape' : ( 2 , ) }   \n",
           "{'descr': '<f4', 'fortran_order': False, 'shape': (2L,)}\n"}) {
    for (bool v2 : {false, true}) {
      writeBytes(path, v2 ? npyV2(dict, data) : npyV1(dict, data));
      float out[2] = {0, 0};
      ASSERT_EQ(ndr_npy_read(path.c_str(), NDR_F32, 1, shape, out), NDR_OK)
          << dict << ": " << message();
      EXPECT_EQ(out[0], 1.5f);
      EXPECT_EQ(out[1], -2.0f);
    }
  }
}

TEST(RuntimeNpy, ExpectedDtypeAndShapeAreChecked) {
  ScratchDir dir;
  std::string path = dir.path("x.npy");
  const int64_t actual[] = {8, 769};
  std::vector<float> data(8 * 769);
  ASSERT_EQ(ndr_npy_write(path.c_str(), NDR_F32, 2, actual, data.data()), NDR_OK);
  std::vector<float> out(8 * 769);

  const int64_t expected[] = {8, 768};
  EXPECT_EQ(ndr_npy_read(path.c_str(), NDR_F32, 2, expected, out.data()), NDR_ERR_SHAPE);
  EXPECT_EQ(message(), path + ": expected shape [8, 768], got [8, 769]");

  const int64_t longer[] = {8, 769, 1};
  EXPECT_EQ(ndr_npy_read(path.c_str(), NDR_F32, 3, longer, out.data()), NDR_ERR_SHAPE);
  EXPECT_EQ(message(), path + ": expected shape [8, 769, 1], got [8, 769]");

  EXPECT_EQ(ndr_npy_read(path.c_str(), NDR_F16, 2, actual, out.data()), NDR_ERR_DTYPE);
  EXPECT_EQ(message(), path + ": expected dtype f16, got f32");

  EXPECT_EQ(ndr_npy_read(path.c_str(), NDR_BF16, 2, actual, out.data()), NDR_ERR_DTYPE);
  EXPECT_EQ(message(), path + ": expected dtype bf16, got f32");

  const int64_t negative[] = {8, -1};
  EXPECT_EQ(ndr_npy_read(path.c_str(), NDR_F32, 2, negative, out.data()), NDR_ERR_ARG);
  EXPECT_EQ(ndr_npy_read(path.c_str(), NDR_F32, -1, actual, out.data()), NDR_ERR_ARG);
  EXPECT_EQ(ndr_npy_read(path.c_str(), NDR_F32, 2, actual, nullptr), NDR_ERR_ARG);
}

TEST(RuntimeNpy, MissingFileAndDirectory) {
  ScratchDir dir;
  std::string path = dir.path("absent.npy");
  float out;
  EXPECT_EQ(ndr_npy_read(path.c_str(), NDR_F32, 0, nullptr, &out), NDR_ERR_IO);
  EXPECT_EQ(message(), path + ": cannot open: No such file or directory");
  ndr_tensor_info info;
  void *data;
  EXPECT_EQ(ndr_npy_load(path.c_str(), &info, &data), NDR_ERR_IO);
  EXPECT_EQ(ndr_npy_read(dir.path("").c_str(), NDR_F32, 0, nullptr, &out), NDR_ERR_IO);
  EXPECT_EQ(ndr_npy_read(nullptr, NDR_F32, 0, nullptr, &out), NDR_ERR_ARG);
}

TEST(RuntimeNpy, MalformedFilesAreRejected) {
  ScratchDir dir;
  std::string path = dir.path("bad.npy");
  std::string good = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n";
  std::string two = floats({1, 2});
  struct Case {
    std::string bytes;
    const char *expected; // a part of the message
  } cases[] = {
      {"", "bad magic"},
      {"\x93NUM", "bad magic"},
      {"\x93NUMPX\x01\x00\x00\x00", "bad magic"},
      {magic + '\x03' + '\x00' + le(good.size(), 4) + good + two,
       "unsupported .npy version 3.0"},
      {magic + '\x01' + '\x01' + le(good.size(), 2) + good + two,
       "unsupported .npy version 1.1"},
      {magic + '\x02' + '\x00' + std::string("\x10\x00", 2), "truncated .npy header"},
      {magic + '\x01' + '\x00' + le(500, 2) + good + two, "header length 500 exceeds"},
      {magic + '\x02' + '\x00' + le(0xFFFFFFFF, 4) + good, "header length 4294967295"},
      {npyV1("", two), "expected '{'"},
      {npyV1("[1, 2]", two), "expected '{'"},
      {npyV1("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), ", two),
       "expected a string"},
      {npyV1("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} x", two),
       "unexpected text after the dict"},
      {npyV1("{'descr': '<f4' 'fortran_order': False, 'shape': (2,)}", two), "expected ','"},
      {npyV1("{'descr' '<f4', 'fortran_order': False, 'shape': (2,)}", two), "expected ':'"},
      {npyV1("{'descr': '<f4, 'fortran_order': False, 'shape': (2,)}", two), "expected ','"},
      {npyV1("{'descr': '<f4", two), "unterminated string"},
      {npyV1("{'descr': '\\<f4', 'fortran_order': False, 'shape': (2,)}", two),
       "unsupported character"},
      {npyV1("{descr: '<f4', 'fortran_order': False, 'shape': (2,)}", two), "expected a string"},
      // Python writes control characters in a string as escapes, and a
      // message must stay one line (the rule the fuzzers check).
      {npyV1("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'a\rb': 1}", two),
       "unsupported character"},
      {npyV1("{'descr': '<f4\x1b', 'fortran_order': False, 'shape': (2,)}", two),
       "unsupported character"},
      {npyV1("{'descr': '<f4\x7f', 'fortran_order': False, 'shape': (2,)}", two),
       "unsupported character"},
      {npyV1("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), '\t': 1}", two),
       "unsupported character"},
      {npyV1("{'descr': '<f4', 'fortran_order': False}", two), "header lacks 'shape'"},
      {npyV1("{'fortran_order': False, 'shape': (2,)}", two), "header lacks 'descr'"},
      {npyV1("{'descr': '<f4', 'shape': (2,)}", two), "header lacks 'fortran_order'"},
      {npyV1("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", two),
       "duplicate key 'descr'"},
      {npyV1("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", two),
       "unknown key 'x'"},
      {npyV1("{'descr': '<f4', 'fortran_order': True, 'shape': (2,)}", two),
       "fortran_order=True is not supported"},
      {npyV1("{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}", two),
       "expected True or False"},
      {npyV1("{'descr': '<f8', 'fortran_order': False, 'shape': (1,)}", two),
       "unsupported dtype '<f8'"},
      {npyV1("{'descr': '>f4', 'fortran_order': False, 'shape': (2,)}", two),
       "unsupported dtype '>f4'"},
      {npyV1("{'descr': '<i4', 'fortran_order': False, 'shape': (2,)}", two),
       "unsupported dtype '<i4'"},
      {npyV1("{'descr': '<f4', 'fortran_order': False, 'shape': 2}", two), "expected '('"},
      {npyV1("{'descr': '<f4', 'fortran_order': False, 'shape': (2)}", two),
       "needs a trailing comma"},
      {npyV1("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,)}", two),
       "expected a non-negative dimension"},
      {npyV1("{'descr': '<f4', 'fortran_order': False, 'shape': (2.0,)}", two),
       "expected ','"},
      {npyV1("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}", two),
       "dimension too large"},
      {npyV1("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296)}", two),
       "is too large"},
      {npyV1("{'descr': '<f4', 'fortran_order': False, 'shape': "
             "(1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,)}",
             two),
       "more than 16 dimensions"},
      {npyV1(good, two.substr(0, 7)), "truncated: shape [2] needs 8 data bytes, the file has 7"},
      {npyV1(good, two + "x"), "1 bytes of unexpected data after the array"},
  };
  for (const Case &c : cases) {
    writeBytes(path, c.bytes);
    float out[4];
    EXPECT_EQ(ndr_npy_read(path.c_str(), NDR_F32, 1, std::vector<int64_t>{2}.data(), out),
              NDR_ERR_FORMAT)
        << c.expected;
    EXPECT_NE(message().find(c.expected), std::string::npos)
        << "wanted '" << c.expected << "' in: " << message();
    EXPECT_EQ(message().rfind(path + ": ", 0), 0u) << message();
  }
}

// Cutting a valid file anywhere must give a clean error, never a crash or an
// out-of-bounds read (the sanitizer build checks the latter).
TEST(RuntimeNpy, EveryTruncationFails) {
  ScratchDir dir;
  std::string path = dir.path("t.npy");
  const int64_t shape[] = {3, 5};
  std::vector<float> data(15, 0.25f);
  ASSERT_EQ(ndr_npy_write(path.c_str(), NDR_F32, 2, shape, data.data()), NDR_OK);
  std::string bytes = readBytes(path);
  for (size_t size = 0; size < bytes.size(); ++size) {
    writeBytes(path, bytes.substr(0, size));
    std::vector<float> out(15);
    ASSERT_EQ(ndr_npy_read(path.c_str(), NDR_F32, 2, shape, out.data()), NDR_ERR_FORMAT)
        << size;
    ndr_tensor_info info;
    void *loaded;
    ASSERT_EQ(ndr_npy_load(path.c_str(), &info, &loaded), NDR_ERR_FORMAT) << size;
  }
}

TEST(RuntimeNpy, WriteErrors) {
  ScratchDir dir;
  const int64_t shape[] = {2};
  const int32_t ints[2] = {1, 2};
  EXPECT_EQ(ndr_npy_write(dir.path("i.npy").c_str(), NDR_I32, 1, shape, ints), NDR_ERR_DTYPE);
  EXPECT_EQ(message(), dir.path("i.npy") + ": .npy files hold f32, f16 or bf16, not i32");
  const int64_t negative[] = {-2};
  EXPECT_EQ(ndr_npy_write(dir.path("n.npy").c_str(), NDR_F32, 1, negative, ints), NDR_ERR_ARG);
  EXPECT_EQ(ndr_npy_write(dir.path("r.npy").c_str(), NDR_F32, 17, shape, ints), NDR_ERR_ARG);
  EXPECT_EQ(ndr_npy_write(dir.path("d.npy").c_str(), NDR_F32, 1, shape, nullptr), NDR_ERR_ARG);
  std::string nowhere = dir.path("no/such/dir/x.npy");
  EXPECT_EQ(ndr_npy_write(nowhere.c_str(), NDR_F32, 1, shape, ints), NDR_ERR_IO);
  EXPECT_EQ(message(), nowhere + ": cannot create: No such file or directory");
}
