// SafetensorsTest.cpp - safetensors writing, reading, lookups and every way a
// file can be wrong.
#include "TestFiles.h"
#include "runtime/ndr_runtime.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

using ndr_test::le;
using ndr_test::readBytes;
using ndr_test::ScratchDir;
using ndr_test::writeBytes;

namespace {
std::string message() { return ndr_last_error(); }

// A file from a header and a data buffer.
std::string file(const std::string &header, const std::string &data) {
  return le(header.size(), 8) + header + data;
}

class RuntimeSafetensors : public ::testing::Test {
protected:
  ScratchDir dir;
  ndr_safetensors *st = nullptr;
  void TearDown() override { ndr_safetensors_close(st); }

  ndr_status open(const std::string &bytes) {
    ndr_safetensors_close(st);
    st = nullptr;
    writeBytes(dir.path("p.safetensors"), bytes);
    return ndr_safetensors_open(dir.path("p.safetensors").c_str(), &st);
  }
};
} // namespace

TEST_F(RuntimeSafetensors, WritesStandardLayout) {
  const int64_t shape[] = {2};
  const float data[2] = {1.0f, 2.0f};
  ndr_safetensors_tensor t = {"a", NDR_F32, 1, shape, data};
  std::string path = dir.path("a.safetensors");
  ASSERT_EQ(ndr_safetensors_write(path.c_str(), &t, 1, nullptr, 0), NDR_OK) << message();
  std::string header = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  header.append((8 - header.size() % 8) % 8, ' ');
  EXPECT_EQ(readBytes(path),
            file(header, std::string(reinterpret_cast<const char *>(data), 8)));
}

TEST_F(RuntimeSafetensors, RoundTripsTensorsAndMetadata) {
  const int64_t wShape[] = {3, 4}, bShape[] = {4}, nShape[] = {0, 5};
  std::vector<float> w(12);
  for (int i = 0; i < 12; ++i)
    w[i] = i * 0.5f;
  std::vector<uint16_t> b = {1, 2, 3, 4};
  const int64_t steps = 17;
  ndr_safetensors_tensor tensors[] = {
      {"layer.w", NDR_F32, 2, wShape, w.data()},
      {"layer.b", NDR_BF16, 1, bShape, b.data()},
      {"bn.num_batches_tracked", NDR_I64, 0, nullptr, &steps},
      {"empty", NDR_F16, 2, nShape, nullptr},
      {"quote\"back\\slash\nnewline \xc3\xa9", NDR_F16, 1, bShape, b.data()},
  };
  const char *metadata[] = {"format", "pt", "note", "a \"quoted\" value"};
  std::string path = dir.path("p.safetensors");
  ASSERT_EQ(ndr_safetensors_write(path.c_str(), tensors, 5, metadata, 2), NDR_OK) << message();
  ASSERT_EQ(ndr_safetensors_open(path.c_str(), &st), NDR_OK) << message();

  ASSERT_EQ(ndr_safetensors_count(st), 5);
  ndr_tensor_info info;
  ASSERT_EQ(ndr_safetensors_entry(st, 0, &info), NDR_OK);
  EXPECT_STREQ(info.name, "layer.w"); // entries come in data buffer order
  EXPECT_EQ(info.nbytes, 48u);
  EXPECT_EQ(ndr_safetensors_entry(st, 5, &info), NDR_ERR_ARG);
  EXPECT_EQ(ndr_safetensors_entry(st, -1, &info), NDR_ERR_ARG);

  const void *mapped;
  ASSERT_EQ(ndr_safetensors_get(st, "layer.w", NDR_F32, 2, wShape, &mapped), NDR_OK);
  EXPECT_EQ(std::memcmp(mapped, w.data(), 48), 0);
  std::vector<float> copy(12);
  ASSERT_EQ(ndr_safetensors_read(st, "layer.w", NDR_F32, 2, wShape, copy.data()), NDR_OK);
  EXPECT_EQ(copy, w);
  std::vector<uint16_t> bBack(4);
  ASSERT_EQ(ndr_safetensors_read(st, "layer.b", NDR_BF16, 1, bShape, bBack.data()), NDR_OK);
  EXPECT_EQ(bBack, b);
  int64_t stepsBack = 0;
  ASSERT_EQ(ndr_safetensors_read(st, "bn.num_batches_tracked", NDR_I64, 0, nullptr, &stepsBack),
            NDR_OK);
  EXPECT_EQ(stepsBack, 17);
  ASSERT_EQ(ndr_safetensors_find(st, "empty", &info), NDR_OK);
  EXPECT_EQ(info.dtype, NDR_F16);
  EXPECT_EQ(info.rank, 2);
  EXPECT_EQ(info.shape[0], 0);
  EXPECT_EQ(info.shape[1], 5);
  EXPECT_EQ(info.nbytes, 0u);
  ASSERT_EQ(ndr_safetensors_find(st, "quote\"back\\slash\nnewline \xc3\xa9", &info), NDR_OK);
  EXPECT_EQ(std::memcmp(info.data, b.data(), 8), 0);

  EXPECT_STREQ(ndr_safetensors_metadata(st, "format"), "pt");
  EXPECT_STREQ(ndr_safetensors_metadata(st, "note"), "a \"quoted\" value");
  EXPECT_EQ(ndr_safetensors_metadata(st, "absent"), nullptr);
}

