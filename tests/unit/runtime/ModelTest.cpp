// ModelTest.cpp - ndr_model_create/run/destroy on the hand-written model of
// TestModel.c: defaults, params files, concurrent runs and every error.
#include "TestFiles.h"
#include "TestModel.h"
#include "runtime/ndr_model.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <mutex>
#include <cstring>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

using ndr_test::expectedY;
using ndr_test::ScratchDir;
using ndr_test::writeBytes;

namespace {
std::string message() { return ndr_last_error(); }

const int64_t vec3[] = {3};
const float x[6] = {1, 2, 3, -4, 5, 0.5f};

// The test model with its parameter list copied, to be changed.
struct ChangedModel {
  std::vector<ndr_tensor_desc> params{ndr_test_model.params, ndr_test_model.params + 3};
  ndr_model_desc desc = ndr_test_model;
  ChangedModel() { desc.params = params.data(); }
};

// Runs `model` once on x; returns y, and z in *z.
std::vector<float> run(const ndr_model *model, uint64_t seed, float *z = nullptr) {
  std::vector<float> y(6);
  float zValue = -1;
  const void *inputs[] = {x};
  void *outputs[] = {y.data(), &zValue};
  EXPECT_EQ(ndr_model_run(model, inputs, outputs, seed), NDR_OK) << message();
  if (z)
    *z = zValue;
  return y;
}

std::vector<float> normal(int64_t n, float stddev, uint64_t seed, uint32_t stream) {
  std::vector<float> values(n);
  ndr_fill_normal(values.data(), n, stddev, seed, stream);
  return values;
}

void expectNear(const std::vector<float> &actual, const std::vector<float> &expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i)
    EXPECT_FLOAT_EQ(actual[i], expected[i]) << "element " << i;
}

class RuntimeModel : public ::testing::Test {
protected:
  ScratchDir dir;
  ndr_model *model = nullptr;
  void TearDown() override { ndr_model_destroy(model); }

  // Writes a params file: w = {1, 2, 3} f32, g = 2 bf16, b = 0.5 f16, plus
  // `extra` tensors; `skip` leaves one of w, g, b out.
  std::string writeParams(const std::vector<ndr_safetensors_tensor> &extra = {},
                          const std::string &skip = "") {
    std::vector<ndr_safetensors_tensor> tensors;
    for (const ndr_safetensors_tensor &t :
         {ndr_safetensors_tensor{"b", NDR_F16, 1, vec3, b},
          ndr_safetensors_tensor{"g", NDR_BF16, 1, vec3, g},
          ndr_safetensors_tensor{"w", NDR_F32, 1, vec3, w}})
      if (t.name != skip)
        tensors.push_back(t);
    tensors.insert(tensors.end(), extra.begin(), extra.end());
    std::string path = dir.path("p.safetensors");
    EXPECT_EQ(ndr_safetensors_write(path.c_str(), tensors.data(),
                                    static_cast<int64_t>(tensors.size()), nullptr, 0),
              NDR_OK)
        << message();
    return path;
  }
  const float w[3] = {1, 2, 3};
  const uint16_t g[3] = {0x4000, 0x4000, 0x4000}; // bf16 2.0
  const uint16_t b[3] = {0x3800, 0x3800, 0x3800}; // f16 0.5
};
} // namespace

TEST_F(RuntimeModel, CreatesFromDefaults) {
  int initCalls = ndr_test_model_init_calls();
  ASSERT_EQ(ndr_model_create(&ndr_test_model, nullptr, 7, &model), NDR_OK) << message();
  EXPECT_EQ(ndr_test_model_init_calls(), initCalls + 1);

  float z;
  std::vector<float> w = normal(3, 0.5f, 7, NDR_PARAM_STREAM + 0);
  const float ones[3] = {1, 1, 1}, zeros[3] = {0, 0, 0};
  expectNear(run(model, 11, &z), expectedY(x, w.data(), ones, zeros));
  EXPECT_EQ(z, 11.0f);
  EXPECT_EQ(ndr_test_model_init_calls(), initCalls + 1);
  EXPECT_EQ(ndr_test_model_misaligned(), 0);
}

TEST_F(RuntimeModel, DefaultsDependOnTheSeedOnly) {
  ndr_model *same = nullptr, *other = nullptr;
  ASSERT_EQ(ndr_model_create(&ndr_test_model, nullptr, 7, &model), NDR_OK) << message();
  ASSERT_EQ(ndr_model_create(&ndr_test_model, nullptr, 7, &same), NDR_OK) << message();
  ASSERT_EQ(ndr_model_create(&ndr_test_model, nullptr, 8, &other), NDR_OK) << message();
  EXPECT_EQ(run(model, 0), run(same, 0));
  EXPECT_NE(run(model, 0), run(other, 0));
  ndr_model_destroy(same);
  ndr_model_destroy(other);
}

