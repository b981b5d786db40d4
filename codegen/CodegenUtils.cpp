//===- CodegenUtils.cpp - helpers shared by the lowering patterns ---------===//

#include "codegen/CodegenUtils.h"
#include "dialect/ModelAttrs.h"
#include "dialect/NdrOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/STLExtras.h"

#include <numeric>

using namespace mlir;

Value ndr::extendToF32(OpBuilder &b, Location loc, Value value) {
  Type f32 = b.getF32Type();
  if (getElementTypeOrSelf(value) == f32)
    return value;
  Type type = f32;
  if (auto vector = dyn_cast<VectorType>(value.getType()))
    type = vector.clone(f32);
  return arith::ExtFOp::create(b, loc, type, value);
}

Value ndr::truncateFromF32(OpBuilder &b, Location loc, Value value,
                           Type elementType) {
  if (getElementTypeOrSelf(value) == elementType)
    return value;
  Type type = elementType;
  if (auto vector = dyn_cast<VectorType>(value.getType()))
    type = vector.clone(elementType);
  return arith::TruncFOp::create(b, loc, type, value);
}

Value ndr::f32Constant(OpBuilder &b, Location loc, Type like, double value) {
  Type type = b.getF32Type();
  if (auto vector = dyn_cast<VectorType>(like))
    type = vector.clone(type);
  return createScalarOrSplatConstant(b, loc, type,
                                     APFloat(static_cast<float>(value)));
}

Value ndr::lookupSeed(Operation *op) {
  auto func = op->getParentOfType<func::FuncOp>();
  if (!func || func.isExternal())
    return {};
  for (BlockArgument arg : func.getArguments())
    if (func.getArgAttr(arg.getArgNumber(), kSeedArgAttr))
      return arg;
  return {};
}

Value ndr::lookupStream(OpBuilder &b, Location loc, Operation *op, uint32_t stream) {
  if (auto func = op->getParentOfType<func::FuncOp>(); func && !func.isExternal())
    for (BlockArgument arg : func.getArguments())
      if (auto attr = func.getArgAttrOfType<IntegerAttr>(arg.getArgNumber(), kStreamArgAttr);
          attr && attr.getValue().getZExtValue() == stream)
        return arg;
  return arith::ConstantIntOp::create(b, loc, b.getI32Type(), stream);
}

Value ndr::emptyTensor(OpBuilder &b, Location loc, RankedTensorType type) {
  return tensor::EmptyOp::create(b, loc, type.getShape(),
                                 type.getElementType());
}

Value ndr::reshapeToFlat(OpBuilder &b, Location loc, Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getRank() == 1)
    return value;
  if (type.getRank() == 0) // a scalar: one element, no dimension to merge
    return tensor::ExpandShapeOp::create(
        b, loc, RankedTensorType::get({1}, type.getElementType()), value,
        ArrayRef<ReassociationIndices>{});
  ReassociationIndices all(type.getRank());
  std::iota(all.begin(), all.end(), 0);
  return tensor::CollapseShapeOp::create(b, loc, value,
                                         ArrayRef<ReassociationIndices>{all});
}

Value ndr::reshapeTo(OpBuilder &b, Location loc, Value value,
                     RankedTensorType type) {
  if (value.getType() == type)
    return value;
  Value flat = reshapeToFlat(b, loc, value);
  if (type.getRank() == 1)
    return flat;
  if (type.getRank() == 0)
    return tensor::CollapseShapeOp::create(b, loc, type, flat,
                                           ArrayRef<ReassociationIndices>{});
  ReassociationIndices all(type.getRank());
  std::iota(all.begin(), all.end(), 0);
  return tensor::ExpandShapeOp::create(b, loc, type, flat,
                                       ArrayRef<ReassociationIndices>{all});
}

Value ndr::reshapeToRows(OpBuilder &b, Location loc, Value value,
                         int64_t rowRank) {
  auto type = cast<RankedTensorType>(value.getType());
  ArrayRef<int64_t> shape = type.getShape();
  int64_t rowSize = 1;
  for (int64_t size : shape.take_back(rowRank))
    rowSize *= size;
  int64_t rows = type.getNumElements() / rowSize;
  return reshapeTo(b, loc, value,
                   RankedTensorType::get({rows, rowSize}, type.getElementType()));
}

AffineMap ndr::broadcastMap(MLIRContext *context, ArrayRef<int64_t> operandShape,
                            ArrayRef<int64_t> resultShape) {
  int64_t offset = resultShape.size() - operandShape.size();
  SmallVector<AffineExpr> exprs;
  for (auto [i, size] : llvm::enumerate(operandShape)) {
    int64_t dim = offset + i;
    exprs.push_back(size == 1 && resultShape[dim] != 1
                        ? getAffineConstantExpr(0, context)
                        : getAffineDimExpr(dim, context));
  }
  return AffineMap::get(resultShape.size(), 0, exprs, context);
}

Value ndr::buildElementwise(OpBuilder &b, Location loc,
                            RankedTensorType resultType, ValueRange inputs,
                            ArrayRef<AffineMap> maps, ElementwiseBody body) {
  SmallVector<AffineMap> indexingMaps(maps);
  indexingMaps.push_back(b.getMultiDimIdentityMap(resultType.getRank()));
  SmallVector<utils::IteratorType> iterators(resultType.getRank(),
                                             utils::IteratorType::parallel);
  Type elementType = resultType.getElementType();
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{resultType}, inputs,
      ValueRange{emptyTensor(b, loc, resultType)}, indexingMaps, iterators,
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        SmallVector<Value> wide;
        for (Value arg : args.drop_back())
          wide.push_back(extendToF32(nested, nestedLoc, arg));
        Value result = body(nested, nestedLoc, wide);
        linalg::YieldOp::create(
            nested, nestedLoc,
            truncateFromF32(nested, nestedLoc, result, elementType));
      });
  return generic.getResult(0);
}

LogicalResult ndr::checkRunningStatsInPlace(Operation *op) {
  auto norm = cast<BatchNormOp>(op);
  Value mean = norm.getRunningMean(), var = norm.getRunningVar();
  if (isa<BlockArgument>(mean) && isa<BlockArgument>(var) && mean != var)
    return success();
  return norm.emitOpError("in train mode updates its running statistics in place, so "
                          "they must be two distinct arguments of the function");
}

ndr::BatchNormLayout ndr::batchNormLayout(Operation *op) {
  auto norm = cast<BatchNormOp>(op);
  auto type = cast<RankedTensorType>(norm.getType());
  BatchNormLayout layout;
  int64_t axis = norm.getChannelDim();
  for (int64_t d = 0; d < type.getRank(); ++d) {
    if (d < axis)
      layout.outer *= type.getDimSize(d);
    else if (d == axis)
      layout.channels = type.getDimSize(d);
    else
      layout.inner *= type.getDimSize(d);
  }
  return layout;
}

Value ndr::readOnlyBuffer(OpBuilder &b, Location loc, Value tensor) {
  auto type = cast<RankedTensorType>(tensor.getType());
  return bufferization::ToBufferOp::create(
      b, loc, MemRefType::get(type.getShape(), type.getElementType()), tensor,
      /*read_only=*/true);
}

Value ndr::firstElement(OpBuilder &b, Location loc, Value buffer) {
  auto type = MemRefType::get({}, cast<MemRefType>(buffer.getType()).getElementType());
  return memref::ReinterpretCastOp::create(b, loc, type, buffer, /*offset=*/0,
                                           /*sizes=*/{}, /*strides=*/{});
}
