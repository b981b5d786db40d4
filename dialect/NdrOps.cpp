//===- NdrOps.cpp - ops of the ndr dialect ----------------------*- C++ -*-===//

#include "dialect/NdrOps.h"
#include "dialect/Fusion.h"
#include "dialect/Shapes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/Support/Format.h"

using namespace mlir;
using namespace mlir::ndr;

#include "dialect/NdrEnums.cpp.inc"

//===----------------------------------------------------------------------===//
// Checks shared by several ops
//===----------------------------------------------------------------------===//

/// `0.1`, not `1.000000e-01`: floats as users wrote them.
static std::string formatFloat(double value) {
  std::string text;
  llvm::raw_string_ostream(text) << llvm::format("%g", value);
  return text;
}

static LogicalResult verifyProbability(Operation *op, float p) {
  if (!(p >= 0.0f && p <= 1.0f)) // also rejects NaN
    return op->emitOpError("p must be in [0, 1], got ") << formatFloat(p);
  return success();
}

static LogicalResult verifyEps(Operation *op, float eps) {
  if (!(eps > 0.0f))
    return op->emitOpError("eps must be positive, got ") << formatFloat(eps);
  return success();
}

/// Every named tensor present has the element type of the first one.
static LogicalResult
verifyElementTypes(Operation *op,
                   ArrayRef<std::pair<StringRef, Value>> namedValues) {
  Type expected = getElementTypeOrSelf(namedValues.front().second);
  for (auto [name, value] : namedValues.drop_front()) {
    if (!value)
      continue;
    Type actual = getElementTypeOrSelf(value);
    if (actual != expected)
      return op->emitOpError()
             << name << " has element type " << actual << " but "
             << namedValues.front().first << " has " << expected;
  }
  return success();
}

/// A norm's rows are the trailing `normalizedRank` dimensions of its input;
/// gamma and beta, when present, have exactly those dimensions.
static LogicalResult verifyRowParams(Operation *op, RankedTensorType input,
                                     int64_t normalizedRank,
                                     ArrayRef<std::pair<StringRef, Value>> params) {
  if (normalizedRank < 1 || normalizedRank > input.getRank())
    return op->emitOpError("normalized_rank must be in [1, ")
           << input.getRank() << "] (the input's rank), got " << normalizedRank;
  ArrayRef<int64_t> row = input.getShape().take_back(normalizedRank);
  for (auto [name, value] : params) {
    if (!value)
      continue;
    ArrayRef<int64_t> shape = cast<RankedTensorType>(value.getType()).getShape();
    if (shape != row)
      return op->emitOpError()
             << name << " shape " << formatShape(shape)
             << " must equal the normalized dimensions " << formatShape(row)
             << " of the input";
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Dropout
//===----------------------------------------------------------------------===//

LogicalResult DropoutOp::verify() {
  return verifyProbability(*this, getP().convertToFloat());
}

LogicalResult DropConnectOp::verify() {
  return verifyProbability(*this, getP().convertToFloat());
}

// With p = 0 nothing is dropped and nothing is scaled, in either mode.
OpFoldResult DropoutOp::fold(FoldAdaptor) {
  return getP().isZero() ? getInput() : nullptr;
}

OpFoldResult DropConnectOp::fold(FoldAdaptor) {
  return getP().isZero() ? getInput() : nullptr;
}

//===----------------------------------------------------------------------===//
// Elementwise arithmetic
//===----------------------------------------------------------------------===//

static LogicalResult inferBroadcastType(StringRef opName,
                                        std::optional<Location> loc,
                                        Value lhs, Value rhs,
                                        SmallVectorImpl<Type> &inferred) {
  auto lhsType = dyn_cast<RankedTensorType>(lhs.getType());
  auto rhsType = dyn_cast<RankedTensorType>(rhs.getType());
  if (!lhsType || !rhsType)
    return emitOptionalError(loc, "'", opName,
                             "' op operands must be ranked tensors");
  if (lhsType.getElementType() != rhsType.getElementType())
    return emitOptionalError(loc, "'", opName,
                             "' op operands have different element types ",
                             lhsType.getElementType(), " and ",
                             rhsType.getElementType());
  std::optional<SmallVector<int64_t>> shape =
      broadcastShapes(lhsType.getShape(), rhsType.getShape());
  if (!shape)
    return emitOptionalError(loc, "'", opName, "' op shapes ",
                             formatShape(lhsType.getShape()), " and ",
                             formatShape(rhsType.getShape()),
                             " do not broadcast");
  inferred.push_back(RankedTensorType::get(*shape, lhsType.getElementType()));
  return success();
}

LogicalResult AddOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                      Adaptor adaptor,
                                      SmallVectorImpl<Type> &inferred) {
  return inferBroadcastType(getOperationName(), loc, adaptor.getLhs(),
                            adaptor.getRhs(), inferred);
}

LogicalResult MulOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                      Adaptor adaptor,
                                      SmallVectorImpl<Type> &inferred) {
  return inferBroadcastType(getOperationName(), loc, adaptor.getLhs(),
                            adaptor.getRhs(), inferred);
}