TEST_F(RuntimeModel, NormalDefaultsUseTheParamIndexAsStreamAndRoundOnce) {
  ChangedModel changed;
  changed.params[1].init = NDR_INIT_NORMAL; // g: bf16
  changed.params[1].init_std = 0.25f;
  changed.params[2].init = NDR_INIT_NORMAL; // b: f16
  changed.params[2].init_std = 2.0f;
  ASSERT_EQ(ndr_model_create(&changed.desc, nullptr, 5, &model), NDR_OK) << message();

  std::vector<float> w = normal(3, 0.5f, 5, NDR_PARAM_STREAM + 0);
  std::vector<float> g = normal(3, 0.25f, 5, NDR_PARAM_STREAM + 1);
  std::vector<float> b = normal(3, 2.0f, 5, NDR_PARAM_STREAM + 2);
  for (int j = 0; j < 3; ++j) {
    g[j] = ndr_bf16_to_f32(ndr_f32_to_bf16(g[j]));
    b[j] = ndr_f16_to_f32(ndr_f32_to_f16(b[j]));
  }
  expectNear(run(model, 0), expectedY(x, w.data(), g.data(), b.data()));
}

TEST_F(RuntimeModel, LoadsParamsByNameAndIgnoresOtherTensors) {
  const int64_t steps = 3;
  std::string path =
      writeParams({{"bn.num_batches_tracked", NDR_I64, 0, nullptr, &steps}});
  int initCalls = ndr_test_model_init_calls();
  ASSERT_EQ(ndr_model_create(&ndr_test_model, path.c_str(), 7, &model), NDR_OK)
      << message();
  EXPECT_EQ(ndr_test_model_init_calls(), initCalls + 1);
  const float wf[3] = {1, 2, 3}, gf[3] = {2, 2, 2}, bf[3] = {0.5f, 0.5f, 0.5f};
  expectNear(run(model, 0), expectedY(x, wf, gf, bf));
  EXPECT_EQ(ndr_test_model_misaligned(), 0);
}

TEST_F(RuntimeModel, RunsFromSeveralThreadsAtOnce) {
  ASSERT_EQ(ndr_model_create(&ndr_test_model, writeParams().c_str(), 0, &model), NDR_OK)
      << message();
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      const float wf[3] = {1, 2, 3}, gf[3] = {2, 2, 2}, bf[3] = {0.5f, 0.5f, 0.5f};
      for (int round = 0; round < 500; ++round) {
        float in[6], y[6], z;
        for (int i = 0; i < 6; ++i)
          in[i] = static_cast<float>(t * 1000 + round + i);
        const void *inputs[] = {in};
        void *outputs[] = {y, &z};
        uint64_t seed = static_cast<uint64_t>(t) * 100000 + round;
        if (ndr_model_run(model, inputs, outputs, seed) != NDR_OK ||
            std::vector<float>(y, y + 6) != expectedY(in, wf, gf, bf) ||
            z != static_cast<float>(seed))
          ++failures;
      }
    });
  for (std::thread &thread : threads)
    thread.join();
  EXPECT_EQ(failures, 0);
}

TEST_F(RuntimeModel, MissingParamsFileIsAnIoError) {
  std::string path = dir.path("absent.safetensors");
  EXPECT_EQ(ndr_model_create(&ndr_test_model, path.c_str(), 0, &model), NDR_ERR_IO);
  EXPECT_EQ(model, nullptr);
  EXPECT_EQ(message(), path + ": cannot open: No such file or directory");
}

TEST_F(RuntimeModel, MalformedParamsFileIsAFormatError) {
  std::string path = dir.path("bad.safetensors");
  writeBytes(path, ndr_test::le(2, 8) + "[]");
  EXPECT_EQ(ndr_model_create(&ndr_test_model, path.c_str(), 0, &model), NDR_ERR_FORMAT);
  EXPECT_EQ(model, nullptr);
  EXPECT_NE(message().find(path), std::string::npos) << message();
}

