//===- Sema.cpp - name, type and shape checking of .ndr ---------*- C++ -*-===//

#include "frontend/Sema.h"
#include "frontend/Diagnostics.h"
#include "dialect/Shapes.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"

#include <cmath>

using namespace mlir::ndr::frontend;
using llvm::SMLoc;
using llvm::StringRef;

//===----------------------------------------------------------------------===//
// Builtins
//===----------------------------------------------------------------------===//

namespace {
struct BuiltinInfo {
  StringRef name;
  Builtin builtin;
  unsigned minArgs, maxArgs;
  /// The names of the positional arguments, for messages.
  llvm::ArrayRef<llvm::StringLiteral> argNames;
  llvm::ArrayRef<llvm::StringLiteral> keywords;
};
} // namespace

static constexpr llvm::StringLiteral kUnaryArgs[] = {"input"};
static constexpr llvm::StringLiteral kLinearArgs[] = {"input", "weight", "bias"};
static constexpr llvm::StringLiteral kLayerNormArgs[] = {"input", "gamma",
                                                         "beta"};
static constexpr llvm::StringLiteral kBatchNormArgs[] = {
    "input", "running_mean", "running_var", "gamma", "beta"};
static constexpr llvm::StringLiteral kDropoutKeywords[] = {"p"};
static constexpr llvm::StringLiteral kNormKeywords[] = {"eps"};
static constexpr llvm::StringLiteral kBatchNormKeywords[] = {"axis", "eps",
                                                             "momentum"};
static constexpr llvm::StringLiteral kGeluKeywords[] = {"approximate"};

static const BuiltinInfo kBuiltins[] = {
    {"dropout", Builtin::Dropout, 1, 1, kUnaryArgs, kDropoutKeywords},
    {"drop_connect", Builtin::DropConnect, 1, 1, kUnaryArgs, kDropoutKeywords},
    {"linear", Builtin::Linear, 2, 3, kLinearArgs, {}},
    {"layer_norm", Builtin::LayerNorm, 1, 3, kLayerNormArgs, kNormKeywords},
    {"rms_norm", Builtin::RmsNorm, 1, 2, kLayerNormArgs, kNormKeywords},
    {"batch_norm", Builtin::BatchNorm, 3, 5, kBatchNormArgs,
     kBatchNormKeywords},
    {"relu", Builtin::Relu, 1, 1, kUnaryArgs, {}},
    {"gelu", Builtin::Gelu, 1, 1, kUnaryArgs, kGeluKeywords},
    {"tanh", Builtin::Tanh, 1, 1, kUnaryArgs, {}},
    {"sigmoid", Builtin::Sigmoid, 1, 1, kUnaryArgs, {}},
    {"silu", Builtin::Silu, 1, 1, kUnaryArgs, {}},
};

static const BuiltinInfo *lookupBuiltin(StringRef name) {
  for (const BuiltinInfo &info : kBuiltins)
    if (info.name == name)
      return &info;
  return nullptr;
}

