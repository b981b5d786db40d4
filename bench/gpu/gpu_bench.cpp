// gpu_bench.cpp - NDR's CUDA models on the GPU: correctness, then speed.
//
//   ndr-gpu-bench DIR [ITERS]
//
// DIR holds the libraries bench/gpu/run_device.sh compiled from
// bench/gpu/workloads.ndr (ndrc --target=cuda --mode=train --emit=lib):
// w1_f32.so, w1_bf16.so, ... Each model runs on device buffers through
// ndr_model_run_device, on one stream:
//   - check: its output against a float64 reference on the host (every
//     element for the mask, which must equal the runtime's section-5 mask bit
//     for bit; 64 rows and the last for the norms), within DESIGN.md
//     section 9's tolerances;
//   - time: the median of 7 trials of ITERS runs (enqueued back to back,
//     then one synchronize), after a warm-up;
//   - a device-to-device copy of the workload's input bytes, timed the same
//     way in the same process, is the roof: "x copy" = the workload's GB/s
//     over the copy's (bytes read + written).
// Prints one markdown row per model and dtype; a failed check is a FAILED row
// and exit status 1.
#include "runtime/cuda_driver.h"
#include "runtime/ndr_model.h"
#include "runtime/ndr_runtime.h"

#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

using namespace ndr_rt::cuda;

namespace {

// The shape of the model loaded last: its first input's [rows, hidden].
int64_t kRows = 16384, kHidden = 4096;

const Driver *driver;
const Device *device;
CUstream stream;
bool failedAny = false;

void die(const std::string &what) {
  std::fprintf(stderr, "ndr-gpu-bench: %s\n", what.c_str());
  std::exit(2);
}

void check(CUresult result, const char *call) {
  if (result != CUDA_SUCCESS)
    die(std::string(call) + ": " + errorName(*driver, result));
}

std::string dtypeName(ndr_dtype dtype) { return dtype == NDR_F32 ? "f32" : "bf16"; }

// One compiled model, loaded from its library.
struct Model {
  void *library = nullptr;
  const ndr_model_desc *desc = nullptr;
  ndr_model *model = nullptr;
  ndr_status (*runDevice)(const ndr_model *, const void *const *, void *const *,
                          uint64_t, void *) = nullptr;
  std::string name;

  // DIR/NAME_DTYPE.so, or the program ends with why not.
  void load(const std::string &dir, const std::string &stem, ndr_dtype dtype) {
    std::string path = dir + "/" + stem + "_" + dtypeName(dtype) + ".so";
    library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!library)
      die(dlerror()); // it names the file
    auto descriptor = reinterpret_cast<const ndr_model_desc *(*)()>(
        dlsym(library, "ndr_library_descriptor"));
    auto create = reinterpret_cast<ndr_status (*)(const ndr_model_desc *, const char *,
                                                  uint64_t, ndr_model **)>(
        dlsym(library, "ndr_model_create"));
    runDevice = reinterpret_cast<decltype(runDevice)>(dlsym(library, "ndr_model_run_device"));
    auto lastError = reinterpret_cast<const char *(*)()>(dlsym(library, "ndr_last_error"));
    if (!descriptor || !create || !runDevice || !lastError)
      die(path + ": not a model library of ndrc --emit=lib");
    desc = descriptor();
    if (desc->target != NDR_TARGET_CUDA)
      die(path + ": not compiled with --target=cuda");
    if (create(desc, nullptr, 0, &model))
      die(path + ": " + lastError());
    name = desc->name;
    if (desc->num_inputs < 1 || desc->inputs[0].rank != 2)
      die(path + ": expected a first input of rank 2");
    kRows = desc->inputs[0].shape[0];
    kHidden = desc->inputs[0].shape[1];
  }

  void run(const std::vector<CUdeviceptr> &in, const std::vector<CUdeviceptr> &out,
           uint64_t seed) {
    std::vector<const void *> ins;
    std::vector<void *> outs;
    for (CUdeviceptr p : in)
      ins.push_back(reinterpret_cast<const void *>(p));
    for (CUdeviceptr p : out)
      outs.push_back(reinterpret_cast<void *>(p));
    if (runDevice(model, ins.data(), outs.data(), seed, stream))
      die(name + ": run failed");
  }
};

size_t elementBytes(ndr_dtype dtype) { return dtype == NDR_F32 ? 4 : 2; }

