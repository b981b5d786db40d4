//===- Parser.cpp - recursive-descent parser of .ndr ------------*- C++ -*-===//

#include "frontend/Parser.h"
#include "dialect/Shapes.h"
#include "frontend/Diagnostics.h"

#include "llvm/ADT/StringSwitch.h"

#include <cmath>

using namespace mlir::ndr::frontend;
using Kind = Token::Kind;

/// Deeper expressions are rejected rather than risking the stack of the
/// recursive parser, checker and emitter.
static constexpr unsigned kMaxExprDepth = 256;

Parser::Parser(llvm::StringRef buffer, Diagnostics &diags)
    : lexer(buffer, diags), diags(diags) {
  tok = lexer.next();
  lookahead = lexer.next();
}

void Parser::consume() {
  tok = lookahead;
  if (!tok.is(Kind::Eof))
    lookahead = lexer.next();
}

bool Parser::consumeIf(Kind kind) {
  if (!tok.is(kind))
    return false;
  consume();
  return true;
}

void Parser::errorExpected(llvm::StringRef what) {
  // The lexer has already reported a bad character.
  if (tok.is(Kind::Error))
    return;
  std::string found = tok.is(Kind::Eof) ? std::string("end of file")
                                        : fmt::format("'{}'", tok.spelling);
  diags.error(tok.getLoc(), "expected {}, found {}", what, found);
}

bool Parser::expect(Kind kind) {
  if (consumeIf(kind))
    return true;
  errorExpected(describe(kind));
  return false;
}

void Parser::skipToNextLine(const char *statementStart) {
  if (tok.spelling.data() == statementStart && !tok.is(Kind::Eof))
    consume();
  while (!tok.startsLine && !tok.is(Kind::RBrace) && !tok.is(Kind::Eof))
    consume();
}

Program Parser::parseProgram() {
  Program program;
  while (!tok.is(Kind::Eof) && !diags.reachedLimit()) {
    if (!tok.is(Kind::KwModel)) {
      errorExpected("'model'");
      // Resynchronize at the next model.
      do
        consume();
      while (!tok.is(Kind::KwModel) && !tok.is(Kind::Eof));
      continue;
    }
    if (std::optional<Model> model = parseModel())
      program.models.push_back(std::move(*model));
  }
  return program;
}

std::optional<Model> Parser::parseModel() {
  consume(); // 'model'
  Model model;
  if (!parseHeader(model)) {
    while (!tok.is(Kind::KwModel) && !tok.is(Kind::Eof))
      consume();
    return std::nullopt;
  }

  llvm::SMLoc lbrace = tok.getLoc();
  if (!expect(Kind::LBrace))
    return std::nullopt;
  while (!tok.is(Kind::RBrace) && !diags.reachedLimit()) {
    // A new model (or the end) before '}': the body was not closed.
    if (tok.is(Kind::Eof) || (tok.is(Kind::KwModel) && tok.startsLine)) {
      errorExpected("'}'");
      diags.note(lbrace, "to match this '{'");
      return std::nullopt;
    }
    const char *start = tok.spelling.data();
    std::optional<Statement> statement = parseStatement();
    bool complete = statement && (statement->kind == Statement::Kind::Param ||
                                  statement->value);
    if (statement)
      model.body.push_back(std::move(*statement));
    if (!complete) {
      model.hasSyntaxErrors = true;
      skipToNextLine(start);
    }
  }
  model.endLoc = tok.getLoc();
  consume(); // '}'
  return model;
}

bool Parser::parseHeader(Model &model) {
  model.loc = tok.getLoc();
  model.name = tok.spelling.str();
  if (!expect(Kind::Identifier))
    return false;

  llvm::SMLoc lparen = tok.getLoc();
  if (!expect(Kind::LParen))
    return false;
  if (!tok.is(Kind::RParen)) {
    do {
      Input input{tok.spelling.str(), tok.getLoc(), {}};
      if (!expect(Kind::Identifier) || !expect(Kind::Colon))
        return false;
      std::optional<TensorType> type = parseType();
      if (!type)
        return false;
      input.type = std::move(*type);
      model.inputs.push_back(std::move(input));
    } while (consumeIf(Kind::Comma));
  }
  if (!tok.is(Kind::RParen)) {
    errorExpected("')'");
    diags.note(lparen, "to match this '('");
    return false;
  }
  consume();

  if (!expect(Kind::Arrow))
    return false;
  lparen = tok.getLoc();
  if (!expect(Kind::LParen))
    return false;
  if (!tok.is(Kind::RParen)) {
    do {
      Output output{tok.spelling.str(), tok.getLoc(), {}};
      if (!expect(Kind::Identifier))
        return false;
      model.outputs.push_back(std::move(output));
    } while (consumeIf(Kind::Comma));
  }
  if (!tok.is(Kind::RParen)) {
    errorExpected("')'");
    diags.note(lparen, "to match this '('");
    return false;
  }
  consume();
  return true;
}

