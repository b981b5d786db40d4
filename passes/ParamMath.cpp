//===- ParamMath.cpp - computation on parameters ----------------*- C++ -*-===//

#include "passes/ParamMath.h"
#include "dialect/Format.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

#include <cmath>

using namespace mlir;
using namespace mlir::ndr;

/// Evaluates the body of a generic built by buildParamMap on constant
/// operands: f32 arithmetic exactly as the generated code would do it.
static DenseElementsAttr foldParamMap(linalg::GenericOp op,
                                      ArrayRef<DenseElementsAttr> inputs) {
  auto resultType = cast<RankedTensorType>(op.getResultTypes().front());
  SmallVector<SmallVector<APFloat>> values;
  for (DenseElementsAttr input : inputs)
    values.emplace_back(input.getValues<APFloat>());

  auto toFloat = [](APFloat value) {
    bool lost;
    value.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven, &lost);
    return value.convertToFloat();
  };
  Block &body = op.getRegion().front();
  int64_t channelSize = resultType.getNumElements() / resultType.getDimSize(0);
  SmallVector<APFloat> results;
  for (int64_t i = 0, e = resultType.getNumElements(); i < e; ++i) {
    DenseMap<Value, float> scalar;
    for (auto [index, input] : llvm::enumerate(inputs)) {
      bool perChannel = input.getType().getRank() < resultType.getRank();
      scalar[body.getArgument(index)] =
          toFloat(values[index][perChannel ? i / channelSize : i]);
    }
    for (Operation &inner : body.without_terminator()) {
      // Greedy rewriting hoists the body's constants out of the generic.
      for (Value operand : inner.getOperands()) {
        FloatAttr constant;
        if (!scalar.count(operand) && !matchPattern(operand, m_Constant(&constant)))
          return nullptr;
        if (constant)
          scalar[operand] = constant.getValue().convertToFloat();
      }
      auto arg = [&](unsigned n) { return scalar.lookup(inner.getOperand(n)); };
      float value;
      if (isa<arith::ExtFOp>(inner))
        value = arg(0);
      else if (isa<arith::AddFOp>(inner))
        value = arg(0) + arg(1);
      else if (isa<arith::SubFOp>(inner))
        value = arg(0) - arg(1);
      else if (isa<arith::MulFOp>(inner))
        value = arg(0) * arg(1);
      else if (isa<arith::DivFOp>(inner))
        value = arg(0) / arg(1);
      else if (isa<math::SqrtOp>(inner))
        value = std::sqrt(arg(0));
      else if (auto constant = dyn_cast<arith::ConstantFloatOp>(inner))
        value = constant.value().convertToFloat();
      else
        return nullptr; // truncf is the rounding on store below
      scalar[inner.getResult(0)] = value;
    }
    Value yielded = body.getTerminator()->getOperand(0);
    if (auto trunc = yielded.getDefiningOp<arith::TruncFOp>())
      yielded = trunc.getIn();
    APFloat result(scalar.lookup(yielded));
    bool lost;
    result.convert(cast<FloatType>(resultType.getElementType()).getFloatSemantics(),
                   APFloat::rmNearestTiesToEven, &lost);
    results.push_back(result);
  }
  return DenseElementsAttr::get(resultType, results);
}

Value ndr::buildParamMap(RewriterBase &rewriter, Location loc,
                         RankedTensorType resultType, ArrayRef<Value> operands,
                         ScalarBody body) {
  MLIRContext *ctx = rewriter.getContext();
  int64_t rank = resultType.getRank();
  SmallVector<AffineMap> maps;
  for (Value operand : operands)
    maps.push_back(cast<RankedTensorType>(operand.getType()).getRank() == rank
                       ? AffineMap::getMultiDimIdentityMap(rank, ctx)
                       : AffineMap::get(rank, 0, getAffineDimExpr(0, ctx)));
  maps.push_back(AffineMap::getMultiDimIdentityMap(rank, ctx));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);

  Type f32 = rewriter.getF32Type();
  Type elementType = resultType.getElementType();
  Value init = tensor::EmptyOp::create(rewriter, loc, resultType.getShape(),
                                       elementType);
  auto generic = linalg::GenericOp::create(
      rewriter, loc, resultType, operands, init, maps, iterators,
      [&](OpBuilder &b, Location l, ValueRange args) {
        SmallVector<Value> scalars;
        for (Value arg : args.drop_back())
          scalars.push_back(arg.getType() == f32
                                ? arg
                                : arith::ExtFOp::create(b, l, f32, arg));
        Value result = body(b, l, scalars);
        if (elementType != f32)
          result = arith::TruncFOp::create(b, l, elementType, result);
        linalg::YieldOp::create(b, l, result);
      });

  SmallVector<DenseElementsAttr> constants;
  for (Value operand : operands) {
    DenseElementsAttr attr;
    if (!matchPattern(operand, m_Constant(&attr)))
      return generic.getResult(0);
    constants.push_back(attr);
  }
  DenseElementsAttr folded = foldParamMap(generic, constants);
  if (!folded)
    return generic.getResult(0);
  rewriter.eraseOp(generic);
  rewriter.eraseOp(init.getDefiningOp());
  return arith::ConstantOp::create(rewriter, loc, folded);
}

LinearOp ndr::matchLinearIntoBatchNorm(BatchNormOp norm, std::string &why) {
  auto linear = norm.getInput().getDefiningOp<LinearOp>();
  if (!linear) {
    why = "its input is not an ndr.linear";
    return nullptr;
  }
  if (!linear->hasOneUse()) {
    why = "the linear result has other users";
    return nullptr;
  }
  int64_t lastDim = norm.getInput().getType().getRank() - 1;
  if (norm.getChannelDim() != lastDim) {
    why = fmt::format("its channels (axis {}) are not the linear's output "
                      "features (the last dimension)",
                      norm.getAxis());
    return nullptr;
  }
  return linear;
}

Value ndr::expandPerChannel(OpBuilder &b, Location loc, Value value,
                            int64_t trailing) {
  if (trailing == 0)
    return value;
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<int64_t> shape = {type.getDimSize(0)};
  shape.append(trailing, 1);
  ReassociationIndices all;
  for (int64_t i = 0; i <= trailing; ++i)
    all.push_back(i);
  return tensor::ExpandShapeOp::create(b, loc, type.clone(shape), value,
                                       ArrayRef<ReassociationIndices>{all});
}
