//===- Harness.cpp - JIT models and compare with references ---------------===//

#include "Harness.h"

#include "codegen/Pipeline.h"
#include "dialect/ModelAttrs.h"
#include "dialect/NdrDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Func/Extensions/AllExtensions.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>

using namespace ndr::test;

//===----------------------------------------------------------------------===//
// Tensors
//===----------------------------------------------------------------------===//

static const llvm::fltSemantics &semantics(Elt elt) {
  switch (elt) {
  case Elt::F32:
    return llvm::APFloat::IEEEsingle();
  case Elt::F16:
    return llvm::APFloat::IEEEhalf();
  case Elt::BF16:
    return llvm::APFloat::BFloat();
  }
  llvm_unreachable("element type");
}

static size_t elementBytes(Elt elt) { return elt == Elt::F32 ? 4 : 2; }

Tensor::Tensor(std::vector<int64_t> shape, Elt elt)
    : shape(std::move(shape)), elt(elt) {
  numElements = 1;
  for (int64_t size : this->shape)
    numElements *= size;
  bytes.assign(numElements * elementBytes(elt), 0);
}

double Tensor::get(int64_t i) const {
  if (elt == Elt::F32) {
    float f;
    std::memcpy(&f, &bytes[4 * i], 4);
    return f;
  }
  uint16_t bits;
  std::memcpy(&bits, &bytes[2 * i], 2);
  return llvm::APFloat(semantics(elt), llvm::APInt(16, bits)).convertToDouble();
}

void Tensor::set(int64_t i, double value) {
  llvm::APFloat f(value);
  bool lost;
  f.convert(semantics(elt), llvm::APFloat::rmNearestTiesToEven, &lost);
  uint64_t bits = f.bitcastToAPInt().getZExtValue();
  std::memcpy(&bytes[elementBytes(elt) * i], &bits, elementBytes(elt));
}

std::string Tensor::type() const {
  std::string text = "tensor<";
  for (int64_t size : shape)
    text += std::to_string(size) + "x";
  return text + (elt == Elt::F32 ? "f32>" : elt == Elt::F16 ? "f16>" : "bf16>");
}

void ndr::test::fillUniform(Tensor &t, double lo, double hi, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  for (int64_t i = 0; i < t.size(); ++i)
    t.set(i, dist(gen));
}

void ndr::test::fillNonZero(Tensor &t, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> dist(0.5, 2.0);
  for (int64_t i = 0; i < t.size(); ++i)
    t.set(i, (gen() & 1 ? 1 : -1) * dist(gen));
}

//===----------------------------------------------------------------------===//
// Lowering and JIT
//===----------------------------------------------------------------------===//

namespace {

struct Context {
  Context() {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    mlir::DialectRegistry registry;
    registry.insert<mlir::ndr::NdrDialect, mlir::func::FuncDialect,
                    mlir::arith::ArithDialect, mlir::linalg::LinalgDialect,
                    mlir::tensor::TensorDialect>();
    mlir::func::registerAllExtensions(registry);
    mlir::ndr::registerCpuLoweringExtensions(registry);
    context = std::make_unique<mlir::MLIRContext>(registry);
    context->disableMultithreading();
  }
  std::unique_ptr<mlir::MLIRContext> context;
};

/// compiler-rt's f32 -> bf16 rounding, which LLVM's x86 backend calls for
/// bf16 selects and masked accesses on CPUs without AVX512-BF16 (the runtime
/// has the same for compiled models: runtime/convert.cpp). The bf16 travels
/// in the low 16 bits of the float's register.
float truncateToBf16(float value) {
  uint32_t x;
  std::memcpy(&x, &value, sizeof x);
  uint32_t bits = (x & 0x7FFFFFFF) > 0x7F800000 ? (x >> 16) | 0x0040
                                                : (x + 0x7FFF + ((x >> 16) & 1)) >> 16;
  float result;
  std::memcpy(&result, &bits, sizeof result);
  return result;
}

/// Parses and lowers `ir`; on failure returns null and the diagnostics.
mlir::OwningOpRef<mlir::ModuleOp> lower(mlir::MLIRContext &context,
                                        const std::string &ir,
                                        mlir::ndr::Mode mode, bool openmp,
                                        std::string &errors) {
  llvm::raw_string_ostream os(errors);
  mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &diag) {
    os << diag.getLocation() << ": " << diag << "\n";
    return mlir::success();
  });
  auto module = mlir::parseSourceString<mlir::ModuleOp>(ir, &context);
  if (!module)
    return nullptr;
  mlir::PassManager pm(&context);
  mlir::ndr::CpuLoweringOptions options;
  options.mode = mode;
  options.openmp = openmp;
  // Every output through the non-temporal path (and its fallback where a
  // row is not aligned): the end-to-end tests cover ordinary stores.
  options.nontemporalThreshold = 0;
  // 256 (8 lanes), or 512 (16) where CMake runs the tests again so.
  if (const char *bits = std::getenv("NDR_TEST_VECTOR_BITS"))
    options.vectorBits = std::atoi(bits);
  mlir::ndr::buildCpuLoweringPipeline(pm, options);
  if (mlir::failed(pm.run(*module)))
    return nullptr;
  return module;
}

} // namespace

