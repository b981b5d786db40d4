//===- run_model.cpp - a C++ program that links a compiled model ----------===//
//
// Build the model as a shared library with its C header, then this program:
//   ndrc examples/residual_mlp_bn.ndr --emit=lib -o build/residual_mlp_bn
//   c++ -std=c++17 examples/cpp/run_model.cpp -Ibuild build/residual_mlp_bn.so \
//       -Wl,-rpath,build -pthread -o build/run_model
//   build/run_model [PARAMS.safetensors]
// It creates the model (from a params file, or the declared defaults), runs
// it from four threads at once on its own buffers, and checks that every
// thread got the same answer.
//
//===----------------------------------------------------------------------===//

#include "residual_mlp_bn.h"

#include <cmath>
#include <cstdio>
#include <thread>
#include <vector>

int main(int argc, char **argv) {
  residual_mlp_bn_model *model =
      residual_mlp_bn_create(argc > 1 ? argv[1] : nullptr, /*seed=*/0);
  if (!model) {
    std::fprintf(stderr, "error: %s\n", residual_mlp_bn_last_error());
    return 1;
  }

  std::vector<float> x(RESIDUAL_MLP_BN_X_NUMEL);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = std::sin(0.01f * float(i));

  constexpr int kThreads = 4;
  std::vector<std::vector<float>> y(kThreads,
                                    std::vector<float>(RESIDUAL_MLP_BN_Y_NUMEL));
  std::vector<int> status(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      status[t] = residual_mlp_bn_run(model, x.data(), y[t].data(), /*seed=*/0);
    });
  for (std::thread &thread : threads)
    thread.join();

  for (int t = 0; t < kThreads; ++t) {
    if (status[t] != 0) {
      std::fprintf(stderr, "error: %s\n", residual_mlp_bn_last_error());
      return 1;
    }
    if (y[t] != y[0]) {
      std::fprintf(stderr, "error: thread %d got a different result\n", t);
      return 1;
    }
  }
  double sum = 0;
  for (float v : y[0])
    sum += v;
  std::printf("y[0..3] = %.6f %.6f %.6f %.6f, sum %.4f, %d threads agree\n",
              y[0][0], y[0][1], y[0][2], y[0][3], sum, kThreads);
  residual_mlp_bn_destroy(model);
  return 0;
}
