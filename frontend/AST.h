//===- AST.h - syntax tree of the .ndr language -----------------*- C++ -*-===//
//
// The parser builds it, Sema checks it and fills in what it resolves (types,
// builtins, attribute values, dropout streams), the emitter turns it into ndr
// ops. It holds no MLIR types, so lexing, parsing and checking run without an
// MLIRContext (the fuzzer drives exactly those).
//
//===----------------------------------------------------------------------===//

#ifndef NDR_FRONTEND_AST_H
#define NDR_FRONTEND_AST_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/SMLoc.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mlir::ndr::frontend {

enum class ElementType { F32, F16, BF16 };

struct TensorType {
  ElementType elementType = ElementType::F32;
  llvm::SmallVector<int64_t> shape;

  bool operator==(const TensorType &other) const {
    return elementType == other.elementType && shape == other.shape;
  }
  bool operator!=(const TensorType &other) const { return !(*this == other); }
};

/// `f32[8, 768]`, as the language writes it.
std::string formatType(const TensorType &type);
llvm::StringRef formatElementType(ElementType type);

/// The value of a keyword argument: a number (`0.1`, `-1`) or a word (`tanh`).
struct KeywordValue {
  enum class Kind { Number, Word };
  Kind kind = Kind::Number;
  llvm::SMLoc loc;
  std::string spelling; // as written, with a leading '-' when negative
  double number = 0.0;
  bool isInteger = false;
};

struct KeywordArg {
  std::string name;
  llvm::SMLoc loc;
  KeywordValue value;
};

/// The ops of DESIGN.md section 3 that the language can call.
enum class Builtin {
  Dropout,
  DropConnect,
  Linear,
  LayerNorm,
  RmsNorm,
  BatchNorm,
  Relu,
  Gelu,
  Tanh,
  Sigmoid,
  Silu,
};

/// What Sema resolves for a call; defaults are those of the ops.
struct CallAttrs {
  Builtin builtin = Builtin::Relu;
  double p = 0.5;
  double eps = 0.0; // set per norm by Sema
  double momentum = 0.1;
  int64_t axis = 1;
  int64_t normalizedRank = 1;
  bool approximateTanh = false;
  uint32_t stream = 0;
};

struct Expr {
  enum class Kind { Name, Call, Add, Mul };

  Kind kind;
  /// The name, the callee, or the operator: where diagnostics and the IR
  /// locations of this expression point.
  llvm::SMLoc loc;
  std::string name; // Name: the variable; Call: the callee
  std::vector<std::unique_ptr<Expr>> operands;
  std::vector<KeywordArg> keywords; // Call only
  unsigned depth = 1;               // of the tree below, bounded by the parser

  // Filled in by Sema.
  TensorType type;
  CallAttrs attrs;

  Expr(Kind kind, llvm::SMLoc loc) : kind(kind), loc(loc) {}
};
using ExprPtr = std::unique_ptr<Expr>;

/// `param NAME: TYPE [= INIT]`.
struct ParamDecl {
  std::string name;
  llvm::SMLoc loc;
  TensorType type;
  /// `zeros`, `ones` or `normal(STD)` (the ndr.init attribute's text); empty
  /// when the source gives none.
  std::string init;
  llvm::SMLoc initLoc;
};

/// A statement of a model body: a parameter declaration or `NAME = EXPR`.
struct Statement {
  enum class Kind { Param, Assign };
  Kind kind;
  ParamDecl param;   // Param
  std::string name;  // Assign
  llvm::SMLoc loc;   // Assign: the bound name
  ExprPtr value;     // Assign; null if it did not parse
};

struct Input {
  std::string name;
  llvm::SMLoc loc;
  TensorType type;
};

struct Output {
  std::string name;
  llvm::SMLoc loc;
  TensorType type; // filled in by Sema
};

struct Model {
  std::string name;
  llvm::SMLoc loc;
  llvm::SMLoc endLoc; // the closing brace
  std::vector<Input> inputs;
  std::vector<Output> outputs;
  std::vector<Statement> body;
  bool hasSyntaxErrors = false; // statements were dropped
};

struct Program {
  std::vector<Model> models;
};

} // namespace mlir::ndr::frontend

#endif // NDR_FRONTEND_AST_H
