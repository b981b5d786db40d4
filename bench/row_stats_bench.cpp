//===- row_stats_bench.cpp - how to compute a norm's row statistics -------===//
//
// The choice the norm kernels make (codegen/LowerNormRows.cpp): per row, the
// mean and variance from one sweep of shifted sums (sum of d and d*d with
// d = x - x[0]), against a two-pass mean-then-variance sweep and Welford's
// update, each written as 8 independent lanes the way the generated code
// vectorizes, compiled -O3 -march=native, one thread, same process. Also
// reports each method's worst error against float64 on rows near 1e4.
//
//===----------------------------------------------------------------------===//

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

namespace {

constexpr int kRows = 16384, kHidden = 768, kLanes = 8;

struct Stats {
  float mean, var;
};

Stats shiftedSums(const float *x) {
  float shift = x[0], sum[kLanes] = {}, sq[kLanes] = {};
  for (int j = 0; j < kHidden; j += kLanes)
    for (int l = 0; l < kLanes; ++l) {
      float d = x[j + l] - shift;
      sum[l] += d;
      sq[l] += d * d;
    }
  float s = 0, q = 0;
  for (int l = 0; l < kLanes; ++l) {
    s += sum[l];
    q += sq[l];
  }
  float mean = s / kHidden;
  return {shift + mean, std::max(q / kHidden - mean * mean, 0.0f)};
}

Stats twoPass(const float *x) {
  float sum[kLanes] = {}, sq[kLanes] = {};
  for (int j = 0; j < kHidden; j += kLanes)
    for (int l = 0; l < kLanes; ++l)
      sum[l] += x[j + l];
  float s = 0;
  for (int l = 0; l < kLanes; ++l)
    s += sum[l];
  float mean = s / kHidden;
  for (int j = 0; j < kHidden; j += kLanes)
    for (int l = 0; l < kLanes; ++l) {
      float d = x[j + l] - mean;
      sq[l] += d * d;
    }
  float q = 0;
  for (int l = 0; l < kLanes; ++l)
    q += sq[l];
  return {mean, q / kHidden};
}

Stats welford(const float *x) {
  float mean[kLanes] = {}, m2[kLanes] = {};
  int n = 0;
  for (int j = 0; j < kHidden; j += kLanes) {
    ++n;
    float inv = 1.0f / n;
    for (int l = 0; l < kLanes; ++l) {
      float d = x[j + l] - mean[l];
      mean[l] += d * inv;
      m2[l] += d * (x[j + l] - mean[l]);
    }
  }
  // Merge the lanes (Chan et al.): equal counts n per lane.
  float m = mean[0], q = m2[0];
  for (int l = 1; l < kLanes; ++l) {
    float d = mean[l] - m;
    float count = float(l) * n, total = count + n;
    m += d * n / total;
    q += m2[l] + d * d * count * n / total;
  }
  return {m, q / kHidden};
}

template <typename Fn> double timeRows(const std::vector<float> &x, Fn fn,
                                       std::vector<Stats> &out) {
  std::vector<double> times;
  for (int it = 0; it < 21; ++it) {
    auto start = std::chrono::steady_clock::now();
    for (int r = 0; r < kRows; ++r)
      out[r] = fn(&x[size_t(r) * kHidden]);
    times.push_back(std::chrono::duration<double>(
                        std::chrono::steady_clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

} // namespace

int main() {
  std::vector<float> x(size_t(kRows) * kHidden);
  std::mt19937 gen(0);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  for (float &v : x)
    v = 1e4f + normal(gen); // rows near 1e4: where precision matters
  std::vector<double> refMean(kRows), refVar(kRows);
  for (int r = 0; r < kRows; ++r) {
    double s = 0, q = 0;
    for (int j = 0; j < kHidden; ++j)
      s += x[size_t(r) * kHidden + j];
    double m = s / kHidden;
    for (int j = 0; j < kHidden; ++j) {
      double d = x[size_t(r) * kHidden + j] - m;
      q += d * d;
    }
    refMean[r] = m;
    refVar[r] = q / kHidden;
  }

  struct Method {
    const char *name;
    Stats (*fn)(const float *);
  } methods[] = {{"shifted sums (1 sweep, used)", shiftedSums},
                 {"two-pass (2 sweeps)", twoPass},
                 {"Welford (1 sweep)", welford}};
  std::vector<Stats> out(kRows);
  double base = 0;
  std::printf("row statistics, %d rows x %d f32 near 1e4, 1 thread, median of 21\n",
              kRows, kHidden);
  for (const Method &m : methods) {
    double t = timeRows(x, m.fn, out);
    if (base == 0)
      base = t;
    double worst = 0;
    for (int r = 0; r < kRows; ++r)
      worst = std::max(worst, std::fabs(out[r].var - refVar[r]) / refVar[r]);
    std::printf("  %-30s %7.3f ms  %.2fx  worst relative variance error %.2e\n",
                m.name, t * 1e3, base / t, worst);
  }
  return 0;
}
