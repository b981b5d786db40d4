//===- Harness.h - JIT models and compare with references -------*- C++ -*-===//

#ifndef NDR_TESTS_UNIT_CODEGEN_HARNESS_H
#define NDR_TESTS_UNIT_CODEGEN_HARNESS_H

#include "passes/Passes.h"

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ndr::test {

enum class Elt { F32, F16, BF16 };

/// A row-major tensor stored as the model sees it; values read and written
/// as doubles (writes round to nearest even in the storage type).
struct Tensor {
  Tensor(std::vector<int64_t> shape, Elt elt = Elt::F32);
  int64_t size() const { return numElements; }
  double get(int64_t i) const;
  void set(int64_t i, double value);
  void *data() { return bytes.data(); }
  /// `tensor<2x11xf32>`.
  std::string type() const;

  std::vector<int64_t> shape;
  Elt elt;
  int64_t numElements;
  std::vector<uint8_t> bytes;
};

/// Fills with values uniform in [lo, hi) from a fixed generator.
void fillUniform(Tensor &t, double lo, double hi, uint32_t seed);
/// Fills with values of magnitude in [0.5, 2), either sign: never zero.
void fillNonZero(Tensor &t, uint32_t seed);

/// A model module lowered with the CPU pipeline and JIT-compiled.
class Model {
public:
  /// Lowers `ir` (one function `@m`); fails the test and returns null with
  /// the diagnostics when lowering or JIT compilation fails.
  static std::unique_ptr<Model> compile(const std::string &ir,
                                        mlir::ndr::Mode mode,
                                        bool openmp = true);
  ~Model();
  /// Calls `@m` with the bare-pointer ABI: `args` are the inputs and
  /// parameters, then the outputs; then a fresh workspace, if `@m` has one
  /// (ndr-plan-workspace); then the seed.
  void run(const std::vector<Tensor *> &args, uint64_t seed = 0);

private:
  struct Impl;
  std::unique_ptr<Impl> impl;
};

/// `func.func @m(%name: type, ...) -> (results...) attributes {ndr.model}`
/// around `body`, which ends in its `return`.
std::string modelIR(const std::vector<std::pair<std::string, std::string>> &args,
                    const std::vector<std::string> &results,
                    const std::string &body);

/// Reference Philox4x32-10 (Random123), written independently of codegen/.
std::array<uint32_t, 4> philox(std::array<uint32_t, 4> counter,
                               std::array<uint32_t, 2> key);
/// DESIGN.md section 5: whether element `index` of stream `stream` is kept.
bool dropoutKeep(uint64_t index, uint64_t seed, uint32_t stream, float p);
/// 1 / (1 - p) as the kernels use it (f32).
float dropoutScale(float p);

/// Layer norm (`rms` false) or RMS norm of each row of `size` values of
/// `x`, in double; `gamma` and `beta` may be null.
std::vector<double> normReference(bool rms, const std::vector<double> &x,
                                  int64_t size, const Tensor *gamma,
                                  const Tensor *beta, float eps);

/// The values of a tensor as doubles.
std::vector<double> values(const Tensor &t);

/// The spacing of the storage type at `value` (one ulp).
double ulp(double value, Elt elt);

/// Expects every element of `got` within `rel * |want| + abs` of `want`:
/// the tolerance of the f32 math. Results stored as f16 or bf16 may be
/// another ulp of the storage type off (the one rounding on store). Reports
/// the first few mismatches.
void expectClose(const Tensor &got, const std::vector<double> &want,
                 double rel = 1e-5, double abs = 1e-6);

} // namespace ndr::test

#endif // NDR_TESTS_UNIT_CODEGEN_HARNESS_H