TEST_F(RuntimeModel, MissingParamNamesParamAndFile) {
  std::string path = writeParams({}, "g");
  int initCalls = ndr_test_model_init_calls();
  EXPECT_EQ(ndr_model_create(&ndr_test_model, path.c_str(), 0, &model), NDR_ERR_MISSING);
  EXPECT_EQ(model, nullptr);
  EXPECT_EQ(message(), path + ": missing parameter 'g' (bf16[3]) of model 'test'");
  EXPECT_EQ(ndr_test_model_init_calls(), initCalls);
}

TEST_F(RuntimeModel, ParamOfWrongShapeOrDtypeIsRejected) {
  const int64_t vec4[] = {4};
  const float w4[4] = {1, 2, 3, 4};
  std::string path = dir.path("p.safetensors");
  ndr_safetensors_tensor tensors[] = {{"w", NDR_F32, 1, vec4, w4},
                                      {"g", NDR_BF16, 1, vec3, g},
                                      {"b", NDR_F16, 1, vec3, b}};
  ASSERT_EQ(ndr_safetensors_write(path.c_str(), tensors, 3, nullptr, 0), NDR_OK);
  EXPECT_EQ(ndr_model_create(&ndr_test_model, path.c_str(), 0, &model), NDR_ERR_SHAPE);
  EXPECT_EQ(message(), path + ": tensor 'w': expected shape [3], got [4]");

  tensors[0] = {"w", NDR_F32, 1, vec3, w};
  tensors[1] = {"g", NDR_F32, 1, vec3, w}; // g is bf16
  ASSERT_EQ(ndr_safetensors_write(path.c_str(), tensors, 3, nullptr, 0), NDR_OK);
  EXPECT_EQ(ndr_model_create(&ndr_test_model, path.c_str(), 0, &model), NDR_ERR_DTYPE);
  EXPECT_EQ(message(), path + ": tensor 'g': expected dtype bf16, got f32");
  EXPECT_EQ(model, nullptr);
}

TEST_F(RuntimeModel, ParamWithoutDefaultNeedsAParamsFile) {
  ChangedModel changed;
  changed.params[2].init = NDR_INIT_NONE;
  EXPECT_EQ(ndr_model_create(&changed.desc, nullptr, 0, &model), NDR_ERR_MISSING);
  EXPECT_EQ(model, nullptr);
  EXPECT_EQ(message(),
            "model 'test': parameter 'b' has no default value; give a params file");
  ASSERT_EQ(ndr_model_create(&changed.desc, writeParams().c_str(), 0, &model), NDR_OK)
      << message();
}

TEST_F(RuntimeModel, InvalidDescriptorsAreRejected) {
  const int64_t negative[] = {-1};
  struct Case {
    void (*change)(ChangedModel &);
    const char *message;
  };
  const Case cases[] = {
      {[](ChangedModel &m) { m.desc.run = nullptr; }, "model 'test': no run function"},
      {[](ChangedModel &m) { m.desc.init = nullptr; },
       "model 'test': derived values but no init function"},
      {[](ChangedModel &m) { m.desc.name = nullptr; }, "model descriptor without a name"},
      {[](ChangedModel &m) { m.desc.num_params = -1; },
       "model 'test': parameter: invalid count or null array"},
      {[](ChangedModel &m) { m.desc.outputs = nullptr; },
       "model 'test': output: invalid count or null array"},
      {[](ChangedModel &m) { m.params[0].name = nullptr; },
       "model 'test': parameter 0 has no name"},
      {[](ChangedModel &m) { m.params[1].dtype = NDR_I64; },
       "model 'test': parameter 'g': dtype must be f32, f16 or bf16, not i64"},
      {[](ChangedModel &m) { m.params[0].rank = NDR_MAX_RANK + 1; },
       "model 'test': parameter 'w': invalid shape"},
      {[](ChangedModel &m) { m.params[0].init_std = -1.0f; },
       "model 'test': parameter 'w': invalid initializer"},
      {[](ChangedModel &m) { m.desc.workspace_bytes = -64; },
       "model 'test': negative workspace size"},
  };
  for (const Case &c : cases) {
    ChangedModel changed;
    c.change(changed);
    EXPECT_EQ(ndr_model_create(&changed.desc, nullptr, 0, &model), NDR_ERR_ARG);
    EXPECT_EQ(model, nullptr);
    EXPECT_EQ(message(), c.message);
  }
  ChangedModel changed;
  changed.params[2].shape = negative;
  EXPECT_EQ(ndr_model_create(&changed.desc, nullptr, 0, &model), NDR_ERR_ARG);
  EXPECT_EQ(message(), "model 'test': parameter 'b': invalid shape");
  EXPECT_EQ(ndr_model_create(nullptr, nullptr, 0, &model), NDR_ERR_ARG);
  EXPECT_EQ(ndr_model_create(&ndr_test_model, nullptr, 0, nullptr), NDR_ERR_ARG);
}

