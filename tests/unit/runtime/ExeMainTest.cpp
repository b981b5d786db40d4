// ExeMainTest.cpp - ndr_exe_main, the command line of a generated executable,
// end to end on the model of TestModel.c: files in and out, summaries,
// --bench, --help, and one `error:` line for every bad argument or file, with
// the failure's ndr_status as the exit code (docs/errors.md).
#include "TestFiles.h"
#include "TestModel.h"
#include "runtime/ndr_model.h"

#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

using ndr_test::expectedY;
using ndr_test::readBytes;
using ndr_test::ScratchDir;
using ndr_test::writeBytes;

namespace {
const int64_t xShape[] = {2, 3};
const int64_t vec3[] = {3};
const float x[6] = {1, 2, 3, 4, 5, 6};

struct Result {
  int code;
  std::string out, err;
};

// Calls ndr_exe_main with argv = {"test", args...}, capturing stdout and stderr.
Result runMain(const std::vector<std::string> &args,
               const ndr_model_desc *desc = &ndr_test_model) {
  std::vector<std::string> strings = {"test"};
  strings.insert(strings.end(), args.begin(), args.end());
  std::vector<char *> argv;
  for (std::string &s : strings)
    argv.push_back(s.data());
  argv.push_back(nullptr);
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  int code = ndr_exe_main(desc, static_cast<int>(strings.size()), argv.data());
  std::string err = testing::internal::GetCapturedStderr();
  return {code, testing::internal::GetCapturedStdout(), err};
}

std::vector<float> readF32(const std::string &path, int32_t rank, const int64_t *shape) {
  int64_t n = 1;
  for (int32_t i = 0; i < rank; ++i)
    n *= shape[i];
  std::vector<float> data(n);
  EXPECT_EQ(ndr_npy_read(path.c_str(), NDR_F32, rank, shape, data.data()), NDR_OK)
      << ndr_last_error();
  return data;
}

class RuntimeExeMain : public ::testing::Test {
protected:
  ScratchDir dir;
  std::string xPath = dir.path("x.npy");
  // w = {1, 2, 3}, g = 2, b = 0.5: y = (x * w + 2 * w) * 2 + 0.5, exact.
  std::string paramsPath = dir.path("p.safetensors");
  const float w[3] = {1, 2, 3};
  const uint16_t g[3] = {0x4000, 0x4000, 0x4000};
  const uint16_t b[3] = {0x3800, 0x3800, 0x3800};

  void SetUp() override {
    ASSERT_EQ(ndr_npy_write(xPath.c_str(), NDR_F32, 2, xShape, x), NDR_OK);
    ndr_safetensors_tensor params[] = {{"w", NDR_F32, 1, vec3, w},
                                       {"g", NDR_BF16, 1, vec3, g},
                                       {"b", NDR_F16, 1, vec3, b}};
    ASSERT_EQ(ndr_safetensors_write(paramsPath.c_str(), params, 3, nullptr, 0), NDR_OK);
  }
};
} // namespace

