// NpyCmpTest.cpp - the ndr-npycmp tool, run as a process: exit codes and
// output for matching and mismatching files (NDR_NPYCMP is its path).
#include "TestFiles.h"
#include "runtime/ndr_runtime.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <sys/wait.h>
#include <vector>

using ndr_test::ScratchDir;

namespace {
struct Result {
  int code;
  std::string out; // stdout and stderr
};

Result npycmp(const std::string &args) {
  std::string command = std::string(NDR_NPYCMP) + " " + args + " 2>&1";
  FILE *pipe = popen(command.c_str(), "r");
  if (!pipe)
    return {-1, "popen failed"};
  std::string out;
  char buffer[256];
  for (size_t n; (n = fread(buffer, 1, sizeof(buffer), pipe)) > 0;)
    out.append(buffer, n);
  int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

class NpyCmp : public ::testing::Test {
protected:
  ScratchDir dir;
  const int64_t shape23[2] = {2, 3};

  std::string f32(const std::string &name, const std::vector<float> &values,
                  const int64_t *shape = nullptr) {
    std::string path = dir.path(name);
    EXPECT_EQ(ndr_npy_write(path.c_str(), NDR_F32, 2, shape ? shape : shape23,
                            values.data()),
              NDR_OK);
    return path;
  }
  std::string bits16(const std::string &name, ndr_dtype dtype,
                     const std::vector<uint16_t> &values) {
    std::string path = dir.path(name);
    const int64_t shape[] = {static_cast<int64_t>(values.size())};
    EXPECT_EQ(ndr_npy_write(path.c_str(), dtype, 1, shape, values.data()), NDR_OK);
    return path;
  }
};
} // namespace

TEST_F(NpyCmp, EqualFilesMatch) {
  std::string e = f32("e.npy", {1, 2, 3, 4, 5, 6});
  EXPECT_EQ(npycmp(e + " " + e).code, 0);
  Result r = npycmp(f32("a.npy", {1, 2, 3, 4, 5.00004f, 6}) + " " + e);
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, "ndr-npycmp: 6 elements match (f32, rtol 1e-05, atol 1e-06)\n");
}

TEST_F(NpyCmp, MismatchReportsCountAndWorstElement) {
  std::string e = f32("e.npy", {1, 2, 3, 4, 5, 6});
  std::string a = f32("a.npy", {1, 2, 3, 4.5f, 5, 6.001f});
  Result r = npycmp(a + " " + e);
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "ndr-npycmp: 2 of 6 elements differ (f32, rtol 1e-05, atol 1e-06)\n"
                   "ndr-npycmp: worst at [1, 0] (flat index 3): actual 4.5, expected 4 "
                   "(diff 0.5, allowed 4.1e-05)\n");
  EXPECT_EQ(npycmp(a + " " + e + " --rtol 0.2").code, 0);
  EXPECT_EQ(npycmp(a + " " + e + " --atol=0.5").code, 0);
  EXPECT_EQ(npycmp(a + " " + e + " --atol=0.4").code, 1);
}

TEST_F(NpyCmp, NanMatchesOnlyNanAndInfinitiesMatchThemselves) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  std::string e = f32("e.npy", {nan, inf, -inf, 0, 1, 2});
  EXPECT_EQ(npycmp(f32("a.npy", {nan, inf, -inf, -0.0f, 1, 2}) + " " + e).code, 0);
  Result r = npycmp(f32("b.npy", {1, inf, -inf, 0, 1, 2}) + " " + e + " --rtol 1e30");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("worst at [0, 0] (flat index 0): actual 1, expected nan "
                       "(not finite)"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(npycmp(f32("c.npy", {nan, 3e38f, -inf, 0, 1, 2}) + " " + e + " --rtol 1e30")
                .code,
            1);
}

TEST_F(NpyCmp, HalfTypesCompareInUlps) {
  // f16 1.0 is 0x3c00; 0x0001 and 0x8001 are the smallest subnormals.
  std::string e = bits16("e.npy", NDR_F16, {0x3c00, 0x0001});
  EXPECT_EQ(npycmp(bits16("a.npy", NDR_F16, {0x3c01, 0x0000}) + " " + e).code, 0);
  Result r = npycmp(bits16("b.npy", NDR_F16, {0x3c02, 0x8001}) + " " + e);
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "ndr-npycmp: 2 of 2 elements differ (f16, ulp 1)\n"
                   "ndr-npycmp: worst at [0] (flat index 0): actual 1.00195312, "
                   "expected 1 (diff 2 ulp)\n");
  EXPECT_EQ(npycmp(bits16("b.npy", NDR_F16, {0x3c02, 0x8001}) + " " + e + " --ulp 2").code,
            0);
  // bf16 1.0 is 0x3f80; in .npy it is '<u2'.
  std::string eb = bits16("eb.npy", NDR_BF16, {0x3f80});
  EXPECT_EQ(npycmp(bits16("ab.npy", NDR_BF16, {0x3f83}) + " " + eb + " --ulp 3").code, 0);
  EXPECT_EQ(npycmp(bits16("ab.npy", NDR_BF16, {0x3f83}) + " " + eb).code, 1);
}

TEST_F(NpyCmp, DifferentShapeOrDtypeIsAMismatch) {
  const int64_t shape32[] = {3, 2};
  std::string e = f32("e.npy", {1, 2, 3, 4, 5, 6});
  Result r = npycmp(f32("a.npy", {1, 2, 3, 4, 5, 6}, shape32) + " " + e);
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "ndr-npycmp: shape differs: actual [3, 2], expected [2, 3]\n");
  r = npycmp(bits16("h.npy", NDR_F16, {0x3c00}) + " " + e);
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "ndr-npycmp: dtype differs: actual f16, expected f32\n");
}

TEST_F(NpyCmp, BadArgumentsAndFilesExitTwo) {
  std::string e = f32("e.npy", {1, 2, 3, 4, 5, 6});
  std::string absent = dir.path("absent.npy");
  Result r = npycmp(absent + " " + e);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "ndr-npycmp: error: " + absent + ": cannot open: No such file or directory\n");
  EXPECT_EQ(npycmp(e).code, 2);
  EXPECT_EQ(npycmp(e + " " + e + " " + e).code, 2);
  EXPECT_EQ(npycmp(e + " " + e + " --frob").code, 2);
  EXPECT_EQ(npycmp(e + " " + e + " --rtol -1").code, 2);
  EXPECT_EQ(npycmp(e + " " + e + " --ulp x").code, 2);
  r = npycmp(e + " " + e + " --ulp 1 --rtol 1");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "ndr-npycmp: error: give either --ulp or --rtol/--atol, not both\n");
  EXPECT_EQ(npycmp("--help").code, 0);
}