// A device buffer of n elements of `dtype` holding `values` rounded to it.
CUdeviceptr upload(const std::vector<float> &values, ndr_dtype dtype) {
  std::vector<char> bytes(values.size() * elementBytes(dtype));
  ndr_convert_from_f32(values.data(), dtype, bytes.data(), int64_t(values.size()));
  CUdeviceptr ptr;
  check(driver->cuMemAlloc(&ptr, bytes.size()), "cuMemAlloc");
  check(driver->cuMemcpyHtoDAsync(ptr, bytes.data(), bytes.size(), stream),
        "cuMemcpyHtoDAsync");
  return ptr;
}

// The values of a device buffer as f32; `rounded` = the inputs as the model
// sees them (after rounding to its dtype).
std::vector<float> download(CUdeviceptr ptr, size_t n, ndr_dtype dtype) {
  std::vector<char> bytes(n * elementBytes(dtype));
  check(driver->cuStreamSynchronize(stream), "cuStreamSynchronize");
  check(driver->cuMemcpyDtoHAsync(bytes.data(), ptr, bytes.size(), stream),
        "cuMemcpyDtoHAsync");
  check(driver->cuStreamSynchronize(stream), "cuStreamSynchronize");
  std::vector<float> values(n);
  ndr_convert_to_f32(bytes.data(), dtype, values.data(), int64_t(n));
  return values;
}

std::vector<float> roundTo(std::vector<float> values, ndr_dtype dtype) {
  if (dtype == NDR_F32)
    return values;
  std::vector<uint16_t> bits(values.size());
  ndr_convert_from_f32(values.data(), dtype, bits.data(), int64_t(values.size()));
  ndr_convert_to_f32(bits.data(), dtype, values.data(), int64_t(values.size()));
  return values;
}

std::vector<float> randomValues(size_t n, uint32_t stream) {
  std::vector<float> values(n);
  ndr_fill_normal(values.data(), int64_t(n), 1.0f, 1234, stream);
  return values;
}

// Seconds per call of `fn`: median of 7 trials of `iters` calls.
template <typename Fn> double timeIt(int iters, Fn fn) {
  for (int i = 0; i < 3; ++i)
    fn();
  check(driver->cuStreamSynchronize(stream), "cuStreamSynchronize");
  std::vector<double> trials;
  for (int t = 0; t < 7; ++t) {
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < iters; ++i)
      fn();
    check(driver->cuStreamSynchronize(stream), "cuStreamSynchronize");
    trials.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
                         .count() /
                     iters);
  }
  std::sort(trials.begin(), trials.end());
  return trials[trials.size() / 2];
}

// Bytes read + written per second by a device-to-device copy of `bytes`.
double copyBandwidth(size_t bytes, int iters) {
  CUdeviceptr a, b;
  check(driver->cuMemAlloc(&a, bytes), "cuMemAlloc");
  check(driver->cuMemAlloc(&b, bytes), "cuMemAlloc");
  double t = timeIt(iters, [&] {
    check(driver->cuMemcpyAsync(b, a, bytes, stream), "cuMemcpyAsync");
  });
  driver->cuMemFree(a);
  driver->cuMemFree(b);
  return 2.0 * double(bytes) / t;
}

struct Check {
  double worst = 0; // max |error| / tolerance
  size_t mismatches = 0;
  std::string note;
};

// The reference of one row: LN or RMS norm (gamma 1, beta 0) of s, in double.
void normRow(const float *s, bool layer, double eps, std::vector<double> &y) {
  double mean = 0, var = 0;
  for (int64_t j = 0; j < kHidden; ++j)
    mean += s[j];
  mean /= kHidden;
  for (int64_t j = 0; j < kHidden; ++j) {
    double d = layer ? s[j] - mean : s[j];
    var += d * d;
  }
  var /= kHidden;
  double rstd = 1.0 / std::sqrt(var + eps);
  for (int64_t j = 0; j < kHidden; ++j)
    y[j] = (layer ? s[j] - mean : s[j]) * rstd;
}

void compare(Check &c, double got, double want, ndr_dtype dtype) {
  // DESIGN.md section 9: f32 1e-5 relative + 1e-6 absolute for norms; bf16
  // one ulp of bf16 (2^-8 relative) after the f32 math.
  double tol = dtype == NDR_F32 ? 1e-6 + 1e-5 * std::fabs(want)
                                : 1e-6 + std::ldexp(std::fabs(want), -7);
  double ratio = std::fabs(got - want) / tol;
  if (!(ratio <= 1.0))
    ++c.mismatches;
  if (!(ratio <= c.worst))
    c.worst = std::isnan(ratio) ? INFINITY : std::max(c.worst, ratio);
}

