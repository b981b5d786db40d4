//===- ModelAttrs.cpp - attributes that describe a model --------*- C++ -*-===//

#include "dialect/ModelAttrs.h"
#include "dialect/NdrDialect.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

using namespace mlir;
using namespace mlir::ndr;

std::optional<ParamInit> ndr::parseParamInit(StringRef text) {
  if (text == "zeros")
    return ParamInit{ParamInit::Kind::Zeros};
  if (text == "ones")
    return ParamInit{ParamInit::Kind::Ones};
  double std;
  if (text.consume_front("normal(") && text.consume_back(")") &&
      !text.trim().getAsDouble(std) && std > 0.0)
    return ParamInit{ParamInit::Kind::Normal, std};
  return std::nullopt;
}

static LogicalResult verifyName(Operation *op, NamedAttribute attr) {
  auto name = dyn_cast<StringAttr>(attr.getValue());
  if (!name || name.getValue().empty())
    return op->emitError() << "'" << attr.getName().getValue()
                           << "' must be a non-empty string";
  return success();
}

LogicalResult NdrDialect::verifyOperationAttribute(Operation *op,
                                                   NamedAttribute attr) {
  StringRef name = attr.getName().getValue();
  if (name != kModelAttr && name != kParamInitFuncAttr && name != kWorkspaceAttr)
    return op->emitError() << "unknown ndr attribute '" << name << "'";
  if (!isa<FunctionOpInterface>(op))
    return op->emitError() << "'" << name << "' is only valid on a function";
  if (name == kModelAttr && !isa<UnitAttr>(attr.getValue()))
    return op->emitError() << "'" << name << "' must be a unit attribute";
  if (name == kWorkspaceAttr) {
    auto bytes = dyn_cast<IntegerAttr>(attr.getValue());
    if (!bytes || !bytes.getType().isInteger(64) || bytes.getInt() <= 0)
      return op->emitError() << "'" << name
                             << "' must be a positive i64 byte count";
  }
  if (name == kParamInitFuncAttr && !isa<FlatSymbolRefAttr>(attr.getValue()))
    return op->emitError() << "'" << name
                           << "' must name the init function (@name)";
  return success();
}

LogicalResult NdrDialect::verifyRegionArgAttribute(Operation *op, unsigned,
                                                   unsigned argIndex,
                                                   NamedAttribute attr) {
  StringRef name = attr.getName().getValue();
  if (name == kInputAttr || name == kParamAttr || name == kDerivedAttr)
    return verifyName(op, attr);
  if (name == kStreamArgAttr) {
    auto stream = dyn_cast<IntegerAttr>(attr.getValue());
    auto func = dyn_cast<FunctionOpInterface>(op);
    if (!stream || !stream.getType().isUnsignedInteger(32) || !func ||
        !func.getArgumentTypes()[argIndex].isInteger(32))
      return op->emitError() << "'" << name
                             << "' must be a ui32 stream on an i32 argument";
    return success();
  }
  if (name == kSeedArgAttr) {
    auto func = dyn_cast<FunctionOpInterface>(op);
    if (!isa<UnitAttr>(attr.getValue()) || !func ||
        !func.getArgumentTypes()[argIndex].isInteger(64))
      return op->emitError() << "'" << name
                             << "' must be a unit attribute on an i64 argument";
    for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i)
      if (i != argIndex && func.getArgAttr(i, kSeedArgAttr))
        return op->emitError()
               << "'" << name << "' marks one argument, not " << i << " and "
               << argIndex;
    return success();
  }
  if (name == kCudaStreamArgAttr) {
    auto func = dyn_cast<FunctionOpInterface>(op);
    Type type = func ? func.getArgumentTypes()[argIndex] : Type();
    // The token, or the CUstream pointer it becomes in the LLVM dialect.
    StringRef dialect = type ? type.getDialect().getNamespace() : "";
    if (!isa<UnitAttr>(attr.getValue()) || (dialect != "gpu" && dialect != "llvm"))
      return op->emitError() << "'" << name
                             << "' must be a unit attribute on a "
                                "!gpu.async.token argument";
    return success();
  }
  if (name != kInitAttr)
    return op->emitError() << "unknown ndr argument attribute '" << name
                           << "'";
  auto text = dyn_cast<StringAttr>(attr.getValue());
  if (!text || !parseParamInit(text.getValue()))
    return op->emitError() << "'" << name
                           << "' must be \"zeros\", \"ones\" or "
                              "\"normal(STD)\" with STD > 0";
  auto func = dyn_cast<FunctionOpInterface>(op);
  if (!func || !func.getArgAttr(argIndex, kParamAttr))
    return op->emitError() << "'" << name
                           << "' is only valid on a parameter (ndr.param)";
  return success();
}

LogicalResult NdrDialect::verifyRegionResultAttribute(Operation *op, unsigned,
                                                      unsigned,
                                                      NamedAttribute attr) {
  StringRef name = attr.getName().getValue();
  if (name == kOutputAttr || name == kDerivedAttr)
    return verifyName(op, attr);
  return op->emitError() << "unknown ndr result attribute '" << name << "'";
}