TEST_F(RuntimeSafetensors, LookupErrorsNameTheTensor) {
  const int64_t shape[] = {8, 769};
  std::vector<float> w(8 * 769);
  ndr_safetensors_tensor t = {"w1", NDR_F32, 2, shape, w.data()};
  std::string path = dir.path("params.safetensors");
  ASSERT_EQ(ndr_safetensors_write(path.c_str(), &t, 1, nullptr, 0), NDR_OK);
  ASSERT_EQ(ndr_safetensors_open(path.c_str(), &st), NDR_OK);
  const void *data;
  const int64_t expected[] = {8, 768};

  EXPECT_EQ(ndr_safetensors_get(st, "w2", NDR_F32, 2, expected, &data), NDR_ERR_MISSING);
  EXPECT_EQ(message(), path + ": missing tensor 'w2'");
  ndr_tensor_info info;
  EXPECT_EQ(ndr_safetensors_find(st, "w2", &info), NDR_ERR_MISSING);
  EXPECT_EQ(ndr_safetensors_find(st, nullptr, &info), NDR_ERR_ARG);

  EXPECT_EQ(ndr_safetensors_get(st, "w1", NDR_F32, 2, expected, &data), NDR_ERR_SHAPE);
  EXPECT_EQ(message(), path + ": tensor 'w1': expected shape [8, 768], got [8, 769]");
  EXPECT_EQ(ndr_safetensors_read(st, "w1", NDR_F32, 2, expected, w.data()), NDR_ERR_SHAPE);

  EXPECT_EQ(ndr_safetensors_get(st, "w1", NDR_BF16, 2, shape, &data), NDR_ERR_DTYPE);
  EXPECT_EQ(message(), path + ": tensor 'w1': expected dtype bf16, got f32");
  EXPECT_EQ(ndr_safetensors_read(st, "w1", NDR_F32, 2, shape, nullptr), NDR_ERR_ARG);
}

TEST_F(RuntimeSafetensors, ParsesHandWrittenJson) {
  // Whitespace everywhere, escapes, a surrogate pair, keys in any order,
  // metadata first, an empty metadata object would be fine too.
  std::string header = " {\n \"__metadata__\" : { } ,\r\n\t\"b\\u00e9\\ud83d\\ude00\\/x\" : "
                       "{ \"shape\" : [ 1 ] , \"data_offsets\" : [ 4 , 6 ] , "
                       "\"dtype\" : \"F16\" } , \"a\":{\"data_offsets\":[0,4],"
                       "\"dtype\":\"U8\",\"shape\":[2,2]}}    ";
  // The header must start with '{': drop the leading space.
  header.erase(0, 1);
  ASSERT_EQ(open(file(header, "abcdxy")), NDR_OK) << message();
  ndr_tensor_info info;
  ASSERT_EQ(ndr_safetensors_find(st, "b\xc3\xa9\xf0\x9f\x98\x80/x", &info), NDR_OK) << message();
  EXPECT_EQ(info.dtype, NDR_F16);
  EXPECT_EQ(std::string(static_cast<const char *>(info.data), 2), "xy");
  ASSERT_EQ(ndr_safetensors_entry(st, 0, &info), NDR_OK);
  EXPECT_STREQ(info.name, "a");
  EXPECT_EQ(info.dtype, NDR_U8);

  ASSERT_EQ(open(file("{}", "")), NDR_OK) << message();
  EXPECT_EQ(ndr_safetensors_count(st), 0);
}