/// `; did you mean 'x'?` for the candidate closest to `name`, if any is close.
template <typename Range>
static std::string suggest(StringRef name, const Range &candidates) {
  // Up to one edit in three characters: `reluu`, not `y` for `z`.
  StringRef best;
  unsigned bestDistance = name.size() / 3 + 1;
  for (StringRef candidate : candidates) {
    unsigned distance = name.edit_distance(candidate, true, bestDistance);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best.empty() ? std::string() : fmt::format("; did you mean '{}'?", best);
}

//===----------------------------------------------------------------------===//
// Checker of one model
//===----------------------------------------------------------------------===//

namespace {
/// An input or a parameter.
struct Declared {
  std::string name;
  SMLoc loc;
  bool isParam;
  TensorType type;
  std::string init;
  bool used = false;
};

/// What a name is bound to now.
struct Binding {
  std::optional<TensorType> type; // none: its value had an error
  SMLoc loc;
  /// The input or parameter of this name, if there is one (rebound or not).
  int declared = -1;
  /// Whether the name still holds the declared input or parameter itself.
  bool isDeclaredValue = false;
};

class ModelChecker {
public:
  ModelChecker(Model &model, Diagnostics &diags) : model(model), diags(diags) {}
  void check();

private:
  void declare(StringRef name, SMLoc loc, bool isParam, const TensorType &type,
               StringRef init);
  void checkAssign(Statement &statement);
  std::optional<TensorType> checkExpr(Expr &expr);
  std::optional<TensorType> checkName(Expr &expr);
  std::optional<TensorType> checkBinary(Expr &expr);
  std::optional<TensorType> checkCall(Expr &expr);
  bool checkKeywords(Expr &call, const BuiltinInfo &info);
  std::optional<TensorType> checkCallTypes(Expr &call, const BuiltinInfo &info,
                                           llvm::ArrayRef<TensorType> args);
  std::optional<TensorType> checkNorm(Expr &call, const BuiltinInfo &info,
                                      llvm::ArrayRef<TensorType> args);
  std::optional<TensorType> checkBatchNorm(Expr &call,
                                           llvm::ArrayRef<TensorType> args);
  const Declared *getRunningStat(Expr &arg);

  Model &model;
  Diagnostics &diags;
  std::vector<Declared> declared;
  llvm::StringMap<Binding> env;
  uint32_t nextStream = 0;
};
} // namespace

void ModelChecker::declare(StringRef name, SMLoc loc, bool isParam,
                           const TensorType &type, StringRef init) {
  auto it = env.find(name);
  if (it != env.end()) {
    diags.error(loc, "redefinition of '{}'", name);
    diags.note(it->second.loc, "previous definition is here");
    return;
  }
  declared.push_back({name.str(), loc, isParam, type, init.str()});
  env[name] = Binding{type, loc, int(declared.size() - 1), true};
}

void ModelChecker::check() {
  unsigned errorsBefore = diags.getNumErrors();
  if (model.outputs.empty())
    diags.error(model.loc, "model '{}' has no outputs", model.name);
  for (const Input &input : model.inputs)
    declare(input.name, input.loc, /*isParam=*/false, input.type, "");

  for (Statement &statement : model.body) {
    if (diags.reachedLimit())
      return;
    if (statement.kind == Statement::Kind::Param)
      declare(statement.param.name, statement.param.loc, /*isParam=*/true,
              statement.param.type, statement.param.init);
    else
      checkAssign(statement);
  }

  llvm::StringMap<SMLoc> seenOutputs;
  for (Output &output : model.outputs) {
    auto [seen, inserted] = seenOutputs.try_emplace(output.name, output.loc);
    if (!inserted) {
      diags.error(output.loc, "duplicate output '{}'", output.name);
      diags.note(seen->second, "previous output is here");
      continue;
    }
    auto it = env.find(output.name);
    if (it == env.end()) {
      diags.error(output.loc, "output '{}' is never bound{}", output.name,
                  suggest(output.name, env.keys()));
      continue;
    }
    if (it->second.isDeclaredValue)
      declared[it->second.declared].used = true;
    if (it->second.type)
      output.type = *it->second.type;
  }

  // Uses in statements with errors may not have been seen.
  if (model.hasSyntaxErrors || diags.getNumErrors() != errorsBefore)
    return;
  for (const Declared &decl : declared)
    if (!decl.used)
      diags.warning(decl.loc, "{} '{}' is never used",
                    decl.isParam ? "parameter" : "input", decl.name);
}

void ModelChecker::checkAssign(Statement &statement) {
  std::optional<TensorType> type;
  if (statement.value)
    type = checkExpr(*statement.value);
  auto it = env.find(statement.name);
  if (it == env.end()) {
    env[statement.name] = Binding{type, statement.loc};
    return;
  }
  Binding &binding = it->second;
  // Inputs and parameters keep their declared type; other names may take a
  // new shape (h = linear(h, ...)) but keep their element type.
  if (type && binding.declared >= 0) {
    const Declared &decl = declared[binding.declared];
    if (*type != decl.type) {
      diags.error(statement.loc, "cannot rebind {} '{}' of type {} to a value of type {}",
                  decl.isParam ? "parameter" : "input", decl.name,
                  formatType(decl.type), formatType(*type));
      diags.note(decl.loc, "declared here");
      type = std::nullopt;
    }
  } else if (type && binding.type &&
             type->elementType != binding.type->elementType) {
    diags.error(statement.loc,
                "cannot rebind '{}' of element type {} to a value of element type {}",
                statement.name, formatElementType(binding.type->elementType),
                formatElementType(type->elementType));
    diags.note(binding.loc, "previously bound here");
    type = std::nullopt;
  }
  binding.type = type;
  binding.loc = statement.loc;
  binding.isDeclaredValue = false;
}

std::optional<TensorType> ModelChecker::checkExpr(Expr &expr) {
  std::optional<TensorType> type;
  switch (expr.kind) {
  case Expr::Kind::Name:
    type = checkName(expr);
    break;
  case Expr::Kind::Add:
  case Expr::Kind::Mul:
    type = checkBinary(expr);
    break;
  case Expr::Kind::Call:
    type = checkCall(expr);
    break;
  }
  if (type)
    expr.type = *type;
  return type;
}

std::optional<TensorType> ModelChecker::checkName(Expr &expr) {
  auto it = env.find(expr.name);
  if (it == env.end()) {
    std::string hint = lookupBuiltin(expr.name)
                           ? fmt::format("; '{}' is a function", expr.name)
                           : suggest(expr.name, env.keys());
    diags.error(expr.loc, "unknown name '{}'{}", expr.name, hint);
    return std::nullopt;
  }
  if (it->second.isDeclaredValue)
    declared[it->second.declared].used = true;
  return it->second.type;
}

std::optional<TensorType> ModelChecker::checkBinary(Expr &expr) {
  std::optional<TensorType> lhs = checkExpr(*expr.operands[0]);
  std::optional<TensorType> rhs = checkExpr(*expr.operands[1]);
  if (!lhs || !rhs)
    return std::nullopt;
  StringRef op = expr.kind == Expr::Kind::Add ? "'+'" : "'*'";
  if (lhs->elementType != rhs->elementType) {
    diags.error(expr.loc, "operands of {} have different element types: {} and {}",
                op, formatType(*lhs), formatType(*rhs));
    return std::nullopt;
  }
  std::optional<llvm::SmallVector<int64_t>> shape =
      mlir::ndr::broadcastShapes(lhs->shape, rhs->shape);
  if (!shape) {
    diags.error(expr.loc, "operands of {} do not broadcast: {} and {}", op,
                formatType(*lhs), formatType(*rhs));
    return std::nullopt;
  }
  return TensorType{lhs->elementType, std::move(*shape)};
}

std::optional<TensorType> ModelChecker::checkCall(Expr &call) {
  const BuiltinInfo *info = lookupBuiltin(call.name);
  if (info && (info->builtin == Builtin::Dropout ||
               info->builtin == Builtin::DropConnect))
    call.attrs.stream = nextStream++; // source order: before the arguments

  // Check the arguments even of a bad call, to report every error in them.
  bool argsOk = true;
  llvm::SmallVector<TensorType> args;
  for (ExprPtr &operand : call.operands) {
    std::optional<TensorType> type = checkExpr(*operand);
    argsOk &= type.has_value();
    if (type)
      args.push_back(*type);
  }

  if (!info) {
    llvm::SmallVector<StringRef> names;
    for (const BuiltinInfo &builtin : kBuiltins)
      names.push_back(builtin.name);
    diags.error(call.loc, "unknown function '{}'{}", call.name,
                suggest(call.name, names));
    return std::nullopt;
  }
  call.attrs.builtin = info->builtin;

  size_t numArgs = call.operands.size();
  if (numArgs < info->minArgs || numArgs > info->maxArgs) {
    std::string expected =
        info->maxArgs == info->minArgs ? fmt::format("{}", info->minArgs)
        : info->maxArgs == info->minArgs + 1
            ? fmt::format("{} or {}", info->minArgs, info->maxArgs)
            : fmt::format("{} to {}", info->minArgs, info->maxArgs);
    diags.error(call.loc, "'{}' takes {} {}, got {}", call.name, expected,
                info->maxArgs == 1 ? "argument" : "arguments", numArgs);
    return std::nullopt;
  }
  if (!checkKeywords(call, *info) || !argsOk)
    return std::nullopt;
  return checkCallTypes(call, *info, args);
}

bool ModelChecker::checkKeywords(Expr &call, const BuiltinInfo &info) {
  CallAttrs &attrs = call.attrs;
  attrs.eps = info.builtin == Builtin::RmsNorm ? 1e-6 : 1e-5;
  bool ok = true;
  llvm::StringMap<SMLoc> seen;
  for (const KeywordArg &keyword : call.keywords) {
    const KeywordValue &value = keyword.value;
    auto fail = [&](std::string message) {
      diags.error(value.loc, std::move(message));
      ok = false;
    };
    if (!llvm::is_contained(info.keywords, keyword.name)) {
      std::string takes =
          info.keywords.empty()
              ? "none"
              : fmt::format("{}", fmt::join(info.keywords, ", "));
      diags.error(keyword.loc, "'{}' has no keyword argument '{}'; it takes {}",
                  call.name, keyword.name, takes);
      ok = false;
      continue;
    }
    auto [first, inserted] = seen.try_emplace(keyword.name, keyword.loc);
    if (!inserted) {
      diags.error(keyword.loc, "keyword argument '{}' is given twice",
                  keyword.name);
      diags.note(first->second, "first given here");
      ok = false;
      continue;
    }

    if (keyword.name == "approximate") {
      if (value.kind != KeywordValue::Kind::Word ||
          (value.spelling != "none" && value.spelling != "tanh"))
        fail(fmt::format("approximate must be none or tanh, got {}", value.spelling));
      else
        attrs.approximateTanh = value.spelling == "tanh";
      continue;
    }
    if (value.kind != KeywordValue::Kind::Number) {
      fail(fmt::format("{} must be a number, got '{}'", keyword.name, value.spelling));
      continue;
    }
    // The attributes are f32: check the value the op will hold.
    float f32 = float(value.number);
    if (keyword.name == "p") {
      if (!(value.number >= 0.0 && value.number <= 1.0))
        fail(fmt::format("p must be in [0, 1], got {}", value.spelling));
      attrs.p = value.number;
    } else if (keyword.name == "momentum") {
      if (!(value.number >= 0.0 && value.number <= 1.0))
        fail(fmt::format("momentum must be in [0, 1], got {}", value.spelling));
      attrs.momentum = value.number;
    } else if (keyword.name == "eps") {
      if (!(value.number > 0.0))
        fail(fmt::format("eps must be positive, got {}", value.spelling));
      else if (!(f32 > 0.0f) || std::isinf(f32))
        fail(fmt::format("eps {} is out of the range of f32", value.spelling));
      attrs.eps = value.number;
    } else if (keyword.name == "axis") {
      // The range depends on the input: checked with the types.
      if (!value.isInteger)
        fail(fmt::format("axis must be an integer, got {}", value.spelling));
    }
  }
  return ok;
}

/// The parameter that a running statistic of batch_norm names, if it does.
const Declared *ModelChecker::getRunningStat(Expr &arg) {
  if (arg.kind != Expr::Kind::Name)
    return nullptr;
  const Binding &binding = env.find(arg.name)->second;
  if (!binding.isDeclaredValue || !declared[binding.declared].isParam)
    return nullptr;
  return &declared[binding.declared];
}

std::optional<TensorType>
ModelChecker::checkCallTypes(Expr &call, const BuiltinInfo &info,
                             llvm::ArrayRef<TensorType> args) {
  // One element type for all arguments: the dialect has no casts.
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i].elementType == args[0].elementType)
      continue;
    diags.error(call.operands[i]->loc, "'{}' {} has element type {} but {} has {}",
                call.name, info.argNames[i], formatElementType(args[i].elementType),
                info.argNames[0], formatElementType(args[0].elementType));
    return std::nullopt;
  }

  const TensorType &input = args[0];
  switch (info.builtin) {
  case Builtin::Dropout:
  case Builtin::DropConnect:
  case Builtin::Relu:
  case Builtin::Gelu:
  case Builtin::Tanh:
  case Builtin::Sigmoid:
  case Builtin::Silu:
    return input;
  case Builtin::LayerNorm:
  case Builtin::RmsNorm:
    return checkNorm(call, info, args);
  case Builtin::BatchNorm:
    return checkBatchNorm(call, args);
  case Builtin::Linear:
    break;
  }

  const TensorType &weight = args[1];
  if (input.shape.empty()) {
    diags.error(call.operands[0]->loc,
                "linear input must have at least one dimension, got {}",
                formatType(input));
    return std::nullopt;
  }
  if (weight.shape.size() != 2) {
    diags.error(call.operands[1]->loc, "linear weight must be 2-D [out, in], got {}",
                formatType(weight));
    return std::nullopt;
  }
  if (input.shape.back() != weight.shape[1]) {
    diags.error(call.operands[1]->loc,
                "linear weight {} takes {} features but the input {} has {}",
                formatType(weight), weight.shape[1], formatType(input),
                input.shape.back());
    return std::nullopt;
  }
  if (args.size() == 3 &&
      args[2].shape != llvm::ArrayRef<int64_t>{weight.shape[0]}) {
    diags.error(call.operands[2]->loc,
                "linear bias {} must be [{}] (the weight's out features)",
                formatType(args[2]), weight.shape[0]);
    return std::nullopt;
  }
  TensorType result = input;
  result.shape.back() = weight.shape[0];
  return result;
}

