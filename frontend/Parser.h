//===- Parser.h - recursive-descent parser of .ndr --------------*- C++ -*-===//
//
//   program   := model*
//   model     := 'model' NAME '(' [input (',' input)*] ')'
//                '->' '(' [NAME (',' NAME)*] ')' '{' statement* '}'
//   input     := NAME ':' type
//   type      := ('f32' | 'f16' | 'bf16') '[' [INT (',' INT)*] ']'
//   statement := 'param' NAME ':' type ['=' init] | NAME '=' expr
//   init      := 'zeros' | 'ones' | 'normal' '(' NUMBER ')'
//   expr      := term ('+' term)*
//   term      := primary ('*' primary)*
//   primary   := NAME | NAME '(' [arg (',' arg)*] ')' | '(' expr ')'
//   arg       := expr | NAME '=' ['-'] NUMBER | NAME '=' NAME
//
// Newlines are not tokens, but a statement ends where a line begins with the
// next one, and a call's '(' is on the line of its name. After a syntax error
// the parser skips to the next token that starts a line and goes on, so one
// run reports every broken statement.
//
//===----------------------------------------------------------------------===//

#ifndef NDR_FRONTEND_PARSER_H
#define NDR_FRONTEND_PARSER_H

#include "frontend/AST.h"
#include "frontend/Lexer.h"

#include <optional>

namespace mlir::ndr::frontend {

class Parser {
public:
  Parser(llvm::StringRef buffer, Diagnostics &diags);

  /// The models whose header parsed, without their broken statements except
  /// for the names those bind; errors went to the diagnostics.
  Program parseProgram();

private:
  void consume();
  bool consumeIf(Token::Kind kind);
  /// Reports `expected WHAT, found ...` at the current token.
  void errorExpected(llvm::StringRef what);
  bool expect(Token::Kind kind);
  /// Skips to a token that starts a line, a '}' or the end of the file,
  /// past the first token of the statement that failed.
  void skipToNextLine(const char *statementStart);

  std::optional<Model> parseModel();
  bool parseHeader(Model &model);
  std::optional<TensorType> parseType();
  std::optional<Statement> parseStatement();
  std::optional<ParamDecl> parseParam();
  bool parseInit(ParamDecl &param);
  ExprPtr parseExpr();
  ExprPtr parseTerm();
  ExprPtr parsePrimary();
  ExprPtr parseCall(Token callee);
  std::optional<KeywordValue> parseKeywordValue();

  Lexer lexer;
  Diagnostics &diags;
  Token tok;
  Token lookahead;
  unsigned nesting = 0; // of parsePrimary, bounded
};

} // namespace mlir::ndr::frontend

#endif // NDR_FRONTEND_PARSER_H