struct Row {
  std::string workload, dtype, impl;
  double seconds = 0, bytes = 0, copy = 0;
  std::string note;
};

void printRow(const Row &row) {
  double gbs = row.bytes / row.seconds / 1e9;
  std::printf("| %-40s | %-4s | %-22s | %9.3f | %8.0f | %5.2f | %s |\n", row.workload.c_str(),
              row.dtype.c_str(), row.impl.c_str(), row.seconds * 1e3, gbs,
              row.bytes / row.seconds / row.copy, row.note.c_str());
  std::fflush(stdout);
}

void printFailed(const std::string &workload, const std::string &dtype, const Check &c) {
  failedAny = true;
  std::printf("| %-40s | %-4s | %-22s | FAILED: %zu elements outside the tolerance, worst "
              "%.3g x tolerance %s |\n",
              workload.c_str(), dtype.c_str(), "ndr", c.mismatches, c.worst, c.note.c_str());
  std::fflush(stdout);
}

void benchNorm(const std::string &dir, const std::string &w, ndr_dtype dtype, int iters) {
  std::string dt = dtypeName(dtype);
  Model model;
  model.load(dir, w, dtype);
  bool layer = w != "w4", dropout = w == "w2";
  std::string title = (w == "w1"   ? "W1 LN(x + r)"
                       : w == "w2" ? "W2 LN(x + dropout(r)) train"
                                   : "W4 RMSNorm(x + r)") +
                      (" [" + std::to_string(kRows) + "," + std::to_string(kHidden) + "]");
  size_t n = size_t(kRows) * kHidden;
  std::vector<float> x = roundTo(randomValues(n, 1), dtype),
                     r = roundTo(randomValues(n, 2), dtype);
  CUdeviceptr dx = upload(x, dtype), dr = upload(r, dtype), dy;
  check(driver->cuMemAlloc(&dy, n * elementBytes(dtype)), "cuMemAlloc");
  uint64_t seed = 42;
  model.run({dx, dr}, {dy}, seed);
  std::vector<float> y = download(dy, n, dtype);

  // Rows 0..63 and the last, against float64.
  Check c;
  uint32_t threshold = ndr_dropout_threshold(0.1f);
  float scale = float(1.0 / (1.0 - double(0.1f)));
  std::vector<float> s(kHidden);
  std::vector<double> ref(kHidden);
  for (int64_t row : {int64_t(0), int64_t(1), int64_t(2), std::min<int64_t>(63, kRows - 1),
                      kRows - 1}) {
    for (int64_t j = 0; j < kHidden; ++j) {
      size_t i = size_t(row) * kHidden + j;
      float rv = r[i];
      if (dropout)
        rv = ndr_dropout_keep(seed, 0, i, threshold) ? rv * scale : 0.0f;
      s[j] = x[i] + rv;
    }
    normRow(s.data(), layer, layer ? 1e-5 : 1e-6, ref);
    for (int64_t j = 0; j < kHidden; ++j)
      compare(c, y[size_t(row) * kHidden + j], ref[j], dtype);
  }
  if (c.mismatches) {
    printFailed(title, dt, c);
  } else {
    Row row{title, dt, "ndr"};
    row.seconds = timeIt(iters, [&] { model.run({dx, dr}, {dy}, seed); });
    // x, r and y move once; gamma (and beta) are in the cache.
    row.bytes = 3.0 * double(n) * double(elementBytes(dtype));
    row.copy = copyBandwidth(2 * n * elementBytes(dtype), iters);
    row.note = "checked: 5 rows vs float64, worst " +
               std::to_string(c.worst).substr(0, 5) + " x tol";
    printRow(row);
  }
  driver->cuMemFree(dx);
  driver->cuMemFree(dr);
  driver->cuMemFree(dy);
}