std::optional<TensorType>
ModelChecker::checkNorm(Expr &call, const BuiltinInfo &info,
                        llvm::ArrayRef<TensorType> args) {
  const TensorType &input = args[0];
  // The norm normalizes the trailing dimensions that gamma has.
  int64_t rank = args.size() > 1 ? int64_t(args[1].shape.size()) : 1;
  call.attrs.normalizedRank = rank;
  if (rank < 1 || rank > int64_t(input.shape.size())) {
    Expr &culprit = *call.operands[args.size() > 1 ? 1 : 0];
    if (args.size() > 1)
      diags.error(culprit.loc,
                  "'{}' gamma {} must have 1 to {} dimensions (the trailing "
                  "dimensions of the input {})",
                  call.name, formatType(args[1]), input.shape.size(),
                  formatType(input));
    else
      diags.error(culprit.loc, "'{}' input must have at least one dimension, got {}",
                  call.name, formatType(input));
    return std::nullopt;
  }
  llvm::ArrayRef<int64_t> row = llvm::ArrayRef(input.shape).take_back(rank);
  for (size_t i = 1; i < args.size(); ++i) {
    if (llvm::ArrayRef(args[i].shape) == row)
      continue;
    diags.error(call.operands[i]->loc,
                "'{}' {} {} must equal the normalized dimensions {} of the input {}",
                call.name, info.argNames[i], formatType(args[i]),
                mlir::ndr::formatShape(row), formatType(input));
    return std::nullopt;
  }
  return input;
}