struct Model::Impl {
  Context context;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  /// The bytes of @m's workspace (ndr-plan-workspace); 0: none.
  int64_t workspaceBytes = 0;
  std::unique_ptr<mlir::ExecutionEngine> engine;
};

std::unique_ptr<Model> Model::compile(const std::string &ir,
                                      mlir::ndr::Mode mode, bool openmp) {
#ifndef NDR_LIBOMP
  // Without libomp the JIT cannot resolve __kmpc_*: test the serial code.
  openmp = false;
#endif
  auto model = std::unique_ptr<Model>(new Model);
  model->impl = std::make_unique<Impl>();
  std::string errors;
  model->impl->module =
      lower(*model->impl->context.context, ir, mode, openmp, errors);
  if (!model->impl->module) {
    ADD_FAILURE() << "lowering failed:\n" << errors << "\n" << ir;
    return nullptr;
  }
  // ExecutionEngineOptions::transformer is a function_ref: the transformer
  // it refers to must outlive create() (a temporary did not; ASan reported
  // the stack-use-after-scope).
  std::function<llvm::Error(llvm::Module *)> transformer =
      mlir::makeOptimizingTransformer(3, 0, nullptr);
  mlir::ExecutionEngineOptions options;
  options.transformer = transformer;
#ifdef NDR_LIBOMP
  std::vector<llvm::StringRef> libs = {NDR_LIBOMP};
  options.sharedLibPaths = libs;
#endif
  auto engine = mlir::ExecutionEngine::create(*model->impl->module, options);
  if (!engine) {
    ADD_FAILURE() << "JIT failed: " << llvm::toString(engine.takeError());
    return nullptr;
  }
  (*engine)->registerSymbols([](llvm::orc::MangleAndInterner interner) {
    llvm::orc::SymbolMap symbols;
    symbols[interner("__truncsfbf2")] = {
        llvm::orc::ExecutorAddr::fromPtr(&truncateToBf16), llvm::JITSymbolFlags::Exported};
    return symbols;
  });
  model->impl->engine = std::move(*engine);
  if (mlir::Operation *m = model->impl->module->lookupSymbol("m"))
    if (auto bytes = m->getAttrOfType<mlir::IntegerAttr>(mlir::ndr::kWorkspaceAttr))
      model->impl->workspaceBytes = bytes.getInt();
  return model;
}

Model::~Model() = default;

void Model::run(const std::vector<Tensor *> &args, uint64_t seed) {
  std::vector<void *> pointers;
  for (Tensor *t : args)
    pointers.push_back(t->data());
  std::vector<void *> packed;
  // A workspace of its own per call: runs may overlap (StressTest).
  std::unique_ptr<void, decltype(&std::free)> workspace(nullptr, std::free);
  if (impl->workspaceBytes > 0) {
    workspace.reset(std::aligned_alloc(64, size_t(impl->workspaceBytes)));
    pointers.push_back(workspace.get());
  }
  for (void *&p : pointers)
    packed.push_back(&p);
  packed.push_back(&seed);
  llvm::Error err = impl->engine->invokePacked("m", packed);
  if (err)
    ADD_FAILURE() << "call failed: " << llvm::toString(std::move(err));
}

