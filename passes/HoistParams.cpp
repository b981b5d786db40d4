//===- HoistParams.cpp - ndr-hoist-params -----------------------*- C++ -*-===//
//
// Computation on parameters alone gives the same result on every call; it
// moves into the model's init function, which runs once at load.
//
//===----------------------------------------------------------------------===//

#include "dialect/Format.h"
#include "dialect/ModelAttrs.h"
#include "dialect/NdrOps.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::ndr {
#define GEN_PASS_DEF_HOISTPARAMS
#include "passes/Passes.h.inc"
} // namespace mlir::ndr

using namespace mlir;
using namespace mlir::ndr;

namespace {

/// The ops of `model` computable at load time, in program order: effect-free
/// ops whose operands (and values captured by their regions) are
/// parameters, derived values or results of such ops.
llvm::SetVector<Operation *> findLoadTimeOps(func::FuncOp model) {
  llvm::DenseSet<Value> available;
  for (BlockArgument arg : model.getArguments())
    if (model.getArgAttr(arg.getArgNumber(), kParamAttr) ||
        model.getArgAttr(arg.getArgNumber(), kDerivedAttr))
      available.insert(arg);

  llvm::SetVector<Operation *> ops;
  for (Operation &op : model.getBody().front().without_terminator()) {
    if (!isMemoryEffectFree(&op))
      continue;
    llvm::SetVector<Value> captured;
    getUsedValuesDefinedAbove(op.getRegions(), captured);
    auto isAvailable = [&](Value v) { return available.contains(v); };
    if (!llvm::all_of(op.getOperands(), isAvailable) ||
        !llvm::all_of(captured, isAvailable))
      continue;
    ops.insert(&op);
    available.insert(op.result_begin(), op.result_end());
  }
  return ops;
}

/// "tensor<4xf32>, tensor<8xf16>" (a diagnostic would quote each type).
std::string typeList(TypeRange types) {
  std::string text;
  llvm::raw_string_ostream os(text);
  llvm::interleaveComma(types, os);
  return text;
}

/// The model's init function, checked to be one that hoisting can extend: a
/// single block ending in the return, taking the model's parameters and
/// returning its derived values, in order, with their types (the mapping in
/// hoistParams relies on it; the verifier checks each attribute alone). Null
/// when the model names none and has no derived values; failure, with an
/// error at the model, otherwise.
FailureOr<func::FuncOp> lookupInit(func::FuncOp model, SymbolTable &symbols) {
  SmallVector<Type> params, derived;
  for (BlockArgument arg : model.getArguments()) {
    if (model.getArgAttr(arg.getArgNumber(), kParamAttr))
      params.push_back(arg.getType());
    else if (model.getArgAttr(arg.getArgNumber(), kDerivedAttr))
      derived.push_back(arg.getType());
  }
  auto fail = [&] {
    return model.emitError() << "model '" << model.getSymName() << "' ";
  };
  auto name = model->getAttrOfType<FlatSymbolRefAttr>(kParamInitFuncAttr);
  if (!name) {
    if (!derived.empty())
      return fail() << "has ndr.derived arguments but no init function "
                       "(ndr.param_init) computing them";
    return func::FuncOp();
  }
  auto init = symbols.lookup<func::FuncOp>(name.getValue());
  if (!init)
    return fail() << "names init function " << name
                  << ", which is not a func.func of the module";
  if (init == model)
    return fail() << "names itself as its init function";
  if (init.isExternal())
    return fail() << "has an init function " << name << " without a body";
  if (!init.getBody().hasOneBlock() ||
      !isa<func::ReturnOp>(init.getBody().front().getTerminator()))
    return fail() << "has an init function " << name
                  << " that is not a single block ending in func.return";
  if (TypeRange(params) != init.getArgumentTypes())
    return fail() << "has parameters of types (" << typeList(params)
                  << ") but its init function " << name << " takes ("
                  << typeList(init.getArgumentTypes()) << ")";
  if (derived.size() != init.getNumResults())
    return fail() << "has " << derived.size()
                  << " ndr.derived arguments but its init function " << name
                  << " returns " << init.getNumResults() << " values";
  if (TypeRange(derived) != init.getResultTypes())
    return fail() << "has ndr.derived arguments of types ("
                  << typeList(derived) << ") but its init function " << name
                  << " returns (" << typeList(init.getResultTypes()) << ")";
  return init;
}

/// A new, empty init function of the model, taking every parameter.
func::FuncOp createInit(func::FuncOp model, SymbolTable &symbols) {
  SmallVector<Type> types;
  SmallVector<DictionaryAttr> attrs;
  for (BlockArgument arg : model.getArguments())
    if (model.getArgAttr(arg.getArgNumber(), kParamAttr)) {
      types.push_back(arg.getType());
      attrs.push_back(model.getArgAttrDict(arg.getArgNumber()));
    }
  OpBuilder builder(model->getContext());
  builder.setInsertionPointAfter(model);
  auto init = func::FuncOp::create(
      builder, model.getLoc(), (model.getSymName() + "_init").str(),
      builder.getFunctionType(types, {}));
  init.setAllArgAttrs(attrs);
  Block *body = init.addEntryBlock();
  builder.setInsertionPointToEnd(body);
  func::ReturnOp::create(builder, model.getLoc());
  symbols.insert(init); // renames it if the name is taken
  model->setAttr(kParamInitFuncAttr, FlatSymbolRefAttr::get(init));
  return init;
}

LogicalResult hoistParams(func::FuncOp model, SymbolTable &symbols) {
  llvm::SetVector<Operation *> ops = findLoadTimeOps(model);
  // Values the model still needs after hoisting: computed results with a
  // user that stays. Constants and other operand-free ops are cheaper to
  // keep than to load.
  SmallVector<Value> boundary;
  for (Operation *op : ops) {
    if (op->getNumOperands() == 0)
      continue;
    for (Value result : op->getResults())
      if (llvm::any_of(result.getUsers(),
                       [&](Operation *user) { return !ops.contains(user); }))
        boundary.push_back(result);
  }
  if (boundary.empty())
    return success();

  FailureOr<func::FuncOp> found = lookupInit(model, symbols);
  if (failed(found))
    return failure();
  func::FuncOp init = *found ? *found : createInit(model, symbols);
  auto initReturn = cast<func::ReturnOp>(init.getBody().front().getTerminator());

  // Model parameters are the init function's arguments, in order; derived
  // values are what the init function already returns.
  IRMapping mapping;
  unsigned nextParam = 0, numDerived = 0;
  for (BlockArgument arg : model.getArguments()) {
    if (model.getArgAttr(arg.getArgNumber(), kParamAttr))
      mapping.map(arg, init.getArgument(nextParam++));
    else if (model.getArgAttr(arg.getArgNumber(), kDerivedAttr))
      mapping.map(arg, initReturn.getOperand(numDerived++));
  }
  OpBuilder builder(initReturn);
  for (Operation *op : ops)
    builder.clone(*op, mapping);

  SmallVector<Value> returned(initReturn.getOperands());
  for (Value value : boundary) {
    std::string name = fmt::format("d{}", numDerived++);
    auto nameAttr = builder.getNamedAttr(kDerivedAttr, builder.getStringAttr(name));
    unsigned index = model.getNumArguments();
    (void)model.insertArgument(index, value.getType(),
                               builder.getDictionaryAttr(nameAttr),
                               value.getLoc());
    value.replaceUsesWithIf(model.getArgument(index), [&](OpOperand &use) {
      return !ops.contains(use.getOwner());
    });
    (void)init.insertResult(init.getNumResults(), value.getType(),
                            builder.getDictionaryAttr(nameAttr));
    returned.push_back(mapping.lookup(value));
  }
  initReturn->setOperands(returned);

  for (Operation *op : llvm::reverse(ops))
    if (op->use_empty())
      op->erase();
  return success();
}

struct HoistParamsPass : ndr::impl::HoistParamsBase<HoistParamsPass> {
  void runOnOperation() override {
    SymbolTable symbols(getOperation());
    SmallVector<func::FuncOp> models;
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (func->hasAttr(kModelAttr))
        models.push_back(func);
    bool failed = false;
    for (func::FuncOp model : models)
      failed |= mlir::failed(hoistParams(model, symbols));
    if (failed)
      signalPassFailure();
  }
};

} // namespace
