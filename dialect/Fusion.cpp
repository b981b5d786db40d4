//===- Fusion.cpp - what an ndr.fusion group may hold ---------------------===//

#include "dialect/Fusion.h"
#include "dialect/NdrOps.h"

using namespace mlir;
using namespace mlir::ndr;

bool ndr::isElementwise(Operation *op) {
  return isa<AddOp, MulOp, ReluOp, GeluOp, TanhOp, SigmoidOp, SiluOp, DropoutOp,
             DropConnectOp>(op);
}

bool ndr::isRowReduction(Operation *op) {
  return isa<LayerNormOp, RmsNormOp, FusedAddNormOp>(op);
}

int64_t ndr::getNormalizedRank(Operation *op) {
  if (auto norm = dyn_cast<LayerNormOp>(op))
    return norm.getNormalizedRank();
  if (auto norm = dyn_cast<RmsNormOp>(op))
    return norm.getNormalizedRank();
  return cast<FusedAddNormOp>(op).getNormalizedRank();
}

RowAccess ndr::classifyRowAccess(ArrayRef<int64_t> operand,
                                 ArrayRef<int64_t> shape, int64_t firstRowDim) {
  int64_t offset = shape.size() - operand.size();
  auto varies = [&](int64_t dim) {
    return dim >= offset && operand[dim - offset] != 1;
  };
  bool allRow = true, anyRow = false, anyOuter = false;
  for (int64_t dim = 0, rank = shape.size(); dim < rank; ++dim) {
    if (shape[dim] == 1)
      continue;
    if (dim < firstRowDim) {
      anyOuter |= varies(dim);
      continue;
    }
    allRow &= varies(dim);
    anyRow |= varies(dim);
  }
  if (allRow)
    return RowAccess::Full;
  if (!anyRow)
    return RowAccess::PerRow;
  return anyOuter ? RowAccess::Mixed : RowAccess::InRow;
}

std::optional<uint32_t> ndr::getDropoutStream(Operation *op) {
  if (auto dropout = dyn_cast<DropoutOp>(op))
    return dropout.getStream();
  if (auto dropConnect = dyn_cast<DropConnectOp>(op))
    return dropConnect.getStream();
  if (auto fused = dyn_cast<FusedAddNormOp>(op))
    return fused.getStream();
  return std::nullopt;
}

void ndr::setDropoutStream(Operation *op, uint32_t stream) {
  assert(getDropoutStream(op) && "an op that draws");
  op->setAttr("stream", IntegerAttr::get(IntegerType::get(op->getContext(), 32,
                                                          IntegerType::Unsigned),
                                         stream));
}