TEST_F(RuntimeModel, RunRejectsNullBuffers) {
  ASSERT_EQ(ndr_model_create(&ndr_test_model, nullptr, 0, &model), NDR_OK) << message();
  float y[6], z;
  const void *inputs[] = {x};
  const void *noInput[] = {nullptr};
  void *outputs[] = {y, &z};
  void *noZ[] = {y, nullptr};
  int runCalls = ndr_test_model_run_calls();
  EXPECT_EQ(ndr_model_run(model, noInput, outputs, 0), NDR_ERR_ARG);
  EXPECT_EQ(message(), "model 'test': null input 'x'");
  EXPECT_EQ(ndr_model_run(model, nullptr, outputs, 0), NDR_ERR_ARG);
  EXPECT_EQ(ndr_model_run(model, inputs, noZ, 0), NDR_ERR_ARG);
  EXPECT_EQ(message(), "model 'test': null output 'z'");
  EXPECT_EQ(ndr_model_run(model, inputs, nullptr, 0), NDR_ERR_ARG);
  EXPECT_EQ(ndr_model_run(nullptr, inputs, outputs, 0), NDR_ERR_ARG);
  EXPECT_EQ(ndr_test_model_run_calls(), runCalls);
  ndr_model_destroy(nullptr);
}

// A run with a workspace gets it as the buffer after the outputs, 64-byte
// aligned; a run that follows another gets the same one (no allocation, no
// fresh pages), and runs that overlap get distinct ones.
namespace workspace {
constexpr int64_t kBytes = 1000;
// 1 input, 1 output: buffers[2] is the workspace.
std::atomic<int> inside{0}, maxInside{0};
std::mutex seenMutex;
std::vector<void *> seen;
void run(void **buffers, uint64_t) {
  int now = ++inside;
  for (int m = maxInside; now > m && !maxInside.compare_exchange_weak(m, now);)
    ;
  auto *bytes = static_cast<unsigned char *>(buffers[2]);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(bytes) % 64, 0u);
  // A run owns its workspace: a second run writing it now would be caught.
  std::memset(bytes, 0xab, kBytes);
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  for (int64_t i = 0; i < kBytes; ++i)
    if (bytes[i] != 0xab) {
      ADD_FAILURE() << "workspace shared by two runs";
      break;
    }
  *static_cast<float *>(buffers[1]) = *static_cast<const float *>(buffers[0]);
  {
    std::lock_guard<std::mutex> lock(seenMutex);
    seen.push_back(buffers[2]);
  }
  --inside;
}
const int64_t one[] = {1};
const ndr_tensor_desc tensorX = {"x", NDR_F32, 1, one, NDR_INIT_NONE, 0};
const ndr_tensor_desc tensorY = {"y", NDR_F32, 1, one, NDR_INIT_NONE, 0};
const ndr_model_desc desc = {"ws", 1, 0, 0, 1, &tensorX, nullptr, nullptr,
                             &tensorY, nullptr, run, kBytes};
} // namespace workspace

TEST_F(RuntimeModel, RunsKeepTheirWorkspacesForReuse) {
  ASSERT_EQ(ndr_model_create(&workspace::desc, nullptr, 0, &model), NDR_OK) << message();
  float in = 3, out = 0;
  const void *inputs[] = {&in};
  void *outputs[] = {&out};
  workspace::seen.clear();
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(ndr_model_run(model, inputs, outputs, 0), NDR_OK) << message();
  EXPECT_EQ(out, 3.0f);
  ASSERT_EQ(workspace::seen.size(), 3u);
  EXPECT_EQ(workspace::seen[1], workspace::seen[0]);
  EXPECT_EQ(workspace::seen[2], workspace::seen[0]);

  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      float tin = 5, tout = 0;
      const void *tinputs[] = {&tin};
      void *toutputs[] = {&tout};
      for (int i = 0; i < 20; ++i)
        EXPECT_EQ(ndr_model_run(model, tinputs, toutputs, 0), NDR_OK);
      EXPECT_EQ(tout, 5.0f);
    });
  for (std::thread &t : threads)
    t.join();
  // As many workspaces as runs overlapped, never more.
  std::set<void *> distinct(workspace::seen.begin(), workspace::seen.end());
  EXPECT_GE(distinct.size(), 1u);
  EXPECT_LE(distinct.size(), size_t(workspace::maxInside.load()));
}