std::string ndr::test::modelIR(
    const std::vector<std::pair<std::string, std::string>> &args,
    const std::vector<std::string> &results, const std::string &body) {
  std::string text = "func.func @m(";
  for (size_t i = 0; i < args.size(); ++i)
    text += (i ? ", %" : "%") + args[i].first + ": " + args[i].second;
  text += ") -> (";
  for (size_t i = 0; i < results.size(); ++i)
    text += (i ? ", " : "") + results[i];
  return text + ") attributes {ndr.model} {\n" + body + "\n}\n";
}

//===----------------------------------------------------------------------===//
// References
//===----------------------------------------------------------------------===//

std::array<uint32_t, 4> ndr::test::philox(std::array<uint32_t, 4> c,
                                          std::array<uint32_t, 2> k) {
  for (int round = 0; round < 10; ++round) {
    uint64_t p0 = uint64_t(0xD2511F53u) * c[0];
    uint64_t p1 = uint64_t(0xCD9E8D57u) * c[2];
    c = {uint32_t(p1 >> 32) ^ c[1] ^ k[0], uint32_t(p1),
         uint32_t(p0 >> 32) ^ c[3] ^ k[1], uint32_t(p0)};
    k[0] += 0x9E3779B9u;
    k[1] += 0xBB67AE85u;
  }
  return c;
}

bool ndr::test::dropoutKeep(uint64_t index, uint64_t seed, uint32_t stream,
                            float p) {
  uint64_t block = index / 8, half = index % 8;
  auto words = philox({uint32_t(block), uint32_t(block >> 32), stream, 0},
                      {uint32_t(seed), uint32_t(seed >> 32)});
  uint32_t draw = (words[half / 2] >> (16 * (half % 2))) & 0xFFFF;
  auto threshold = uint32_t(std::lround(double(p) * 65536.0));
  return draw >= threshold;
}

float ndr::test::dropoutScale(float p) {
  return p < 1.0f ? float(1.0 / (1.0 - double(p))) : 0.0f;
}

std::vector<double> ndr::test::normReference(bool rms,
                                             const std::vector<double> &x,
                                             int64_t size, const Tensor *gamma,
                                             const Tensor *beta, float eps) {
  std::vector<double> y(x.size());
  for (size_t start = 0; start < x.size(); start += size) {
    double mean = 0, sq = 0;
    for (int64_t i = 0; i < size; ++i)
      mean += x[start + i];
    mean = rms ? 0.0 : mean / size;
    for (int64_t i = 0; i < size; ++i)
      sq += (x[start + i] - mean) * (x[start + i] - mean);
    double rstd = 1.0 / std::sqrt(sq / size + double(eps));
    for (int64_t i = 0; i < size; ++i) {
      double v = (x[start + i] - mean) * rstd;
      if (gamma)
        v *= gamma->get(i);
      if (beta)
        v += beta->get(i);
      y[start + i] = v;
    }
  }
  return y;
}

std::vector<double> ndr::test::values(const Tensor &t) {
  std::vector<double> v;
  for (int64_t i = 0; i < t.size(); ++i)
    v.push_back(t.get(i));
  return v;
}

double ndr::test::ulp(double value, Elt elt) {
  int mantissa = elt == Elt::F32 ? 23 : elt == Elt::F16 ? 10 : 7;
  int minExp = elt == Elt::F16 ? -14 : -126;
  int exp = value == 0 ? minExp : std::max(minExp, std::ilogb(value));
  return std::ldexp(1.0, exp - mantissa);
}

void ndr::test::expectClose(const Tensor &got, const std::vector<double> &want,
                            double rel, double abs) {
  ASSERT_EQ(size_t(got.size()), want.size());
  int reported = 0, mismatches = 0;
  double worst = 0;
  for (int64_t i = 0; i < got.size(); ++i) {
    double g = got.get(i), w = want[i];
    double tolerance = rel * std::fabs(w) + abs;
    if (got.elt != Elt::F32)
      tolerance += ulp(w, got.elt);
    double error = std::fabs(g - w);
    if (!(error <= tolerance)) {
      ++mismatches;
      worst = std::max(worst, error / tolerance);
      if (reported++ < 5)
        ADD_FAILURE() << "element " << i << ": got " << g << ", want " << w
                      << " (tolerance " << tolerance << ")";
    }
  }
  EXPECT_EQ(mismatches, 0) << "worst error / tolerance " << worst;
}
