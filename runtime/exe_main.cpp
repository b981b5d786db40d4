// exe_main.cpp - the command line of a generated executable (DESIGN.md
// section 7). Every failure ends in one line `error: MESSAGE` on stderr and
// exits with the failure's ndr_status (docs/errors.md): a bad command line
// with NDR_ERR_ARG, a bad file with the status its reader gave.
#include "runtime/internal.h"
#include "runtime/ndr_model.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace {
constexpr uint64_t maxBenchIters = 10000000;
constexpr int64_t summaryValues = 4;

struct Options {
  std::string params;                   // empty: defaults
  std::vector<std::string> inputFiles;  // per input; empty: drawn
  std::vector<std::string> outputFiles; // per output; empty: summarised
  uint64_t seed = 0;
  uint64_t benchIters = 0; // 0: no --bench
  bool help = false;
};

// A decimal integer in [0, 2^64), the whole text.
bool parseU64(const std::string &text, uint64_t *value) {
  uint64_t v = 0;
  for (char c : text)
    if (c < '0' || c > '9' || __builtin_mul_overflow(v, 10, &v) ||
        __builtin_add_overflow(v, static_cast<uint64_t>(c - '0'), &v))
      return false;
  *value = v;
  return !text.empty();
}

std::string names(const ndr_tensor_desc *tensors, int32_t count) {
  std::vector<const char *> list;
  for (int32_t i = 0; i < count; ++i)
    list.push_back(tensors[i].name);
  return count ? fmt::format("{}", fmt::join(list, ", ")) : "none";
}

// Binds the NAME=FILE of --input or --output (`flag`) to files[index of NAME].
bool bind(const ndr_model_desc &desc, const std::string &flag, const std::string &value,
          const char *kind, const ndr_tensor_desc *tensors, int32_t count,
          std::vector<std::string> &files, std::string &error) {
  size_t eq = value.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == value.size()) {
    error = fmt::format("{} expects NAME=FILE, got '{}'", flag, value);
    return false;
  }
  std::string name = value.substr(0, eq);
  for (int32_t i = 0; i < count; ++i) {
    if (name != tensors[i].name)
      continue;
    if (!files[i].empty()) {
      error = fmt::format("{}: {} '{}' given twice", flag, kind, name);
      return false;
    }
    files[i] = value.substr(eq + 1);
    return true;
  }
  error = fmt::format("{}: model '{}' has no {} '{}' ({}s: {})", flag, desc.name,
                      kind, name, kind, names(tensors, count));
  return false;
}

bool parseArgs(const ndr_model_desc &desc, int argc, char **argv, Options &options,
               std::string &error) {
  options.inputFiles.resize(desc.num_inputs);
  options.outputFiles.resize(desc.num_outputs);
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      options.help = true;
      return true;
    }
    // "--flag VALUE" or "--flag=VALUE".
    std::string flag = arg, value;
    size_t eq = arg.find('=');
    bool inlineValue = arg.compare(0, 2, "--") == 0 && eq != std::string::npos;
    if (inlineValue) {
      flag = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    }
    if (flag != "--params" && flag != "--input" && flag != "--output" &&
        flag != "--seed" && flag != "--bench") {
      error = fmt::format("{} '{}' (see --help)",
                          arg[0] == '-' ? "unknown option" : "unexpected argument", arg);
      return false;
    }
    if (!inlineValue && i + 1 < argc)
      value = argv[++i];
    if (value.empty()) {
      error = fmt::format("{} needs a value", flag);
      return false;
    }
    if (flag == "--params") {
      options.params = value;
    } else if (flag == "--input") {
      if (!bind(desc, flag, value, "input", desc.inputs, desc.num_inputs,
                options.inputFiles, error))
        return false;
    } else if (flag == "--output") {
      if (!bind(desc, flag, value, "output", desc.outputs, desc.num_outputs,
                options.outputFiles, error))
        return false;
    } else if (flag == "--seed") {
      if (!parseU64(value, &options.seed)) {
        error = fmt::format("--seed: '{}' is not an integer in [0, 2^64)", value);
        return false;
      }
    } else if (!parseU64(value, &options.benchIters) || options.benchIters == 0 ||
               options.benchIters > maxBenchIters) {
      error = fmt::format("--bench: '{}' is not an integer in [1, {}]", value,
                          maxBenchIters);
      return false;
    }
  }
  return true;
}

std::string typeString(const ndr_tensor_desc &t) {
  return fmt::format("{}{}", ndr_dtype_name(t.dtype),
                     ndr_rt::shapeString(t.rank, t.shape));
}

