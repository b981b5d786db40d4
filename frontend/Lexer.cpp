//===- Lexer.cpp - tokens of the .ndr language ------------------*- C++ -*-===//

#include "frontend/Lexer.h"
#include "frontend/Diagnostics.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"

using namespace mlir::ndr::frontend;
using Kind = Token::Kind;

llvm::StringRef mlir::ndr::frontend::describe(Kind kind) {
  switch (kind) {
  case Kind::Eof:
    return "end of file";
  case Kind::Error:
    return "invalid character";
  case Kind::Identifier:
    return "identifier";
  case Kind::Integer:
    return "integer";
  case Kind::Float:
    return "number";
  case Kind::KwModel:
    return "'model'";
  case Kind::KwParam:
    return "'param'";
  case Kind::LParen:
    return "'('";
  case Kind::RParen:
    return "')'";
  case Kind::LBracket:
    return "'['";
  case Kind::RBracket:
    return "']'";
  case Kind::LBrace:
    return "'{'";
  case Kind::RBrace:
    return "'}'";
  case Kind::Comma:
    return "','";
  case Kind::Colon:
    return "':'";
  case Kind::Equal:
    return "'='";
  case Kind::Plus:
    return "'+'";
  case Kind::Minus:
    return "'-'";
  case Kind::Star:
    return "'*'";
  case Kind::Arrow:
    return "'->'";
  }
  llvm_unreachable("unknown token kind");
}

Lexer::Lexer(llvm::StringRef buffer, Diagnostics &diags)
    : buffer(buffer), cur(buffer.begin()), diags(diags) {}

Token Lexer::make(Kind kind, const char *start) {
  Token token;
  token.kind = kind;
  token.spelling = llvm::StringRef(start, cur - start);
  token.startsLine = atLineStart;
  atLineStart = false;
  return token;
}

void Lexer::skipSpaceAndComments() {
  while (cur != buffer.end()) {
    char c = *cur;
    if (c == '\n') {
      atLineStart = true;
      ++cur;
    } else if (c == ' ' || c == '\t' || c == '\r') {
      ++cur;
    } else if (c == '/' && cur + 1 != buffer.end() && cur[1] == '/') {
      while (cur != buffer.end() && *cur != '\n')
        ++cur;
    } else {
      return;
    }
  }
}

static bool isIdentifierChar(char c) { return llvm::isAlnum(c) || c == '_'; }

Token Lexer::next() {
  skipSpaceAndComments();
  const char *start = cur;
  if (cur == buffer.end())
    return make(Kind::Eof, start);

  auto peek = [&](size_t ahead) -> char {
    return size_t(buffer.end() - cur) > ahead ? cur[ahead] : '\0';
  };

  char c = *cur++;
  if (llvm::isAlpha(c) || c == '_') {
    while (cur != buffer.end() && isIdentifierChar(*cur))
      ++cur;
    Kind kind = llvm::StringSwitch<Kind>(llvm::StringRef(start, cur - start))
                    .Case("model", Kind::KwModel)
                    .Case("param", Kind::KwParam)
                    .Default(Kind::Identifier);
    return make(kind, start);
  }

  if (llvm::isDigit(c)) {
    // digits [. digits] [(e|E) [+|-] digits]
    Kind kind = Kind::Integer;
    while (llvm::isDigit(peek(0)))
      ++cur;
    if (peek(0) == '.' && llvm::isDigit(peek(1))) {
      kind = Kind::Float;
      ++cur;
      while (llvm::isDigit(peek(0)))
        ++cur;
    }
    if (peek(0) == 'e' || peek(0) == 'E') {
      size_t sign = (peek(1) == '+' || peek(1) == '-') ? 1 : 0;
      if (llvm::isDigit(peek(1 + sign))) {
        kind = Kind::Float;
        cur += 1 + sign;
        while (llvm::isDigit(peek(0)))
          ++cur;
      }
    }
    // `12abc` is one bad token, not a number followed by a name.
    if (isIdentifierChar(peek(0))) {
      while (cur != buffer.end() && isIdentifierChar(*cur))
        ++cur;
      diags.error(llvm::SMLoc::getFromPointer(start), "invalid number '{}'",
                  llvm::StringRef(start, cur - start));
      return make(Kind::Error, start);
    }
    return make(kind, start);
  }

  switch (c) {
  case '(':
    return make(Kind::LParen, start);
  case ')':
    return make(Kind::RParen, start);
  case '[':
    return make(Kind::LBracket, start);
  case ']':
    return make(Kind::RBracket, start);
  case '{':
    return make(Kind::LBrace, start);
  case '}':
    return make(Kind::RBrace, start);
  case ',':
    return make(Kind::Comma, start);
  case ':':
    return make(Kind::Colon, start);
  case '=':
    return make(Kind::Equal, start);
  case '+':
    return make(Kind::Plus, start);
  case '*':
    return make(Kind::Star, start);
  case '-':
    if (peek(0) == '>') {
      ++cur;
      return make(Kind::Arrow, start);
    }
    return make(Kind::Minus, start);
  default:
    break;
  }

  // A byte outside ASCII starts one error for its whole UTF-8 sequence,
  // printed as escapes.
  if ((unsigned char)c >= 0x80)
    while (cur != buffer.end() && ((unsigned char)*cur & 0xC0) == 0x80)
      ++cur;
  std::string shown;
  for (char byte : llvm::StringRef(start, cur - start))
    shown += llvm::isPrint(byte) ? std::string(1, byte)
                                 : fmt::format("\\x{:02x}", (unsigned char)byte);
  diags.error(llvm::SMLoc::getFromPointer(start), "unexpected character '{}'", shown);
  return make(Kind::Error, start);
}