std::optional<TensorType> Parser::parseType() {
  TensorType type;
  std::optional<ElementType> elementType =
      llvm::StringSwitch<std::optional<ElementType>>(tok.spelling)
          .Case("f32", ElementType::F32)
          .Case("f16", ElementType::F16)
          .Case("bf16", ElementType::BF16)
          .Default(std::nullopt);
  if (!tok.is(Kind::Identifier) || !elementType) {
    if (tok.is(Kind::Identifier))
      diags.error(tok.getLoc(), "unknown element type '{}'; expected f32, f16 or bf16",
                  tok.spelling);
    else
      errorExpected("an element type (f32, f16 or bf16)");
    return std::nullopt;
  }
  type.elementType = *elementType;
  consume();

  llvm::SMLoc lbracket = tok.getLoc();
  if (!expect(Kind::LBracket))
    return std::nullopt;
  if (!tok.is(Kind::RBracket)) {
    do {
      int64_t dim;
      if (!tok.is(Kind::Integer)) {
        errorExpected("a dimension size");
        return std::nullopt;
      }
      if (tok.spelling.getAsInteger(10, dim) || dim < 1) {
        diags.error(tok.getLoc(),
                    "dimension size must be a positive 64-bit integer, got {}",
                    tok.spelling);
        return std::nullopt;
      }
      type.shape.push_back(dim);
      consume();
    } while (consumeIf(Kind::Comma));
  }
  if (!tok.is(Kind::RBracket)) {
    errorExpected("']'");
    diags.note(lbracket, "to match this '['");
    return std::nullopt;
  }
  consume();
  unsigned bits = type.elementType == ElementType::F32 ? 32 : 16;
  if (std::optional<std::string> error = mlir::ndr::tensorShapeError(type.shape, bits)) {
    diags.error(lbracket, *error);
    return std::nullopt;
  }
  return type;
}

std::optional<Statement> Parser::parseStatement() {
  if (tok.is(Kind::KwParam)) {
    std::optional<ParamDecl> param = parseParam();
    if (!param)
      return std::nullopt;
    Statement statement{Statement::Kind::Param, std::move(*param), {}, {}, {}};
    return statement;
  }

  Statement statement{Statement::Kind::Assign, {}, tok.spelling.str(),
                      tok.getLoc(), {}};
  if (!tok.is(Kind::Identifier)) {
    errorExpected("a statement ('param' or NAME = ...)");
    return std::nullopt;
  }
  consume();
  if (!expect(Kind::Equal))
    return std::nullopt;
  // From here on a broken statement still binds its name (to a null value),
  // so that its uses report nothing more.
  statement.value = parseExpr();
  // The next statement must begin on a new line: `y = a b` is a typo.
  if (statement.value && !tok.startsLine && !tok.is(Kind::RBrace) &&
      !tok.is(Kind::Eof)) {
    errorExpected("end of statement");
    statement.value = nullptr;
  }
  return statement;
}

std::optional<ParamDecl> Parser::parseParam() {
  consume(); // 'param'
  ParamDecl param;
  param.name = tok.spelling.str();
  param.loc = tok.getLoc();
  if (!expect(Kind::Identifier) || !expect(Kind::Colon))
    return std::nullopt;
  std::optional<TensorType> type = parseType();
  if (!type)
    return std::nullopt;
  param.type = std::move(*type);
  if (consumeIf(Kind::Equal) && !parseInit(param))
    return std::nullopt;
  if (!tok.startsLine && !tok.is(Kind::RBrace) && !tok.is(Kind::Eof)) {
    errorExpected("end of statement");
    return std::nullopt;
  }
  return param;
}

bool Parser::parseInit(ParamDecl &param) {
  param.initLoc = tok.getLoc();
  if (!tok.is(Kind::Identifier)) {
    errorExpected("an initializer (zeros, ones or normal(STD))");
    return false;
  }
  if (tok.spelling == "zeros" || tok.spelling == "ones") {
    param.init = tok.spelling.str();
    consume();
    return true;
  }
  if (tok.spelling != "normal") {
    diags.error(tok.getLoc(),
                "unknown initializer '{}'; expected zeros, ones or normal(STD)",
                tok.spelling);
    return false;
  }
  consume();
  llvm::SMLoc lparen = tok.getLoc();
  if (!expect(Kind::LParen))
    return false;
  std::optional<KeywordValue> std = parseKeywordValue();
  if (!std)
    return false;
  if (std->kind != KeywordValue::Kind::Number || !(std->number > 0.0)) {
    diags.error(std->loc, "normal() takes a positive standard deviation, got {}",
                std->spelling);
    return false;
  }
  if (!tok.is(Kind::RParen)) {
    errorExpected("')'");
    diags.note(lparen, "to match this '('");
    return false;
  }
  consume();
  param.init = fmt::format("normal({})", std->spelling);
  return true;
}

