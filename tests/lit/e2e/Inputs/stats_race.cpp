// Runs the train-mode model of batch-norm-train-race.ndr from 8 threads at
// once on one model object: each run updates the model's running statistics,
// which the C API promises is safe. Built with -fsanitize=thread against a
// library whose generated code is instrumented too (ndrc --sanitize=thread).
#include "bn_race.h"

#include <cstdio>
#include <thread>
#include <vector>

int main() {
  bn_race_model *model = bn_race_create(nullptr, 1);
  if (!model) {
    std::fprintf(stderr, "error: %s\n", bn_race_last_error());
    return 1;
  }
  constexpr int threads = 8, runs = 50;
  std::vector<int> failures(threads, 0);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      std::vector<float> x(BN_RACE_X_NUMEL), y(BN_RACE_Y_NUMEL);
      for (size_t i = 0; i < x.size(); ++i)
        x[i] = float((i * 7 + t) % 13) - 6.0f;
      for (int r = 0; r < runs; ++r)
        failures[t] += bn_race_run(model, x.data(), y.data(), r) != 0;
    });
  for (std::thread &thread : pool)
    thread.join();
  bn_race_destroy(model);
  int failed = 0;
  for (int f : failures)
    failed += f;
  std::printf("%d threads x %d runs, %d failed\n", threads, runs, failed);
  return failed != 0;
}
