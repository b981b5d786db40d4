// StatusTest.cpp - status names, per-thread messages, aligned allocation and
// the header's C compatibility.
#include "runtime/ndr_runtime.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <string>
#include <thread>

extern "C" int ndr_c_api_check(void);
extern "C" const char *ndr_c_status_name(int value);

TEST(RuntimeStatus, NamesEveryStatus) {
  EXPECT_STREQ(ndr_status_name(NDR_OK), "ok");
  EXPECT_STREQ(ndr_status_name(NDR_ERR_IO), "I/O error");
  EXPECT_STREQ(ndr_status_name(NDR_ERR_FORMAT), "format error");
  EXPECT_STREQ(ndr_status_name(NDR_ERR_SHAPE), "shape mismatch");
  EXPECT_STREQ(ndr_status_name(NDR_ERR_DTYPE), "dtype mismatch");
  EXPECT_STREQ(ndr_status_name(NDR_ERR_MISSING), "missing tensor");
  EXPECT_STREQ(ndr_status_name(NDR_ERR_ARG), "invalid argument");
  EXPECT_STREQ(ndr_status_name(NDR_ERR_NOMEM), "out of memory");
  EXPECT_STREQ(ndr_status_name(NDR_ERR_DEVICE), "device error");
}

// The values are exit codes of generated executables (docs/errors.md): they
// must not move.
TEST(RuntimeStatus, ValuesAreStable) {
  EXPECT_EQ(NDR_OK, 0);
  EXPECT_EQ(NDR_ERR_IO, 1);
  EXPECT_EQ(NDR_ERR_FORMAT, 2);
  EXPECT_EQ(NDR_ERR_SHAPE, 3);
  EXPECT_EQ(NDR_ERR_DTYPE, 4);
  EXPECT_EQ(NDR_ERR_MISSING, 5);
  EXPECT_EQ(NDR_ERR_ARG, 6);
  EXPECT_EQ(NDR_ERR_NOMEM, 7);
  EXPECT_EQ(NDR_ERR_DEVICE, 8);
  EXPECT_EQ(NDR_STATUS_MAX, NDR_ERR_DEVICE);
}

TEST(RuntimeStatus, EveryStatusHasItsOwnName) {
  std::set<std::string> names;
  for (int value = NDR_OK; value <= NDR_STATUS_MAX; ++value) {
    std::string name = ndr_status_name(static_cast<ndr_status>(value));
    EXPECT_NE(name, "unknown status") << value;
    EXPECT_FALSE(name.empty()) << value;
    EXPECT_TRUE(names.insert(name).second) << value << " repeats '" << name << "'";
  }
  // An unknown value comes from C: in C++, static_cast<ndr_status>(8) is
  // undefined (UBSan reports it), and so is reading such a value as an
  // ndr_status inside the runtime.
  EXPECT_STREQ(ndr_c_status_name(NDR_STATUS_MAX + 1), "unknown status");
  EXPECT_STREQ(ndr_c_status_name(-1), "unknown status");
  EXPECT_STREQ(ndr_c_status_name(1000), "unknown status");
}

TEST(RuntimeStatus, LastStatusGoesWithTheMessage) {
  ndr_clear_error();
  EXPECT_EQ(ndr_last_status(), NDR_OK);
  ndr_set_error(NDR_ERR_SHAPE, "a shape");
  EXPECT_EQ(ndr_last_status(), NDR_ERR_SHAPE);
  // The runtime's own failures set it too.
  EXPECT_EQ(ndr_alloc(SIZE_MAX - 10), nullptr);
  EXPECT_EQ(ndr_last_status(), NDR_ERR_NOMEM);
  // Successful calls leave it.
  void *ptr = ndr_alloc(16);
  ASSERT_NE(ptr, nullptr);
  ndr_free(ptr);
  EXPECT_EQ(ndr_last_status(), NDR_ERR_NOMEM);
  ndr_status other = NDR_OK;
  std::thread([&] { other = ndr_last_status(); }).join();
  EXPECT_EQ(other, NDR_OK);
  ndr_clear_error();
  EXPECT_EQ(ndr_last_status(), NDR_OK);
}

TEST(RuntimeStatus, SetErrorFormatsAndReturnsStatus) {
  EXPECT_EQ(ndr_set_error(NDR_ERR_SHAPE, "%s: expected %d, got %d", "x.npy", 8, 9),
            NDR_ERR_SHAPE);
  EXPECT_STREQ(ndr_last_error(), "x.npy: expected 8, got 9");
  std::string longText(5000, 'a');
  ndr_set_error(NDR_ERR_IO, "%s!", longText.c_str());
  EXPECT_EQ(std::string(ndr_last_error()), longText + "!");
  ndr_clear_error();
  EXPECT_STREQ(ndr_last_error(), "");
}

TEST(RuntimeStatus, MessagesAreThreadLocal) {
  ndr_set_error(NDR_ERR_IO, "main thread");
  std::string seen, own;
  std::thread other([&] {
    seen = ndr_last_error();
    ndr_set_error(NDR_ERR_ARG, "other thread");
    own = ndr_last_error();
  });
  other.join();
  EXPECT_EQ(seen, "");
  EXPECT_EQ(own, "other thread");
  EXPECT_STREQ(ndr_last_error(), "main thread");
}

TEST(RuntimeStatus, DtypeNamesAndSizes) {
  EXPECT_STREQ(ndr_dtype_name(NDR_F32), "f32");
  EXPECT_STREQ(ndr_dtype_name(NDR_BF16), "bf16");
  EXPECT_STREQ(ndr_dtype_name(NDR_F8_E5M2), "f8e5m2");
  // 15 is no enumerator (but within the enum's range, so the cast is defined).
  EXPECT_STREQ(ndr_dtype_name(static_cast<ndr_dtype>(15)), "invalid");
  EXPECT_EQ(ndr_dtype_size(NDR_F32), 4u);
  EXPECT_EQ(ndr_dtype_size(NDR_F16), 2u);
  EXPECT_EQ(ndr_dtype_size(NDR_BF16), 2u);
  EXPECT_EQ(ndr_dtype_size(NDR_I64), 8u);
  EXPECT_EQ(ndr_dtype_size(NDR_BOOL), 1u);
  EXPECT_EQ(ndr_dtype_size(static_cast<ndr_dtype>(15)), 0u);
}

TEST(RuntimeAlloc, SixtyFourByteAligned) {
  for (size_t bytes : {size_t(0), size_t(1), size_t(63), size_t(64), size_t(65),
                       size_t(1) << 20}) {
    void *ptr = ndr_alloc(bytes);
    ASSERT_NE(ptr, nullptr) << bytes;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(ptr) % 64, 0u) << bytes;
    if (bytes)
      static_cast<unsigned char *>(ptr)[bytes - 1] = 1; // writable to the end
    ndr_free(ptr);
  }
  ndr_free(nullptr);
}

TEST(RuntimeAlloc, FailureSetsNoMem) {
  ndr_clear_error();
  EXPECT_EQ(ndr_alloc(SIZE_MAX - 10), nullptr);
  EXPECT_NE(std::string(ndr_last_error()).find("cannot allocate"), std::string::npos);
}

TEST(RuntimeStatus, HeaderCompilesAsC) {
  EXPECT_EQ(ndr_c_api_check(), 1);
  EXPECT_STREQ(ndr_last_error(), "from C: 42");
}