TEST_F(RuntimeSafetensors, MalformedHeadersAreRejected) {
  const std::string ok = R"("dtype":"F32","shape":[2],"data_offsets":[0,8])";
  const std::string eight(8, 'x');
  struct Case {
    std::string header;
    std::string data;
    const char *expected;
  } cases[] = {
      {"[]", "", "header does not start with '{'"},
      {" {}", "", "header does not start with '{'"},
      {"{", "", "expected a string"},
      {R"({"a":{)" + ok + "}", eight, "expected ',' or '}'"},
      {R"({"a":{)" + ok + "},}", eight, "expected a string"},
      {R"({"a" {)" + ok + "}}", eight, "expected ':'"},
      {R"({'a':{)" + ok + "}}", eight, "expected a string"},
      {R"({"a":{)" + ok + "}} x", eight, "unexpected text after the header object"},
      {R"({"a":{)" + ok + "}}{}", eight, "unexpected text after the header object"},
      {R"({"a":[]})", eight, "expected '{'"},
      {R"({"a":{"dtype":"F32","shape":[2]}})", eight, "lacks 'data_offsets'"},
      {R"({"a":{"shape":[2],"data_offsets":[0,8]}})", eight, "lacks 'dtype'"},
      {R"({"a":{"dtype":"F32","data_offsets":[0,8]}})", eight, "lacks 'shape'"},
      {R"({"a":{"dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8]}})", eight,
       "duplicate field 'dtype'"},
      {R"({"a":{)" + ok + R"(,"extra":1}})", eight, "unknown field 'extra'"},
      {R"({"a":{"dtype":"F4","shape":[2],"data_offsets":[0,8]}})", eight,
       "unsupported dtype 'F4'"},
      {R"({"a":{"dtype":"f32","shape":[2],"data_offsets":[0,8]}})", eight,
       "unsupported dtype 'f32'"},
      {R"({"a":{"dtype":F32,"shape":[2],"data_offsets":[0,8]}})", eight, "expected a string"},
      {R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", eight,
       "expected a non-negative integer"},
      {R"({"a":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}})", eight,
       "expected an integer"},
      {R"({"a":{"dtype":"F32","shape":[2e0],"data_offsets":[0,8]}})", eight,
       "expected an integer"},
      {R"({"a":{"dtype":"F32","shape":[02],"data_offsets":[0,8]}})", eight, "leading zero"},
      {R"({"a":{"dtype":"F32","shape":[2,],"data_offsets":[0,8]}})", eight,
       "expected a non-negative integer"},
      {R"({"a":{"dtype":"F32","shape":[2 2],"data_offsets":[0,8]}})", eight,
       "expected ',' or ']'"},
      {R"({"a":{"dtype":"F32","shape":[99999999999999999999],"data_offsets":[0,8]}})", eight,
       "integer too large"},
      {R"({"a":{"dtype":"F32","shape":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1],"data_offsets":[0,4]}})",
       "xxxx", "array longer than 16"},
      {R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0]}})", eight,
       "data_offsets of tensor 'a' must have 2 entries"},
      {R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8,9]}})", eight,
       "must have 2 entries"},
      {R"({"a\q":{)" + ok + "}}", eight, "bad escape"},
      {R"({"a\u00g0":{)" + ok + "}}", eight, "bad \\u escape"},
      {R"({"a\u00)", "", "truncated \\u escape"},
      {R"({"a\u0000":{)" + ok + "}}", eight, "NUL character"},
      {R"({"a\udc00":{)" + ok + "}}", eight, "unpaired surrogate"},
      {R"({"a\ud800x":{)" + ok + "}}", eight, "unpaired surrogate"},
      {R"({"a\ud800\u0041":{)" + ok + "}}", eight, "unpaired surrogate"},
      {"{\"a\tb\":{" + ok + "}}", eight, "control character in string"},
      {R"({"a)", "", "unterminated string"},
      {R"({"__metadata__":{"k":1}})", "", "expected a string"},
      {R"({"__metadata__":{"k":"v"},"__metadata__":{}})", "", "duplicate __metadata__"},
      {R"({"__metadata__":[]})", "", "expected '{'"},
      {R"({"a":{)" + ok + R"(},"a":{)" + ok + "}}", eight + eight, "tensor 'a' appears twice"},
      {R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,12]}})", eight,
       "data_offsets [0, 12] out of range (data buffer has 8 bytes)"},
      {R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", eight, "out of range"},
      {R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})", eight,
       "shape [2] of f32 needs 8 bytes, data_offsets [0, 4] hold 4"},
      {R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}})", eight,
       "shape too large"},
      {R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
       R"("b":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}})",
       eight, "tensor 'b' overlaps the previous tensor (data_offsets begin at 2, expected 4)"},
      {R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", eight,
       "tensor 'a' leaves a gap before it (data_offsets begin at 4, expected 0)"},
      {R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", eight,
       "the data buffer has 8 bytes but the tensors cover 4"},
      {R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
       R"("b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
       "xxxx", "tensor 'b' overlaps the previous tensor"},
  };
  for (const Case &c : cases) {
    EXPECT_EQ(open(file(c.header, c.data)), NDR_ERR_FORMAT) << c.header;
    EXPECT_EQ(st, nullptr);
    EXPECT_NE(message().find(c.expected), std::string::npos)
        << "wanted '" << c.expected << "' in: " << message();
    EXPECT_EQ(message().rfind(dir.path("p.safetensors") + ": ", 0), 0u) << message();
  }
}

