//===- NdrDialect.cpp - the ndr dialect -------------------------*- C++ -*-===//

#include "dialect/NdrDialect.h"
#include "dialect/NdrOps.h"

using namespace mlir;
using namespace mlir::ndr;

#include "dialect/NdrDialect.cpp.inc"

void NdrDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialect/NdrOps.cpp.inc"
      >();
}