std::optional<TensorType>
ModelChecker::checkBatchNorm(Expr &call, llvm::ArrayRef<TensorType> args) {
  const TensorType &input = args[0];
  int64_t rank = input.shape.size();
  if (rank < 2) {
    diags.error(call.operands[0]->loc,
                "batch_norm input must have at least 2 dimensions (batch and "
                "channels), got {}",
                formatType(input));
    return std::nullopt;
  }
  for (const KeywordArg &keyword : call.keywords) {
    if (keyword.name != "axis")
      continue;
    const KeywordValue &axis = keyword.value;
    if (axis.number < -rank || axis.number >= rank) {
      diags.error(axis.loc, "axis must be in [{}, {}) for input {}, got {}", -rank,
                  rank, formatType(input), axis.spelling);
      return std::nullopt;
    }
    call.attrs.axis = int64_t(axis.number);
  }
  int64_t axis = call.attrs.axis;
  int64_t channels = input.shape[axis < 0 ? axis + rank : axis];

  bool ok = true;
  for (size_t i = 1; i < args.size(); ++i) {
    if (llvm::ArrayRef(args[i].shape) == llvm::ArrayRef<int64_t>{channels})
      continue;
    diags.error(call.operands[i]->loc,
                "batch_norm {} {} must be [{}] (the channels of the input {} along "
                "axis {})",
                kBatchNormArgs[i], formatType(args[i]), channels, formatType(input),
                axis);
    ok = false;
  }
  // Train mode updates the running statistics in place: they are state of
  // the model, loaded and saved by name.
  for (size_t i : {1, 2}) {
    if (getRunningStat(*call.operands[i]))
      continue;
    diags.error(call.operands[i]->loc,
                "batch_norm {} must be a parameter (train mode updates it in place)",
                kBatchNormArgs[i]);
    ok = false;
  }
  if (!ok)
    return std::nullopt;
  const Declared *var = getRunningStat(*call.operands[2]);
  if (var->init.empty() || StringRef(var->init).starts_with("normal"))
    diags.warning(call.operands[2]->loc,
                  "running variance '{}' starts from {}, which has negative "
                  "values; declare it '= ones'",
                  var->name, var->init.empty() ? kDefaultInit.str() : var->init);
  return input;
}

bool mlir::ndr::frontend::checkProgram(Program &program, Diagnostics &diags) {
  unsigned errorsBefore = diags.getNumErrors();
  llvm::StringMap<SMLoc> names;
  for (Model &model : program.models) {
    if (diags.reachedLimit())
      break;
    auto [first, inserted] = names.try_emplace(model.name, model.loc);
    if (!inserted) {
      diags.error(model.loc, "duplicate model '{}'", model.name);
      diags.note(first->second, "previous definition is here");
    }
    ModelChecker(model, diags).check();
  }
  return diags.getNumErrors() == errorsBefore;
}