//===----------------------------------------------------------------------===//
// Linear
//===----------------------------------------------------------------------===//

LogicalResult LinearOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  auto fail = [&](auto &&...args) {
    return emitOptionalError(loc, "'", getOperationName(), "' op ", args...);
  };
  auto input = dyn_cast<RankedTensorType>(adaptor.getInput().getType());
  auto weight = dyn_cast<RankedTensorType>(adaptor.getWeight().getType());
  if (!input || !weight)
    return fail("operands must be ranked tensors");
  if (input.getRank() < 1)
    return fail("input must have rank >= 1");
  if (weight.getRank() != 2)
    return fail("weight must be 2-D [out, in], got ",
                formatShape(weight.getShape()));
  if (input.getShape().back() != weight.getDimSize(1))
    return fail("input has ", input.getShape().back(),
                " features but weight ", formatShape(weight.getShape()),
                " takes ", weight.getDimSize(1));
  if (weight.getElementType() != input.getElementType())
    return fail("weight has element type ", weight.getElementType(),
                " but input has ", input.getElementType());
  if (Value biasValue = adaptor.getBias()) {
    auto bias = dyn_cast<RankedTensorType>(biasValue.getType());
    if (!bias)
      return fail("operands must be ranked tensors");
    if (bias.getShape() != ArrayRef<int64_t>{weight.getDimSize(0)})
      return fail("bias shape ", formatShape(bias.getShape()), " must be [",
                  weight.getDimSize(0), "] (the weight's out features)");
    if (bias.getElementType() != input.getElementType())
      return fail("bias has element type ", bias.getElementType(),
                  " but input has ", input.getElementType());
  }
  SmallVector<int64_t> shape(input.getShape().drop_back());
  shape.push_back(weight.getDimSize(0));
  inferred.push_back(RankedTensorType::get(shape, input.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// Norms
//===----------------------------------------------------------------------===//

LogicalResult LayerNormOp::verify() {
  if (failed(verifyEps(*this, getEps().convertToFloat())) ||
      failed(verifyElementTypes(*this, {{"input", getInput()},
                                        {"gamma", getGamma()},
                                        {"beta", getBeta()}})))
    return failure();
  return verifyRowParams(*this, getInput().getType(), getNormalizedRank(),
                         {{"gamma", getGamma()}, {"beta", getBeta()}});
}

LogicalResult RmsNormOp::verify() {
  if (failed(verifyEps(*this, getEps().convertToFloat())) ||
      failed(verifyElementTypes(*this,
                                {{"input", getInput()}, {"gamma", getGamma()}})))
    return failure();
  return verifyRowParams(*this, getInput().getType(), getNormalizedRank(),
                         {{"gamma", getGamma()}});
}

LogicalResult BatchNormOp::verify() {
  RankedTensorType input = getInput().getType();
  if (input.getRank() < 2)
    return emitOpError("input must have rank >= 2 (batch and channels), got ")
           << formatShape(input.getShape());
  int64_t axis = getAxis();
  if (axis < -input.getRank() || axis >= input.getRank())
    return emitOpError("axis must be in [")
           << -input.getRank() << ", " << input.getRank() << "), got " << axis;
  if (failed(verifyEps(*this, getEps().convertToFloat())))
    return failure();
  float momentum = getMomentum().convertToFloat();
  if (!(momentum >= 0.0f && momentum <= 1.0f))
    return emitOpError("momentum must be in [0, 1], got ")
           << formatFloat(momentum);
  if (failed(verifyElementTypes(*this, {{"input", getInput()},
                                        {"running_mean", getRunningMean()},
                                        {"gamma", getGamma()},
                                        {"beta", getBeta()}})))
    return failure();
  int64_t channels = getNumChannels();
  std::pair<StringRef, Value> perChannel[] = {
      {"running_mean", getRunningMean()}, {"gamma", getGamma()}, {"beta", getBeta()}};
  for (auto [name, value] : perChannel) {
    if (!value)
      continue;
    ArrayRef<int64_t> shape = cast<RankedTensorType>(value.getType()).getShape();
    if (shape != ArrayRef<int64_t>{channels})
      return emitOpError() << name << " shape " << formatShape(shape)
                           << " must be [" << channels
                           << "] (the input's channels along axis " << axis
                           << ")";
  }
  return success();
}

LogicalResult FusedAddNormOp::verify() {
  RankedTensorType input = getInput().getType();
  if (getKind() == NormKind::Rms && getBeta())
    return emitOpError("rms norm takes no beta");
  if (getP().has_value() != getStream().has_value())
    return emitOpError("p and stream must be given together");
  if (getP() && failed(verifyProbability(*this, getP()->convertToFloat())))
    return failure();
  if (failed(verifyEps(*this, getEps().convertToFloat())) ||
      failed(verifyElementTypes(*this, {{"input", getInput()},
                                        {"bias", getBias()},
                                        {"residual", getResidual()},
                                        {"gamma", getGamma()},
                                        {"beta", getBeta()}})))
    return failure();
  if (Value residual = getResidual(); residual && residual.getType() != input)
    return emitOpError("residual type ")
           << residual.getType() << " must equal the input type " << input;
  if (Value sum = getSum(); sum && sum.getType() != input)
    return emitOpError("sum type ")
           << sum.getType() << " must equal the input type " << input;
  if (failed(verifyRowParams(*this, input, getNormalizedRank(),
                             {{"gamma", getGamma()}, {"beta", getBeta()}})))
    return failure();
  // The bias lies within one row, so a row kernel reads it like gamma.
  if (Value bias = getBias()) {
    ArrayRef<int64_t> shape = cast<RankedTensorType>(bias.getType()).getShape();
    ArrayRef<int64_t> row = input.getShape().take_back(getNormalizedRank());
    if (!isTrailingSuffix(row, shape))
      return emitOpError("bias shape ")
             << formatShape(shape)
             << " must equal trailing dimensions of the normalized row "
             << formatShape(row);
  }
  return success();
}

void FusedAddNormOp::getEffects(
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
        &effects) {
  if (hasDropout())
    effects.emplace_back(MemoryEffects::Read::get(), RngSeedResource::get());
}

//===----------------------------------------------------------------------===//
// fusion
//===----------------------------------------------------------------------===//

Operation *FusionOp::getRoot() {
  for (Operation &op : getBody().front())
    if (isRowReduction(&op))
      return &op;
  return nullptr;
}

ArrayRef<int64_t> FusionOp::getShape() {
  Operation &first = getBody().front().front();
  return cast<RankedTensorType>(first.getResult(0).getType()).getShape();
}

LogicalResult FusionOp::verify() {
  Block &body = getBody().front();
  if (body.getArgumentTypes() != getInputs().getTypes())
    return emitOpError("block argument types must equal the input types");
  return success();
}

LogicalResult FusionOp::verifyRegions() {
  Block &body = getBody().front();
  auto yield = dyn_cast<YieldOp>(body.getTerminator());
  if (!yield)
    return emitOpError("body must end with ndr.yield");
  if (yield.getValues().getTypes() != getResultTypes())
    return emitOpError("yielded types must equal the result types");
  if (&body.front() == yield)
    return emitOpError("must hold at least one op");
  ArrayRef<int64_t> shape = getShape();
  Operation *root = nullptr;
  for (Operation &op : body.without_terminator()) {
    if (isRowReduction(&op)) {
      if (root)
        return op.emitOpError("is a second row reduction in one ndr.fusion");
      root = &op;
    } else if (!isElementwise(&op)) {
      return op.emitOpError("cannot be part of an ndr.fusion: only "
                            "elementwise ops and one norm can");
    }
    for (Type type : op.getResultTypes())
      if (cast<RankedTensorType>(type).getShape() != shape)
        return op.emitOpError("result shape ")
               << formatShape(cast<RankedTensorType>(type).getShape())
               << " differs from the group's shape " << formatShape(shape);
  }
  for (auto [i, value] : llvm::enumerate(yield.getValues())) {
    ArrayRef<int64_t> yielded = cast<RankedTensorType>(value.getType()).getShape();
    if (yielded != shape)
      return emitOpError("yielded value #")
             << i << " of shape " << formatShape(yielded)
             << " differs from the group's shape " << formatShape(shape);
  }
  int64_t firstRowDim =
      root ? int64_t(shape.size()) - getNormalizedRank(root) : shape.size() - 1;
  for (BlockArgument arg : body.getArguments()) {
    ArrayRef<int64_t> operand =
        cast<RankedTensorType>(arg.getType()).getShape();
    if (classifyRowAccess(operand, shape, firstRowDim) == RowAccess::Mixed)
      return emitOpError("operand #")
             << arg.getArgNumber() << " of shape " << formatShape(operand)
             << " varies along part of the rows of " << formatShape(shape)
             << " and across them";
  }
  return success();
}

#define GET_OP_CLASSES
#include "dialect/NdrOps.cpp.inc"
