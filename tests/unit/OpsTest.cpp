//===- OpsTest.cpp - building and verifying ndr ops from C++ ----*- C++ -*-===//
//
// The passes and the front end build ops through the generated builders; these
// tests pin down what those builders infer and what the verifiers reject.
//
//===----------------------------------------------------------------------===//

#include "dialect/NdrOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace mlir::ndr;

namespace {

class OpsTest : public ::testing::Test {
protected:
  OpsTest() : builder(&context) {
    context.loadDialect<NdrDialect>();
    module = ModuleOp::create(builder.getUnknownLoc());
    builder.setInsertionPointToEnd(module->getBody());
  }

  /// A value of the given type, from an op that stands for a function argument.
  Value value(ArrayRef<int64_t> shape, Type elementType = {}) {
    if (!elementType)
      elementType = builder.getF32Type();
    OperationState state(builder.getUnknownLoc(), "test.source");
    state.addTypes(RankedTensorType::get(shape, elementType));
    return builder.create(state)->getResult(0);
  }

  /// The first error the verifier reports for the module, or "".
  std::string verifyError() {
    std::string message;
    ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
      if (message.empty())
        message = diag.str();
      return success();
    });
    (void)verify(*module);
    return message;
  }

  MLIRContext context;
  OpBuilder builder;
  OwningOpRef<ModuleOp> module;
};

TEST_F(OpsTest, AddInfersBroadcastShape) {
  context.allowUnregisteredDialects();
  auto add = AddOp::create(builder, builder.getUnknownLoc(), value({8, 768}),
                           value({768}));
  EXPECT_EQ(add.getType().getShape(), (ArrayRef<int64_t>{8, 768}));
  EXPECT_EQ(verifyError(), "");
}

TEST_F(OpsTest, LinearInfersOutFeatures) {
  context.allowUnregisteredDialects();
  auto linear = LinearOp::create(builder, builder.getUnknownLoc(),
                                 value({4, 16, 768}), value({3072, 768}),
                                 value({3072}));
  EXPECT_EQ(linear.getType().getShape(), (ArrayRef<int64_t>{4, 16, 3072}));
  EXPECT_EQ(linear.getInFeatures(), 768);
  EXPECT_EQ(linear.getOutFeatures(), 3072);
  EXPECT_EQ(verifyError(), "");
}

TEST_F(OpsTest, DropoutRejectsProbabilityAboveOne) {
  context.allowUnregisteredDialects();
  DropoutOp::create(builder, builder.getUnknownLoc(), value({8, 768}),
                    builder.getF32FloatAttr(1.5f), builder.getUI32IntegerAttr(0));
  EXPECT_EQ(verifyError(), "'ndr.dropout' op p must be in [0, 1], got 1.5");
}

TEST_F(OpsTest, LayerNormDefaults) {
  context.allowUnregisteredDialects();
  auto norm = LayerNormOp::create(builder, builder.getUnknownLoc(),
                                  value({2, 3}), Value(), Value());
  EXPECT_FLOAT_EQ(norm.getEps().convertToFloat(), 1e-5f);
  EXPECT_EQ(norm.getNormalizedRank(), 1);
  EXPECT_EQ(verifyError(), "");
}

TEST_F(OpsTest, BatchNormChannelsLast) {
  context.allowUnregisteredDialects();
  Value stats = value({16});
  auto norm = BatchNormOp::create(builder, builder.getUnknownLoc(),
                                  value({4, 7, 16}), stats, stats, Value(),
                                  Value(), /*axis=*/-1, 1e-5f, 0.1f);
  EXPECT_EQ(norm.getChannelDim(), 2);
  EXPECT_EQ(norm.getNumChannels(), 16);
  EXPECT_EQ(verifyError(), "");
}

TEST_F(OpsTest, DropoutWithZeroProbabilityFolds) {
  Value x = value({4});
  context.allowUnregisteredDialects();
  auto dropout = DropoutOp::create(builder, builder.getUnknownLoc(), x,
                                   builder.getF32FloatAttr(0.0f),
                                   builder.getUI32IntegerAttr(3));
  SmallVector<OpFoldResult> folded;
  ASSERT_TRUE(succeeded(dropout->fold(folded)));
  ASSERT_EQ(folded.size(), 1u);
  EXPECT_EQ(llvm::dyn_cast_if_present<Value>(folded[0]), x);
}

TEST_F(OpsTest, SideEffects) {
  context.allowUnregisteredDialects();
  Value x = value({2, 8});
  auto dropout = DropoutOp::create(builder, builder.getUnknownLoc(), x,
                                   builder.getF32FloatAttr(0.1f),
                                   builder.getUI32IntegerAttr(0));
  EXPECT_TRUE(hasEffect<MemoryEffects::Read>(dropout.getOperation()));
  EXPECT_FALSE(hasEffect<MemoryEffects::Write>(dropout.getOperation()));

  auto add = AddOp::create(builder, builder.getUnknownLoc(), x, x);
  EXPECT_TRUE(isMemoryEffectFree(add));
}

} // namespace
