// ThreadsTest.cpp - ndr_parallel_for coverage, concurrency and nesting.
#include "runtime/ndr_runtime.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {
// Counts how often each index is visited and checks every range is sane.
struct Coverage {
  explicit Coverage(int64_t size) : n(size), hits(new std::atomic<int>[size]()) {}
  int64_t n;
  std::unique_ptr<std::atomic<int>[]> hits;
  std::atomic<bool> badRange{false};

  static void visit(void *ctx, int64_t begin, int64_t end) {
    auto *self = static_cast<Coverage *>(ctx);
    if (begin < 0 || end > self->n || begin >= end)
      self->badRange = true;
    for (int64_t i = begin; i < end && i < self->n; ++i)
      if (i >= 0)
        ++self->hits[i];
  }
  bool exactlyOnce() const {
    for (int64_t i = 0; i < n; ++i)
      if (hits[i] != 1)
        return false;
    return !badRange;
  }
};
} // namespace

TEST(RuntimeThreads, CoversEveryIndexOnce) {
  EXPECT_GE(ndr_num_threads(), 1);
  for (int64_t n : {int64_t(1), int64_t(2), int64_t(7), int64_t(64), int64_t(1000),
                    int64_t(100003)}) {
    Coverage coverage(n);
    ndr_parallel_for(n, Coverage::visit, &coverage);
    EXPECT_TRUE(coverage.exactlyOnce()) << n;
  }
}

TEST(RuntimeThreads, EmptyRangesCallNothing) {
  int calls = 0;
  auto count = [](void *ctx, int64_t, int64_t) { ++*static_cast<int *>(ctx); };
  ndr_parallel_for(0, count, &calls);
  ndr_parallel_for(-5, count, &calls);
  EXPECT_EQ(calls, 0);
}

TEST(RuntimeThreads, SafeFromSeveralThreadsAtOnce) {
  std::vector<std::thread> callers;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t)
    callers.emplace_back([&, t] {
      for (int round = 0; round < 50; ++round) {
        Coverage coverage(1000 + 37 * t + round);
        ndr_parallel_for(coverage.n, Coverage::visit, &coverage);
        if (!coverage.exactlyOnce())
          ++failures;
      }
    });
  for (std::thread &caller : callers)
    caller.join();
  EXPECT_EQ(failures, 0);
}

TEST(RuntimeThreads, NestedCallsRunInline) {
  struct Outer {
    std::atomic<int> innerFailures{0};
    std::atomic<int> innerCalls{0};
  } outer;
  ndr_parallel_for(
      16,
      [](void *ctx, int64_t begin, int64_t end) {
        auto *o = static_cast<Outer *>(ctx);
        for (int64_t i = begin; i < end; ++i) {
          struct Inner {
            std::thread::id owner;
            bool sameThread = true;
            int64_t covered = 0;
          } inner{std::this_thread::get_id()};
          ndr_parallel_for(
              100,
              [](void *c, int64_t b, int64_t e) {
                auto *in = static_cast<Inner *>(c);
                in->sameThread &= std::this_thread::get_id() == in->owner;
                in->covered += e - b;
              },
              &inner);
          ++o->innerCalls;
          if (!inner.sameThread || inner.covered != 100)
            ++o->innerFailures;
        }
      },
      &outer);
  EXPECT_EQ(outer.innerCalls, 16);
  EXPECT_EQ(outer.innerFailures, 0);
}

TEST(RuntimeThreads, UsesSeveralThreadsWhenAvailable) {
  if (ndr_num_threads() < 2)
    GTEST_SKIP() << "one thread";
  struct Seen {
    std::mutex mutex;
    std::set<std::thread::id> ids;
  } seen;
  // Slow chunks give the workers time to join.
  ndr_parallel_for(
      64,
      [](void *ctx, int64_t, int64_t) {
        auto *s = static_cast<Seen *>(ctx);
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        std::lock_guard<std::mutex> lock(s->mutex);
        s->ids.insert(std::this_thread::get_id());
      },
      &seen);
  EXPECT_GE(seen.ids.size(), 2u);
}

// Run by CTest with NDR_NUM_THREADS set and NDR_TEST_EXPECT_THREADS saying
// what the pool must then use ("hw": the hardware concurrency).
TEST(RuntimeThreadsEnv, HonoursNdrNumThreads) {
  const char *expected = std::getenv("NDR_TEST_EXPECT_THREADS");
  if (!expected)
    GTEST_SKIP() << "run through the ndr-runtime-threads-env-* CTest entries";
  int want = std::string(expected) == "hw"
                 ? static_cast<int>(std::max(1u, std::thread::hardware_concurrency()))
                 : std::atoi(expected);
  EXPECT_EQ(ndr_num_threads(), want);
  Coverage coverage(10000);
  ndr_parallel_for(coverage.n, Coverage::visit, &coverage);
  EXPECT_TRUE(coverage.exactlyOnce());
}
