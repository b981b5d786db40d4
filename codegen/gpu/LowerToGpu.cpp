//===- LowerToGpu.cpp - ndr-lower-to-gpu ----------------------------------===//

#include "codegen/gpu/Passes.h"
#include "dialect/NdrOps.h"

#include "mlir/Dialect/Math/Transforms/Approximation.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Transforms/DialectConversion.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::ndr {
#define GEN_PASS_DEF_LOWERTOGPU
#include "codegen/gpu/Passes.h.inc"
} // namespace mlir::ndr

using namespace mlir;
using namespace mlir::ndr;

namespace {

struct LowerToGpuPass : ndr::impl::LowerToGpuBase<LowerToGpuPass> {
  using LowerToGpuBase::LowerToGpuBase;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    // Every ndr op is lowered; the ops inside a group go with it.
    ConversionTarget target(getContext());
    target.addDynamicallyLegalDialect<NdrDialect>([](Operation *op) {
      return !isa<FusionOp>(op) && isa_and_nonnull<FusionOp>(op->getParentOp());
    });
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    RewritePatternSet patterns(&getContext());
    populateLowerFusionToGpuPatterns(patterns, mode);
    populateLowerLinearToCublasPatterns(patterns);
    populateLowerBatchNormToGpuPatterns(patterns, mode);
    if (failed(lowerAll(module, target, std::move(patterns))))
      return signalPassFailure();
    // The activations' exp and tanh as the CPU computes them: polynomials,
    // accurate to 2.5e-7 (ActivationAccuracyTest), no libdevice.
    RewritePatternSet approximations(&getContext());
    populateMathPolynomialApproximationPatterns(approximations, [](StringRef name) {
      return name == math::ExpOp::getOperationName() ||
             name == math::TanhOp::getOperationName();
    });
    FrozenRewritePatternSet frozen(std::move(approximations));
    for (auto kernels : module.getOps<gpu::GPUModuleOp>())
      if (failed(applyPatternsGreedily(kernels, frozen)))
        return signalPassFailure();
  }
};

} // namespace