std::string initString(const ndr_tensor_desc &t) {
  switch (t.init) {
  case NDR_INIT_ZEROS:
    return "= zeros";
  case NDR_INIT_ONES:
    return "= ones";
  case NDR_INIT_NORMAL:
    return fmt::format("= normal({:g})", t.init_std);
  case NDR_INIT_NONE:
    break;
  }
  return "(no default: needs --params)";
}

void printTensors(const char *title, const ndr_tensor_desc *tensors, int32_t count,
                  bool withInit) {
  if (count == 0)
    return;
  fmt::print("{}:\n", title);
  size_t width = 0;
  for (int32_t i = 0; i < count; ++i)
    width = std::max(width, std::strlen(tensors[i].name));
  for (int32_t i = 0; i < count; ++i) {
    const ndr_tensor_desc &t = tensors[i];
    fmt::print("  {:<{}}{}{}\n", t.name, width + 2, typeString(t),
               withInit ? "  " + initString(t) : "");
  }
}

void printUsage(const ndr_model_desc &desc, const char *program) {
  fmt::print(
      "usage: {} [--params FILE.safetensors] [--input NAME=FILE.npy]...\n"
      "       [--output NAME=FILE.npy]... [--seed N] [--bench ITERS] [--help]\n\n"
      "Runs the compiled model '{}' once; writes the outputs named by --output\n"
      "and prints a summary of the others.\n\n",
      program, desc.name);
  printTensors("inputs", desc.inputs, desc.num_inputs, false);
  printTensors("outputs", desc.outputs, desc.num_outputs, false);
  printTensors("params", desc.params, desc.num_params, true);
  printTensors("derived (computed from the params at load)", desc.derived,
               desc.num_derived, false);
  fmt::print(
      "\noptions:\n"
      "  --params FILE       read every param by name from a safetensors file;\n"
      "                      without it each takes its default above, normal ones\n"
      "                      drawn with the seed\n"
      "  --input NAME=FILE   read input NAME from a .npy file; inputs not given are\n"
      "                      drawn from normal(1) with the seed\n"
      "  --output NAME=FILE  write output NAME to a .npy file; outputs not written\n"
      "                      are summarised on stdout (first values and sum)\n"
      "  --seed N            seed of dropout and of the drawn inputs and params\n"
      "                      (default 0)\n"
      "  --bench ITERS       after that run (the warm-up), time ITERS more and print\n"
      "                      the median and min time per run and the effective GB/s:\n"
      "                      bytes of inputs + params + derived + outputs of one run\n"
      "                      over the median time\n"
      "  --help              print this help\n"
      "bf16 tensors are stored in .npy files as '<u2' (their raw bits).\n\n"
      "exit status: 0, or after one line 'error: MESSAGE' on stderr:\n");
  for (int status = NDR_OK + 1; status <= NDR_STATUS_MAX; ++status)
    fmt::print("  {}  {}\n", status, ndr_status_name(static_cast<ndr_status>(status)));
}

float valueAt(const ndr_tensor_desc &t, const void *data, int64_t i) {
  if (t.dtype == NDR_F32)
    return static_cast<const float *>(data)[i];
  uint16_t bits = static_cast<const uint16_t *>(data)[i];
  return t.dtype == NDR_F16 ? ndr_f16_to_f32(bits) : ndr_bf16_to_f32(bits);
}

// "y: f32[2, 3] = [0.5, -1.25, 2, 0, ...] sum 3.75"
void summarise(const ndr_tensor_desc &t, const void *data) {
  int64_t n = ndr_rt::elementCount(t);
  std::vector<float> first;
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    float value = valueAt(t, data, i);
    sum += value;
    if (i < summaryValues)
      first.push_back(value);
  }
  fmt::print("{}: {} = [{:g}{}] sum {:g}\n", t.name, typeString(t),
             fmt::join(first, ", "), n > summaryValues ? ", ..." : "", sum);
}

uint64_t groupBytes(const ndr_tensor_desc *tensors, int32_t count) {
  uint64_t bytes = 0;
  for (int32_t i = 0; i < count; ++i)
    bytes += ndr_rt::byteCount(tensors[i]);
  return bytes;
}

