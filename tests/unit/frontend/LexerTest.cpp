//===- LexerTest.cpp - tokens of the .ndr language ------------------------===//

#include "frontend/Diagnostics.h"
#include "frontend/Lexer.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace mlir::ndr::frontend;
using Kind = Token::Kind;

namespace {
/// Lexes `source` to the end; keeps the tokens and the printed diagnostics.
struct Lexed {
  std::vector<Token> tokens;
  std::string diagnostics;
  unsigned numErrors = 0;
};

Lexed lex(llvm::StringRef source) {
  static llvm::SourceMgr sourceMgr; // keeps every buffer alive for the tokens
  unsigned id = sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(source, "test.ndr"), llvm::SMLoc());
  Diagnostics diags(sourceMgr);
  Lexer lexer(sourceMgr.getMemoryBuffer(id)->getBuffer(), diags);
  Lexed result;
  for (Token token = lexer.next();; token = lexer.next()) {
    result.tokens.push_back(token);
    if (token.is(Kind::Eof))
      break;
  }
  llvm::raw_string_ostream os(result.diagnostics);
  diags.flush(os);
  result.numErrors = diags.getNumErrors();
  return result;
}

std::vector<Kind> kinds(const Lexed &lexed) {
  std::vector<Kind> result;
  for (const Token &token : lexed.tokens)
    result.push_back(token.kind);
  return result;
}
} // namespace

TEST(LexerTest, Punctuation) {
  Lexed lexed = lex("( ) [ ] { } , : = + - * ->");
  EXPECT_EQ(kinds(lexed),
            (std::vector<Kind>{Kind::LParen, Kind::RParen, Kind::LBracket,
                               Kind::RBracket, Kind::LBrace, Kind::RBrace,
                               Kind::Comma, Kind::Colon, Kind::Equal,
                               Kind::Plus, Kind::Minus, Kind::Star, Kind::Arrow,
                               Kind::Eof}));
  EXPECT_EQ(lexed.numErrors, 0u);
}

TEST(LexerTest, KeywordsAndIdentifiers) {
  Lexed lexed = lex("model param models _x1 f32 layer_norm");
  EXPECT_EQ(kinds(lexed),
            (std::vector<Kind>{Kind::KwModel, Kind::KwParam, Kind::Identifier,
                               Kind::Identifier, Kind::Identifier,
                               Kind::Identifier, Kind::Eof}));
  EXPECT_EQ(lexed.tokens[3].spelling, "_x1");
}

TEST(LexerTest, Numbers) {
  Lexed lexed = lex("768 0.1 1e-5 2.5E+3 7e");
  ASSERT_EQ(lexed.tokens.size(), 6u);
  EXPECT_TRUE(lexed.tokens[0].is(Kind::Integer));
  EXPECT_TRUE(lexed.tokens[1].is(Kind::Float));
  EXPECT_EQ(lexed.tokens[2].spelling, "1e-5");
  EXPECT_TRUE(lexed.tokens[2].is(Kind::Float));
  EXPECT_EQ(lexed.tokens[3].spelling, "2.5E+3");
  // An exponent without digits is not part of the number: `7e` is an error.
  EXPECT_TRUE(lexed.tokens[4].is(Kind::Error));
  EXPECT_EQ(lexed.numErrors, 1u);
  EXPECT_NE(lexed.diagnostics.find("invalid number '7e'"), std::string::npos);
}

TEST(LexerTest, DotIsNotPartOfAnIntegerWithoutDigits) {
  Lexed lexed = lex("3.");
  EXPECT_EQ(lexed.tokens[0].spelling, "3");
  EXPECT_TRUE(lexed.tokens[1].is(Kind::Error));
}

TEST(LexerTest, CommentsAndLineStarts) {
  Lexed lexed = lex("a // b c\n  d e\n// only a comment\nf");
  ASSERT_EQ(lexed.tokens.size(), 5u);
  EXPECT_EQ(lexed.tokens[0].spelling, "a");
  EXPECT_TRUE(lexed.tokens[0].startsLine);
  EXPECT_EQ(lexed.tokens[1].spelling, "d");
  EXPECT_TRUE(lexed.tokens[1].startsLine);
  EXPECT_EQ(lexed.tokens[2].spelling, "e");
  EXPECT_FALSE(lexed.tokens[2].startsLine);
  EXPECT_EQ(lexed.tokens[3].spelling, "f");
  EXPECT_TRUE(lexed.tokens[3].startsLine);
}

TEST(LexerTest, BadCharacters) {
  Lexed lexed = lex("a $ \xc3\xa9 b");
  EXPECT_EQ(kinds(lexed),
            (std::vector<Kind>{Kind::Identifier, Kind::Error, Kind::Error,
                               Kind::Identifier, Kind::Eof}));
  EXPECT_EQ(lexed.numErrors, 2u);
  EXPECT_NE(lexed.diagnostics.find("test.ndr:1:3: error: unexpected "
                                   "character '$'"),
            std::string::npos);
  EXPECT_NE(lexed.diagnostics.find("unexpected character '\\xc3\\xa9'"),
            std::string::npos);
}

TEST(LexerTest, EmbeddedNulIsAnError) {
  Lexed lexed = lex(llvm::StringRef("a\0b", 3));
  EXPECT_EQ(kinds(lexed), (std::vector<Kind>{Kind::Identifier, Kind::Error,
                                             Kind::Identifier, Kind::Eof}));
}

TEST(LexerTest, EmptyInput) {
  Lexed lexed = lex("");
  EXPECT_EQ(kinds(lexed), std::vector<Kind>{Kind::Eof});
  EXPECT_EQ(lexed.numErrors, 0u);
}