// A tensor name may hold any character (JSON escapes), but a message stays
// one line: control characters and backslashes in names are escaped there.
// Found by ndr-safetensors-fuzzer.
TEST_F(RuntimeSafetensors, MessagesEscapeControlCharactersInNames) {
  const std::string spec = R"("dtype":"F32","shape":[1],"data_offsets":[0,4])";
  const std::string name = R"(a\nb\u001b\\c\t)";
  ASSERT_EQ(open(file("{\"" + name + "\":{" + spec + "},\"" + name + "\":{" + spec + "}}",
                      "xxxxxxxx")),
            NDR_ERR_FORMAT);
  EXPECT_EQ(message(), dir.path("p.safetensors") + R"(: tensor 'a\nb\x1b\\c\t' appears twice)");

  ASSERT_EQ(open(file("{\"" + name + "\":{" + spec + "}}", "xxxx")), NDR_OK) << message();
  const int64_t shape[] = {1};
  const void *data;
  EXPECT_EQ(ndr_safetensors_get(st, "a\nb\x1b\\c\t", NDR_F16, 1, shape, &data), NDR_ERR_DTYPE);
  EXPECT_EQ(message(), dir.path("p.safetensors") +
                           R"(: tensor 'a\nb\x1b\\c\t': expected dtype f16, got f32)");
  EXPECT_EQ(ndr_safetensors_get(st, "a\x7f", NDR_F32, 1, shape, &data), NDR_ERR_MISSING);
  EXPECT_EQ(message(), dir.path("p.safetensors") + R"(: missing tensor 'a\x7f')");
}

TEST_F(RuntimeSafetensors, BadPrefixAndMissingFile) {
  EXPECT_EQ(open(""), NDR_ERR_FORMAT);
  EXPECT_NE(message().find("not a safetensors file (0 bytes)"), std::string::npos) << message();
  EXPECT_EQ(open("1234567"), NDR_ERR_FORMAT);
  EXPECT_EQ(open(le(0, 8)), NDR_ERR_FORMAT);
  EXPECT_NE(message().find("header length 0 does not fit"), std::string::npos) << message();
  EXPECT_EQ(open(le(100, 8) + "{}"), NDR_ERR_FORMAT);
  EXPECT_NE(message().find("header length 100 does not fit the file (10 bytes)"),
            std::string::npos)
      << message();
  EXPECT_EQ(open(le(~0ull, 8) + "{}"), NDR_ERR_FORMAT);

  std::string absent = dir.path("absent.safetensors");
  EXPECT_EQ(ndr_safetensors_open(absent.c_str(), &st), NDR_ERR_IO);
  EXPECT_EQ(message(), absent + ": cannot open: No such file or directory");
  EXPECT_EQ(st, nullptr);
  EXPECT_EQ(ndr_safetensors_open(dir.path("").c_str(), &st), NDR_ERR_IO);
  EXPECT_EQ(ndr_safetensors_open(nullptr, &st), NDR_ERR_ARG);
}

