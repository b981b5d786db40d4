//===- NdrOps.h - ops of the ndr dialect ------------------------*- C++ -*-===//

#ifndef NDR_DIALECT_NDROPS_H
#define NDR_DIALECT_NDROPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialect/NdrDialect.h"
#include "dialect/Shapes.h"
#include "dialect/NdrEnums.h.inc"

#define GET_OP_CLASSES
#include "dialect/NdrOps.h.inc"

#endif // NDR_DIALECT_NDROPS_H
