//===- Passes.cpp - ndr-lower-to-linalg and ndr-lower-fusions ---------------===//

#include "codegen/CodegenUtils.h"
#include "codegen/cpu/Passes.h"
#include "dialect/NdrOps.h"

#include "mlir/Dialect/Math/Transforms/Approximation.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Transforms/DialectConversion.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::ndr {
#define GEN_PASS_DEF_LOWERTOLINALG
#define GEN_PASS_DEF_LOWERFUSIONS
#include "codegen/cpu/Passes.h.inc"
} // namespace mlir::ndr

using namespace mlir;
using namespace mlir::ndr;

namespace {

struct LowerToLinalgPass : ndr::impl::LowerToLinalgBase<LowerToLinalgPass> {
  using LowerToLinalgBase::LowerToLinalgBase;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (mode == Mode::Train &&
        module.walk([](BatchNormOp) { return WalkResult::interrupt(); })
            .wasInterrupted())
      declareRunningStatsLock(module);
    // The last lowering of ndr ops: none may be left.
    ConversionTarget target(getContext());
    target.addIllegalDialect<NdrDialect>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    RewritePatternSet patterns(&getContext());
    populateLowerLinearPatterns(patterns);
    populateLowerBatchNormPatterns(patterns, mode);
    if (failed(lowerAll(module, target, std::move(patterns))))
      signalPassFailure();
  }
};

struct LowerFusionsPass : ndr::impl::LowerFusionsBase<LowerFusionsPass> {
  using LowerFusionsBase::LowerFusionsBase;
  void runOnOperation() override {
    if (vectorBits != 256 && vectorBits != 512) {
      getOperation().emitError("ndr-lower-fusions: vector-bits must be 256 or "
                               "512, not ")
          << static_cast<int64_t>(vectorBits);
      return signalPassFailure();
    }
    // Groups only: linear and batch_norm are ndr-lower-to-linalg's. The ops
    // in a group go with it.
    ConversionTarget target(getContext());
    target.addIllegalOp<FusionOp>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    RewritePatternSet patterns(&getContext());
    populateLowerFusionPatterns(patterns, mode, vectorBits);
    if (failed(lowerAll(getOperation(), target, std::move(patterns))))
      return signalPassFailure();
    // exp and tanh as polynomials (GELU's erfc is one already, Activations.cpp):
    // vectorizable, and no libm call per element. The accuracy is tested
    // against double precision (tests/unit/codegen/ActivationAccuracyTest.cpp).
    RewritePatternSet approximations(&getContext());
    populateMathPolynomialApproximationPatterns(
        approximations, [](StringRef name) {
          return name == math::ExpOp::getOperationName() ||
                 name == math::TanhOp::getOperationName();
        });
    if (failed(applyPatternsGreedily(getOperation(), std::move(approximations))))
      signalPassFailure();
  }
};

} // namespace