TEST_F(RuntimeSafetensors, EveryTruncationFails) {
  const int64_t shape[] = {3};
  const float a[3] = {1, 2, 3};
  const uint16_t b[3] = {4, 5, 6};
  ndr_safetensors_tensor tensors[] = {{"a", NDR_F32, 1, shape, a}, {"b", NDR_F16, 1, shape, b}};
  const char *metadata[] = {"k", "v"};
  std::string path = dir.path("full.safetensors");
  ASSERT_EQ(ndr_safetensors_write(path.c_str(), tensors, 2, metadata, 1), NDR_OK);
  std::string bytes = readBytes(path);
  ASSERT_EQ(open(bytes), NDR_OK) << message();
  for (size_t size = 0; size < bytes.size(); ++size) {
    ASSERT_EQ(open(bytes.substr(0, size)), NDR_ERR_FORMAT) << size;
  }
  // Cutting the header short while keeping its length field consistent.
  uint64_t headerSize;
  std::memcpy(&headerSize, bytes.data(), 8);
  for (uint64_t cut = 1; cut < headerSize; ++cut)
    ASSERT_EQ(open(le(cut, 8) + bytes.substr(8, cut)), NDR_ERR_FORMAT) << cut;
}

TEST_F(RuntimeSafetensors, WriteErrors) {
  const int64_t shape[] = {2}, negative[] = {-1};
  const float data[2] = {1, 2};
  std::string path = dir.path("w.safetensors");
  ndr_safetensors_tensor twice[] = {{"a", NDR_F32, 1, shape, data}, {"a", NDR_F32, 1, shape, data}};
  EXPECT_EQ(ndr_safetensors_write(path.c_str(), twice, 2, nullptr, 0), NDR_ERR_ARG);
  EXPECT_EQ(message(), path + ": tensor 1 has a null, reserved or repeated name");
  ndr_safetensors_tensor reserved = {"__metadata__", NDR_F32, 1, shape, data};
  EXPECT_EQ(ndr_safetensors_write(path.c_str(), &reserved, 1, nullptr, 0), NDR_ERR_ARG);
  ndr_safetensors_tensor noData = {"a", NDR_F32, 1, shape, nullptr};
  EXPECT_EQ(ndr_safetensors_write(path.c_str(), &noData, 1, nullptr, 0), NDR_ERR_ARG);
  EXPECT_EQ(message(), path + ": tensor 'a' has an invalid dtype, shape or data");
  ndr_safetensors_tensor badShape = {"a", NDR_F32, 1, negative, data};
  EXPECT_EQ(ndr_safetensors_write(path.c_str(), &badShape, 1, nullptr, 0), NDR_ERR_ARG);
  ndr_safetensors_tensor badDtype = {"a", static_cast<ndr_dtype>(15), 1, shape, data};
  EXPECT_EQ(ndr_safetensors_write(path.c_str(), &badDtype, 1, nullptr, 0), NDR_ERR_ARG);
  const char *nullValue[] = {"k", nullptr};
  ndr_safetensors_tensor good = {"a", NDR_F32, 1, shape, data};
  EXPECT_EQ(ndr_safetensors_write(path.c_str(), &good, 1, nullValue, 1), NDR_ERR_ARG);
  EXPECT_EQ(ndr_safetensors_write(path.c_str(), nullptr, 1, nullptr, 0), NDR_ERR_ARG);
  std::string nowhere = dir.path("no/dir/w.safetensors");
  EXPECT_EQ(ndr_safetensors_write(nowhere.c_str(), &good, 1, nullptr, 0), NDR_ERR_IO);
  EXPECT_EQ(message(), nowhere + ": cannot create: No such file or directory");
  // Metadata alone is a valid file.
  const char *metadata[] = {"k", "v"};
  ASSERT_EQ(ndr_safetensors_write(path.c_str(), nullptr, 0, metadata, 1), NDR_OK);
  ASSERT_EQ(ndr_safetensors_open(path.c_str(), &st), NDR_OK) << message();
  EXPECT_STREQ(ndr_safetensors_metadata(st, "k"), "v");
}