/// A binary node over `lhs` and `rhs`, or null if the tree gets too deep.
static ExprPtr makeBinary(Expr::Kind kind, llvm::SMLoc loc, ExprPtr lhs,
                          ExprPtr rhs, Diagnostics &diags) {
  auto expr = std::make_unique<Expr>(kind, loc);
  expr->depth = 1 + std::max(lhs->depth, rhs->depth);
  if (expr->depth > kMaxExprDepth) {
    diags.error(loc, "expression is nested too deeply");
    return nullptr;
  }
  expr->operands.push_back(std::move(lhs));
  expr->operands.push_back(std::move(rhs));
  return expr;
}

ExprPtr Parser::parseExpr() {
  ExprPtr lhs = parseTerm();
  while (lhs && tok.is(Kind::Plus)) {
    llvm::SMLoc loc = tok.getLoc();
    consume();
    ExprPtr rhs = parseTerm();
    if (!rhs)
      return nullptr;
    lhs = makeBinary(Expr::Kind::Add, loc, std::move(lhs), std::move(rhs),
                     diags);
  }
  return lhs;
}

ExprPtr Parser::parseTerm() {
  ExprPtr lhs = parsePrimary();
  while (lhs && tok.is(Kind::Star)) {
    llvm::SMLoc loc = tok.getLoc();
    consume();
    ExprPtr rhs = parsePrimary();
    if (!rhs)
      return nullptr;
    lhs = makeBinary(Expr::Kind::Mul, loc, std::move(lhs), std::move(rhs),
                     diags);
  }
  return lhs;
}

ExprPtr Parser::parsePrimary() {
  if (++nesting > kMaxExprDepth) {
    --nesting;
    diags.error(tok.getLoc(), "expression is nested too deeply");
    return nullptr;
  }
  ExprPtr result;
  if (tok.is(Kind::Identifier)) {
    Token name = tok;
    consume();
    // A call's '(' is on the line of its name: a '(' that starts a line
    // starts a new (broken) statement instead.
    if (tok.is(Kind::LParen) && !tok.startsLine) {
      result = parseCall(name);
    } else {
      result = std::make_unique<Expr>(Expr::Kind::Name, name.getLoc());
      result->name = name.spelling.str();
    }
  } else if (tok.is(Kind::LParen)) {
    llvm::SMLoc lparen = tok.getLoc();
    consume();
    result = parseExpr();
    if (result && !tok.is(Kind::RParen)) {
      errorExpected("')'");
      diags.note(lparen, "to match this '('");
      result = nullptr;
    }
    if (result)
      consume();
  } else {
    errorExpected("an expression");
  }
  --nesting;
  return result;
}

ExprPtr Parser::parseCall(Token callee) {
  auto call = std::make_unique<Expr>(Expr::Kind::Call, callee.getLoc());
  call->name = callee.spelling.str();
  llvm::SMLoc lparen = tok.getLoc();
  consume(); // '('
  if (!tok.is(Kind::RParen)) {
    do {
      if (tok.is(Kind::Identifier) && lookahead.is(Kind::Equal)) {
        KeywordArg keyword{tok.spelling.str(), tok.getLoc(), {}};
        consume();
        consume();
        std::optional<KeywordValue> value = parseKeywordValue();
        if (!value)
          return nullptr;
        keyword.value = std::move(*value);
        call->keywords.push_back(std::move(keyword));
        continue;
      }
      llvm::SMLoc argLoc = tok.getLoc();
      ExprPtr arg = parseExpr();
      if (!arg)
        return nullptr;
      if (!call->keywords.empty()) {
        diags.error(argLoc, "positional argument after keyword argument");
        return nullptr;
      }
      call->depth = std::max(call->depth, 1 + arg->depth);
      if (call->depth > kMaxExprDepth) {
        diags.error(argLoc, "expression is nested too deeply");
        return nullptr;
      }
      call->operands.push_back(std::move(arg));
    } while (consumeIf(Kind::Comma));
  }
  if (!tok.is(Kind::RParen)) {
    errorExpected("')'");
    diags.note(lparen, "to match this '('");
    return nullptr;
  }
  consume();
  return call;
}

std::optional<KeywordValue> Parser::parseKeywordValue() {
  KeywordValue value;
  value.loc = tok.getLoc();
  if (tok.is(Kind::Identifier)) {
    value.kind = KeywordValue::Kind::Word;
    value.spelling = tok.spelling.str();
    consume();
    return value;
  }
  bool negative = consumeIf(Kind::Minus);
  if (!tok.is(Kind::Integer) && !tok.is(Kind::Float)) {
    errorExpected("a number");
    return std::nullopt;
  }
  value.isInteger = tok.is(Kind::Integer);
  value.spelling = ((negative ? "-" : "") + tok.spelling).str();
  // Inexact conversions are fine (0.1); overflow to infinity is not.
  if (tok.spelling.getAsDouble(value.number) || !std::isfinite(value.number)) {
    diags.error(tok.getLoc(), "number {} is out of range", tok.spelling);
    return std::nullopt;
  }
  if (negative)
    value.number = -value.number;
  consume();
  return value;
}