// "bench: 100 runs, median 12.345 us, min 11.900 us per run, 5.67 GB/s
// (70000 bytes per run)"
ndr_status bench(const ndr_model_desc &desc, const ndr_model *model,
                 const std::vector<const void *> &inputs,
                 const std::vector<void *> &outputs, const Options &options) {
  std::vector<double> micros(options.benchIters);
  for (double &time : micros) {
    auto start = std::chrono::steady_clock::now();
    if (ndr_status status =
            ndr_model_run(model, inputs.data(), outputs.data(), options.seed))
      return status;
    time = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() -
                                                     start)
               .count();
  }
  std::sort(micros.begin(), micros.end());
  size_t n = micros.size();
  double median = n % 2 ? micros[n / 2] : (micros[n / 2 - 1] + micros[n / 2]) / 2;
  uint64_t bytes = groupBytes(desc.inputs, desc.num_inputs) +
                   groupBytes(desc.params, desc.num_params) +
                   groupBytes(desc.derived, desc.num_derived) +
                   groupBytes(desc.outputs, desc.num_outputs);
  fmt::print("bench: {} runs, median {:.3f} us, min {:.3f} us per run, {:.2f} GB/s "
             "({} bytes per run)\n",
             n, median, micros[0], static_cast<double>(bytes) / (median * 1e3), bytes);
  return NDR_OK;
}

// Prints `error: MESSAGE` (the status's name when there is no message) and
// returns the exit code, the status.
int failWith(ndr_status status, const std::string &message) {
  std::fflush(stdout);
  fmt::print(stderr, "error: {}\n",
             message.empty() ? ndr_status_name(status) : message);
  return static_cast<int>(status);
}

// A failure of the runtime: its status and this thread's message, after
// `context` ("input 'x': ").
int failWithLastError(ndr_status status, const std::string &context = "") {
  const char *message = ndr_last_error();
  return failWith(status, fmt::format("{}{}", context,
                                     *message ? message : ndr_status_name(status)));
}

using Buffer = std::unique_ptr<void, void (*)(void *)>;
} // namespace

extern "C" int ndr_exe_main(const ndr_model_desc *desc, int argc, char **argv) {
  if (!desc)
    return failWith(NDR_ERR_ARG, "no model descriptor");
  if (ndr_status status = ndr_rt::checkDesc(*desc))
    return failWithLastError(status);
  Options options;
  std::string error;
  if (!parseArgs(*desc, argc, argv, options, error))
    return failWith(NDR_ERR_ARG, error);
  if (options.help) {
    printUsage(*desc, argc > 0 ? argv[0] : desc->name);
    return 0;
  }

  ndr_model *created = nullptr;
  if (ndr_status status = ndr_model_create(
          desc, options.params.empty() ? nullptr : options.params.c_str(), options.seed,
          &created))
    return failWithLastError(status);
  std::unique_ptr<ndr_model, void (*)(ndr_model *)> model(created, ndr_model_destroy);

  std::vector<Buffer> buffers;
  std::vector<const void *> inputs;
  for (int32_t i = 0; i < desc->num_inputs; ++i) {
    const ndr_tensor_desc &t = desc->inputs[i];
    buffers.emplace_back(ndr_alloc(ndr_rt::byteCount(t)), ndr_free);
    void *data = buffers.back().get();
    if (!data)
      return failWithLastError(NDR_ERR_NOMEM);
    const std::string &file = options.inputFiles[i];
    ndr_status status =
        file.empty()
            ? ndr_rt::fillNormal(t, data, 1.0f, options.seed,
                                 NDR_INPUT_STREAM + static_cast<uint32_t>(i))
            : ndr_npy_read(file.c_str(), t.dtype, t.rank, t.shape, data);
    if (status)
      return failWithLastError(status, fmt::format("input '{}': ", t.name));
    inputs.push_back(data);
  }
  std::vector<void *> outputs;
  for (int32_t i = 0; i < desc->num_outputs; ++i) {
    buffers.emplace_back(ndr_alloc(ndr_rt::byteCount(desc->outputs[i])), ndr_free);
    if (!buffers.back())
      return failWithLastError(NDR_ERR_NOMEM);
    outputs.push_back(buffers.back().get());
  }

  if (ndr_status status =
          ndr_model_run(model.get(), inputs.data(), outputs.data(), options.seed))
    return failWithLastError(status);
  for (int32_t i = 0; i < desc->num_outputs; ++i) {
    const ndr_tensor_desc &t = desc->outputs[i];
    const std::string &file = options.outputFiles[i];
    if (file.empty())
      continue;
    if (ndr_status status =
            ndr_npy_write(file.c_str(), t.dtype, t.rank, t.shape, outputs[i]))
      return failWithLastError(status, fmt::format("output '{}': ", t.name));
  }
  for (int32_t i = 0; i < desc->num_outputs; ++i)
    if (options.outputFiles[i].empty())
      summarise(desc->outputs[i], outputs[i]);
  if (options.benchIters)
    if (ndr_status status = bench(*desc, model.get(), inputs, outputs, options))
      return failWithLastError(status);
  return 0;
}