TEST_F(RuntimeExeMain, ReadsInputsAndWritesOutputs) {
  std::string yPath = dir.path("y.npy"), zPath = dir.path("z.npy");
  Result r = runMain({"--input", "x=" + xPath, "--output", "y=" + yPath,
                      "--output=z=" + zPath, "--seed", "5"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "");
  std::vector<float> w = std::vector<float>(3);
  ndr_fill_normal(w.data(), 3, 0.5f, 5, NDR_PARAM_STREAM + 0);
  const float ones[3] = {1, 1, 1}, zeros[3] = {0, 0, 0};
  EXPECT_EQ(readF32(yPath, 2, xShape), expectedY(x, w.data(), ones, zeros));
  const int64_t zShape[] = {1};
  EXPECT_EQ(readF32(zPath, 1, zShape), std::vector<float>{5.0f});
}

TEST_F(RuntimeExeMain, DrawsInputsNotGivenFromTheSeed) {
  std::string yPath = dir.path("y.npy");
  Result r = runMain({"--params", paramsPath, "--output", "y=" + yPath, "--seed", "3"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::vector<float> drawn(6);
  ndr_fill_normal(drawn.data(), 6, 1.0f, 3, NDR_INPUT_STREAM + 0);
  const float gf[3] = {2, 2, 2}, bf[3] = {0.5f, 0.5f, 0.5f};
  EXPECT_EQ(readF32(yPath, 2, xShape), expectedY(drawn.data(), w, gf, bf));
  EXPECT_EQ(r.out, "z: f32[1] = [3] sum 3\n");
}

TEST_F(RuntimeExeMain, SummarisesOutputsNotWritten) {
  Result r = runMain({"--params", paramsPath, "--input", "x=" + xPath});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "y: f32[2, 3] = [6.5, 16.5, 30.5, 12.5, ...] sum 143\n"
                   "z: f32[1] = [0] sum 0\n");
  EXPECT_EQ(r.err, "");
}

TEST_F(RuntimeExeMain, BenchTimesRunsAfterOneWarmUp) {
  int runCalls = ndr_test_model_run_calls();
  Result r = runMain({"--bench", "3", "--output", "y=" + dir.path("y.npy"), "--output",
                      "z=" + dir.path("z.npy")});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(ndr_test_model_run_calls(), runCalls + 4);
  // x 24 + w 12 + g 6 + b 6 + d 12 + y 24 + z 4 bytes.
  EXPECT_TRUE(std::regex_match(
      r.out, std::regex("bench: 3 runs, median [0-9]+\\.[0-9]{3} us, min [0-9]+\\.[0-9]{3} "
                        "us per run, ([0-9]+\\.[0-9]{2}|inf) GB/s \\(88 bytes per run\\)\n")))
      << r.out;
}

TEST_F(RuntimeExeMain, HelpListsTensors) {
  Result r = runMain({"--help"});
  ASSERT_EQ(r.code, 0);
  EXPECT_EQ(r.err, "");
  for (const char *text :
       {"usage: test [--params FILE.safetensors] [--input NAME=FILE.npy]...",
        "inputs:\n  x  f32[2, 3]\n", "outputs:\n  y  f32[2, 3]\n  z  f32[1]\n",
        "params:\n  w  f32[3]  = normal(0.5)\n  g  bf16[3]  = ones\n  b  f16[3]  = zeros\n",
        "  d  f32[3]\n", "GB/s", "inputs + params + derived + outputs",
        "exit status: 0, or after one line 'error: MESSAGE' on stderr:\n"
        "  1  I/O error\n  2  format error\n  3  shape mismatch\n  4  dtype mismatch\n"
        "  5  missing tensor\n  6  invalid argument\n  7  out of memory\n"})
    EXPECT_NE(r.out.find(text), std::string::npos) << text << "\nin:\n" << r.out;
}

TEST_F(RuntimeExeMain, ParamWithoutDefaultNeedsParams) {
  std::vector<ndr_tensor_desc> params(ndr_test_model.params, ndr_test_model.params + 3);
  params[0].init = NDR_INIT_NONE;
  ndr_model_desc desc = ndr_test_model;
  desc.params = params.data();
  Result r = runMain({}, &desc);
  EXPECT_EQ(r.code, NDR_ERR_MISSING);
  EXPECT_EQ(r.err,
            "error: model 'test': parameter 'w' has no default value; give a params file\n");
  EXPECT_NE(runMain({"--help"}, &desc).out.find("w  f32[3]  (no default: needs --params)"),
            std::string::npos);
  EXPECT_EQ(runMain({"--params", paramsPath}, &desc).code, 0);
}

namespace {
struct BadCase {
  std::vector<std::string> args; // "@" stands for the scratch directory
  ndr_status status;             // the exit code
  std::string error;             // the whole message after "error: "
};

const BadCase badCases[] = {
    {{"--frobnicate"}, NDR_ERR_ARG, "unknown option '--frobnicate' (see --help)"},
    {{"-x"}, NDR_ERR_ARG, "unknown option '-x' (see --help)"},
    {{"stray"}, NDR_ERR_ARG, "unexpected argument 'stray' (see --help)"},
    {{"--seed"}, NDR_ERR_ARG, "--seed needs a value"},
    {{"--params="}, NDR_ERR_ARG, "--params needs a value"},
    {{"--seed", "abc"}, NDR_ERR_ARG, "--seed: 'abc' is not an integer in [0, 2^64)"},
    {{"--seed", "-1"}, NDR_ERR_ARG, "--seed: '-1' is not an integer in [0, 2^64)"},
    {{"--seed", "18446744073709551616"}, NDR_ERR_ARG,
     "--seed: '18446744073709551616' is not an integer in [0, 2^64)"},
    {{"--bench", "0"}, NDR_ERR_ARG, "--bench: '0' is not an integer in [1, 10000000]"},
    {{"--bench", "2x"}, NDR_ERR_ARG, "--bench: '2x' is not an integer in [1, 10000000]"},
    {{"--input", "x"}, NDR_ERR_ARG, "--input expects NAME=FILE, got 'x'"},
    {{"--input", "=a.npy"}, NDR_ERR_ARG, "--input expects NAME=FILE, got '=a.npy'"},
    {{"--input", "w=a.npy"}, NDR_ERR_ARG, "--input: model 'test' has no input 'w' (inputs: x)"},
    {{"--output", "x=a.npy"}, NDR_ERR_ARG, "--output: model 'test' has no output 'x' (outputs: y, z)"},
    {{"--output", "y=a.npy", "--output", "y=b.npy"}, NDR_ERR_ARG, "--output: output 'y' given twice"},
    {{"--input", "x=@/absent.npy"}, NDR_ERR_IO,
     "input 'x': @/absent.npy: cannot open: No such file or directory"},
    {{"--input", "x=@/short.npy"}, NDR_ERR_FORMAT,
     "input 'x': @/short.npy: truncated: shape [2, 3] needs 24 data bytes, the file has 20"},
    {{"--input", "x=@/f16.npy"}, NDR_ERR_DTYPE, "input 'x': @/f16.npy: expected dtype f32, got f16"},
    {{"--input", "x=@/shape.npy"}, NDR_ERR_SHAPE, "input 'x': @/shape.npy: expected shape [2, 3], got [3, 2]"},
    {{"--input", "x=@/garbage.npy"}, NDR_ERR_FORMAT, "input 'x': @/garbage.npy: not a .npy file (bad magic)"},
    {{"--params", "@/absent.safetensors"}, NDR_ERR_IO,
     "@/absent.safetensors: cannot open: No such file or directory"},
    {{"--params", "@/garbage.safetensors"}, NDR_ERR_FORMAT,
     "@/garbage.safetensors: header does not start with '{'"},
    {{"--params", "@/no-b.safetensors"}, NDR_ERR_MISSING,
     "@/no-b.safetensors: missing parameter 'b' (f16[3]) of model 'test'"},
    {{"--params", "@/w4.safetensors"}, NDR_ERR_SHAPE,
     "@/w4.safetensors: tensor 'w': expected shape [3], got [4]"},
    {{"--output", "y=@/absent/y.npy"}, NDR_ERR_IO,
     "output 'y': @/absent/y.npy: cannot create: No such file or directory"},
};

std::string expand(std::string text, const std::string &root) {
  for (size_t at; (at = text.find('@')) != std::string::npos;)
    text.replace(at, 1, root);
  return text;
}
} // namespace

TEST_F(RuntimeExeMain, BadArgumentsAndFilesEndInOneErrorLine) {
  const int64_t transposed[] = {3, 2}, vec4[] = {4};
  const uint16_t halves[6] = {};
  const float w4[4] = {};
  ASSERT_EQ(ndr_npy_write(dir.path("f16.npy").c_str(), NDR_F16, 2, xShape, halves), NDR_OK);
  ASSERT_EQ(ndr_npy_write(dir.path("shape.npy").c_str(), NDR_F32, 2, transposed, x), NDR_OK);
  std::string npy = readBytes(xPath);
  writeBytes(dir.path("short.npy"), npy.substr(0, npy.size() - 4));
  writeBytes(dir.path("garbage.npy"), "not numpy at all");
  writeBytes(dir.path("garbage.safetensors"), ndr_test::le(4, 8) + "[1,]");
  ndr_safetensors_tensor noB[] = {{"w", NDR_F32, 1, vec3, w}, {"g", NDR_BF16, 1, vec3, g}};
  ASSERT_EQ(ndr_safetensors_write(dir.path("no-b.safetensors").c_str(), noB, 2, nullptr, 0),
            NDR_OK);
  ndr_safetensors_tensor wrongW[] = {{"w", NDR_F32, 1, vec4, w4},
                                     {"g", NDR_BF16, 1, vec3, g},
                                     {"b", NDR_F16, 1, vec3, b}};
  ASSERT_EQ(ndr_safetensors_write(dir.path("w4.safetensors").c_str(), wrongW, 3, nullptr, 0),
            NDR_OK);

  std::string root = dir.path("");
  root.pop_back(); // no trailing '/'
  for (const BadCase &c : badCases) {
    std::vector<std::string> args;
    for (const std::string &arg : c.args)
      args.push_back(expand(arg, root));
    Result r = runMain(args);
    EXPECT_EQ(r.code, c.status) << c.error;
    EXPECT_EQ(r.err, "error: " + expand(c.error, root) + "\n");
    EXPECT_EQ(r.out, "") << c.error;
  }
}

TEST_F(RuntimeExeMain, InvalidDescriptorIsAnError) {
  ndr_model_desc desc = ndr_test_model;
  desc.run = nullptr;
  Result r = runMain({}, &desc);
  EXPECT_EQ(r.code, NDR_ERR_ARG);
  EXPECT_EQ(r.err, "error: model 'test': no run function\n");
  r = runMain({}, nullptr);
  EXPECT_EQ(r.code, NDR_ERR_ARG);
  EXPECT_EQ(r.err, "error: no model descriptor\n");
}
