//===- Emitter.cpp - ndr ops from a checked .ndr program --------*- C++ -*-===//

#include "frontend/Emitter.h"
#include "frontend/Sema.h"

#include "dialect/ModelAttrs.h"
#include "dialect/NdrOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;
using namespace mlir::ndr;
using namespace mlir::ndr::frontend;

namespace {
class ModelEmitter {
public:
  ModelEmitter(OpBuilder &builder, llvm::SourceMgr &sourceMgr,
               StringAttr fileName)
      : builder(builder), sourceMgr(sourceMgr), fileName(fileName) {}

  void emit(const Model &model);

private:
  Location getLoc(llvm::SMLoc loc) {
    auto [line, column] = sourceMgr.getLineAndColumn(loc);
    return FileLineColLoc::get(fileName, line, column);
  }
  RankedTensorType getType(const frontend::TensorType &type);
  Value emit(const Expr &expr);
  Value emitCall(const Expr &call, ArrayRef<Value> args);

  OpBuilder &builder;
  llvm::SourceMgr &sourceMgr;
  StringAttr fileName;
  llvm::StringMap<Value> env;
};
} // namespace

RankedTensorType ModelEmitter::getType(const frontend::TensorType &type) {
  Type elementType;
  switch (type.elementType) {
  case ElementType::F32:
    elementType = builder.getF32Type();
    break;
  case ElementType::F16:
    elementType = builder.getF16Type();
    break;
  case ElementType::BF16:
    elementType = builder.getBF16Type();
    break;
  }
  return RankedTensorType::get(type.shape, elementType);
}

void ModelEmitter::emit(const Model &model) {
  // Arguments: the inputs, then the parameters in declaration order.
  SmallVector<Type> argTypes, resultTypes;
  SmallVector<Location> argLocs;
  for (const Input &input : model.inputs) {
    argTypes.push_back(getType(input.type));
    argLocs.push_back(getLoc(input.loc));
  }
  for (const Statement &statement : model.body) {
    if (statement.kind != Statement::Kind::Param)
      continue;
    argTypes.push_back(getType(statement.param.type));
    argLocs.push_back(getLoc(statement.param.loc));
  }
  for (const Output &output : model.outputs)
    resultTypes.push_back(getType(output.type));

  auto func = func::FuncOp::create(builder, getLoc(model.loc), model.name,
                                   builder.getFunctionType(argTypes, resultTypes));
  func->setAttr(kModelAttr, builder.getUnitAttr());
  Block *entry = func.addEntryBlock();
  for (auto [arg, loc] : llvm::zip_equal(entry->getArguments(), argLocs))
    arg.setLoc(loc);

  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(entry);
  unsigned argIndex = 0;
  for (const Input &input : model.inputs) {
    func.setArgAttr(argIndex, kInputAttr, builder.getStringAttr(input.name));
    env[input.name] = entry->getArgument(argIndex++);
  }
  for (const Statement &statement : model.body) {
    if (statement.kind == Statement::Kind::Assign) {
      env[statement.name] = emit(*statement.value);
      continue;
    }
    const ParamDecl &param = statement.param;
    func.setArgAttr(argIndex, kParamAttr, builder.getStringAttr(param.name));
    func.setArgAttr(argIndex, kInitAttr,
                    builder.getStringAttr(param.init.empty()
                                              ? StringRef(kDefaultInit)
                                              : StringRef(param.init)));
    env[param.name] = entry->getArgument(argIndex++);
  }

  SmallVector<Value> results;
  for (auto [index, output] : llvm::enumerate(model.outputs)) {
    func.setResultAttr(index, kOutputAttr, builder.getStringAttr(output.name));
    results.push_back(env.lookup(output.name));
  }
  func::ReturnOp::create(builder, getLoc(model.endLoc), results);
}

Value ModelEmitter::emit(const Expr &expr) {
  switch (expr.kind) {
  case Expr::Kind::Name:
    return env.lookup(expr.name);
  case Expr::Kind::Add:
  case Expr::Kind::Mul:
  case Expr::Kind::Call:
    break;
  }
  // Operands first, left to right, so ops appear in source order.
  SmallVector<Value, 5> args;
  for (const ExprPtr &operand : expr.operands)
    args.push_back(emit(*operand));
  if (expr.kind == Expr::Kind::Add)
    return AddOp::create(builder, getLoc(expr.loc), args[0], args[1]);
  if (expr.kind == Expr::Kind::Mul)
    return MulOp::create(builder, getLoc(expr.loc), args[0], args[1]);
  return emitCall(expr, args);
}

Value ModelEmitter::emitCall(const Expr &call, ArrayRef<Value> args) {
  Location loc = getLoc(call.loc);
  const CallAttrs &attrs = call.attrs;
  // Optional operands that the call does not give are null values.
  auto arg = [&](size_t i) { return i < args.size() ? args[i] : Value(); };
  switch (attrs.builtin) {
  case Builtin::Dropout:
    return DropoutOp::create(builder, loc, args[0], APFloat(float(attrs.p)),
                             attrs.stream);
  case Builtin::DropConnect:
    return DropConnectOp::create(builder, loc, args[0], APFloat(float(attrs.p)),
                                 attrs.stream);
  case Builtin::Linear:
    return LinearOp::create(builder, loc, args[0], args[1], arg(2));
  case Builtin::LayerNorm:
    return LayerNormOp::create(builder, loc, args[0], arg(1), arg(2),
                               float(attrs.eps), attrs.normalizedRank);
  case Builtin::RmsNorm:
    return RmsNormOp::create(builder, loc, args[0], arg(1), float(attrs.eps),
                             attrs.normalizedRank);
  case Builtin::BatchNorm:
    return BatchNormOp::create(builder, loc, args[0], args[1], args[2], arg(3),
                               arg(4), attrs.axis, float(attrs.eps),
                               float(attrs.momentum));
  case Builtin::Relu:
    return ReluOp::create(builder, loc, args[0]);
  case Builtin::Gelu:
    return GeluOp::create(builder, loc, args[0],
                          attrs.approximateTanh ? GeluApproximate::Tanh
                                                : GeluApproximate::None);
  case Builtin::Tanh:
    return TanhOp::create(builder, loc, args[0]);
  case Builtin::Sigmoid:
    return SigmoidOp::create(builder, loc, args[0]);
  case Builtin::Silu:
    return SiluOp::create(builder, loc, args[0]);
  }
  llvm_unreachable("unknown builtin");
}

OwningOpRef<ModuleOp> mlir::ndr::frontend::emitProgram(
    const Program &program, MLIRContext *context, llvm::SourceMgr &sourceMgr) {
  context->loadDialect<NdrDialect, func::FuncDialect>();
  const llvm::MemoryBuffer *buffer =
      sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
  StringAttr fileName =
      StringAttr::get(context, buffer->getBufferIdentifier());
  OpBuilder builder(context);
  OwningOpRef<ModuleOp> module =
      ModuleOp::create(FileLineColLoc::get(fileName, 1, 1));
  builder.setInsertionPointToEnd(module->getBody());
  for (const Model &model : program.models)
    ModelEmitter(builder, sourceMgr, fileName).emit(model);
  return module;
}
