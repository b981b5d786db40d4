//===- Lexer.h - tokens of the .ndr language --------------------*- C++ -*-===//
//
// Splits a .ndr buffer into tokens. Newlines are not tokens (statements end
// where the next one begins), but each token records whether it starts a line,
// which the parser uses to resynchronize after a syntax error.
//
//===----------------------------------------------------------------------===//

#ifndef NDR_FRONTEND_LEXER_H
#define NDR_FRONTEND_LEXER_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/SMLoc.h"

namespace mlir::ndr::frontend {

class Diagnostics;

struct Token {
  enum class Kind {
    Eof,
    Error, // a character that starts no token; already diagnosed
    Identifier,
    Integer,
    Float,
    KwModel,
    KwParam,
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Comma,
    Colon,
    Equal,
    Plus,
    Minus,
    Star,
    Arrow,
  };

  Kind kind = Kind::Eof;
  llvm::StringRef spelling;
  bool startsLine = false;

  llvm::SMLoc getLoc() const {
    return llvm::SMLoc::getFromPointer(spelling.data());
  }
  bool is(Kind k) const { return kind == k; }
};

/// How a token kind is named in "expected ..." messages: `')'`, `identifier`.
llvm::StringRef describe(Token::Kind kind);

class Lexer {
public:
  /// `buffer` must outlive the tokens, which point into it; bad characters
  /// are reported to `diags`.
  Lexer(llvm::StringRef buffer, Diagnostics &diags);

  Token next();

private:
  Token make(Token::Kind kind, const char *start);
  void skipSpaceAndComments();

  llvm::StringRef buffer;
  const char *cur;
  Diagnostics &diags;
  bool atLineStart = true;
};

} // namespace mlir::ndr::frontend

#endif // NDR_FRONTEND_LEXER_H