// The whole mask, bit for bit: y = x * keep * (1 / (1 - p)) in f32, rounded
// once to the dtype, keep from the runtime's section-5 Philox.
void checkMask(const std::string &dir, ndr_dtype dtype) {
  std::string dt = dtypeName(dtype);
  Model model;
  model.load(dir, "mask", dtype);
  size_t n = size_t(kRows) * kHidden;
  std::vector<float> x = roundTo(randomValues(n, 3), dtype);
  CUdeviceptr dx = upload(x, dtype), dy;
  check(driver->cuMemAlloc(&dy, n * elementBytes(dtype)), "cuMemAlloc");
  size_t differ = 0, dropped = 0;
  uint64_t seeds[] = {0, 42, ~uint64_t(0)};
  for (uint64_t seed : seeds) {
    model.run({dx}, {dy}, seed);
    std::vector<float> y = download(dy, n, dtype);
    std::vector<uint8_t> keep(n);
    ndr_dropout_mask(seed, 0, n, 0.1f, keep.data());
    float scale = float(1.0 / (1.0 - double(0.1f)));
    std::vector<float> want(n);
    for (size_t i = 0; i < n; ++i) {
      want[i] = keep[i] ? x[i] * scale : 0.0f;
      dropped += !keep[i];
    }
    want = roundTo(want, dtype);
    for (size_t i = 0; i < n; ++i)
      differ += std::memcmp(&want[i], &y[i], sizeof(float)) != 0;
  }
  double fraction = double(dropped) / double(3 * n);
  if (differ) {
    failedAny = true;
    std::printf("| %-40s | %-4s | %-22s | FAILED: %zu of %zu elements differ from the "
                "section-5 mask |\n",
                "mask: dropout(x, 0.1) train", dt.c_str(), "ndr", differ, 3 * n);
  } else {
    std::printf("| %-40s | %-4s | %-22s | %9s | %8s | %5s | bit-identical to the runtime's "
                "(= CPU backend's) mask, 3 seeds x %zu elements, %.4f dropped |\n",
                "mask: dropout(x, 0.1) train", dt.c_str(), "ndr", "-", "-", "-", n, fraction);
  }
  std::fflush(stdout);
  driver->cuMemFree(dx);
  driver->cuMemFree(dy);
}

// linear through cuBLAS: TFLOP/s (the note), against the copy roof.
void benchLinear(const std::string &dir, ndr_dtype dtype, int iters) {
  std::string dt = dtypeName(dtype);
  Model model;
  model.load(dir, "lin", dtype);
  size_t n = size_t(kRows) * kHidden;
  std::vector<float> x = roundTo(randomValues(n, 4), dtype);
  CUdeviceptr dx = upload(x, dtype), dy;
  check(driver->cuMemAlloc(&dy, n * elementBytes(dtype)), "cuMemAlloc");
  Row row{"linear [" + std::to_string(kRows) + "," + std::to_string(kHidden) + "]x[" +
              std::to_string(kHidden) + "," + std::to_string(kHidden) + "]^T",
          dt, "ndr (cuBLAS)"};
  row.seconds = timeIt(std::max(1, iters / 10), [&] { model.run({dx}, {dy}, 0); });
  row.bytes = 2.0 * double(n) * double(elementBytes(dtype));
  row.copy = copyBandwidth(n * elementBytes(dtype), iters);
  char note[64];
  std::snprintf(note, sizeof note, "%.0f TFLOP/s",
                2.0 * double(kRows) * kHidden * kHidden / row.seconds / 1e12);
  row.note = note;
  printRow(row);
  driver->cuMemFree(dx);
  driver->cuMemFree(dy);
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DIR [ITERS]\n", argv[0]);
    return 2;
  }
  std::string dir = argv[1];
  int iters = argc > 2 ? std::atoi(argv[2]) : 50;
  if (init(&driver, &device))
    die(ndr_last_error());
  ScopedContext context(*driver, *device);
  check(driver->cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING), "cuStreamCreate");
  std::printf("GPU: %s (sm_%d%d)\n\n", device->name.c_str(), device->major,
              device->minor);
  std::printf("| %-40s | %-4s | %-22s | %9s | %8s | %5s | %s |\n", "workload", "type", "impl",
              "median ms", "GB/s", "x copy", "note");
  std::printf("|---|---|---|---|---|---|---|\n");
  for (ndr_dtype dtype : {NDR_F32, NDR_BF16})
    checkMask(dir, dtype);
  for (const char *w : {"w1", "w2", "w4"})
    for (ndr_dtype dtype : {NDR_F32, NDR_BF16})
      benchNorm(dir, w, dtype, iters);
  for (ndr_dtype dtype : {NDR_F32, NDR_BF16})
    benchLinear(dir, dtype, iters);
  return failedAny ? 1 : 0;
}
