//===- ParserTest.cpp - parsing and checking of .ndr ----------------------===//

#include "frontend/Diagnostics.h"
#include "frontend/Parser.h"
#include "frontend/Sema.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <string>

using namespace mlir::ndr::frontend;

namespace {
struct Checked {
  Program program;
  std::string diagnostics;
  unsigned numErrors = 0;
};

Checked parseAndCheck(llvm::StringRef source) {
  static llvm::SourceMgr sourceMgr; // keeps every buffer alive for the AST
  unsigned id = sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(source, "test.ndr"), llvm::SMLoc());
  Diagnostics diags(sourceMgr);
  Checked result;
  result.program =
      Parser(sourceMgr.getMemoryBuffer(id)->getBuffer(), diags).parseProgram();
  checkProgram(result.program, diags);
  llvm::raw_string_ostream os(result.diagnostics);
  diags.flush(os);
  result.numErrors = diags.getNumErrors();
  return result;
}
} // namespace

TEST(ParserTest, ProductBindsTighterThanSum) {
  Checked checked = parseAndCheck("model m(a: f32[2], b: f32[2]) -> (y) {\n"
                                  "  y = a + b * a\n"
                                  "}\n");
  ASSERT_EQ(checked.numErrors, 0u) << checked.diagnostics;
  const Expr &sum = *checked.program.models[0].body[0].value;
  EXPECT_EQ(sum.kind, Expr::Kind::Add);
  EXPECT_EQ(sum.operands[1]->kind, Expr::Kind::Mul);
}

TEST(ParserTest, SumIsLeftAssociative) {
  Checked checked = parseAndCheck("model m(a: f32[2], b: f32[3, 2]) -> (y) {\n"
                                  "  y = a + a + b\n"
                                  "}\n");
  ASSERT_EQ(checked.numErrors, 0u) << checked.diagnostics;
  const Expr &sum = *checked.program.models[0].body[0].value;
  EXPECT_EQ(sum.operands[0]->kind, Expr::Kind::Add);
  EXPECT_EQ(formatType(sum.type), "f32[3, 2]");
}

TEST(ParserTest, SemaFillsInDefaultsAndStreams) {
  Checked checked = parseAndCheck(
      "model m(x: f32[4, 8]) -> (y) {\n"
      "  param g: f32[4, 8] = ones\n"
      "  y = dropout(rms_norm(dropout(x), g), p = 0.25)\n"
      "}\n");
  ASSERT_EQ(checked.numErrors, 0u) << checked.diagnostics;
  const Expr &outer = *checked.program.models[0].body[1].value;
  EXPECT_EQ(outer.attrs.builtin, Builtin::Dropout);
  EXPECT_EQ(outer.attrs.stream, 0u);
  EXPECT_EQ(outer.attrs.p, 0.25);
  const Expr &norm = *outer.operands[0];
  EXPECT_EQ(norm.attrs.builtin, Builtin::RmsNorm);
  EXPECT_EQ(norm.attrs.eps, 1e-6);
  EXPECT_EQ(norm.attrs.normalizedRank, 2);
  const Expr &inner = *norm.operands[0];
  EXPECT_EQ(inner.attrs.stream, 1u);
  EXPECT_EQ(inner.attrs.p, 0.5);
}

TEST(ParserTest, DeepNestingIsAnErrorNotACrash) {
  std::string source = "model m(x: f32[2]) -> (y) {\n  y = ";
  for (int i = 0; i < 100000; ++i)
    source += "relu(";
  source += "x\n}\n";
  Checked checked = parseAndCheck(source);
  EXPECT_NE(checked.diagnostics.find("expression is nested too deeply"),
            std::string::npos);
}

TEST(ParserTest, LongSumIsAnErrorNotACrash) {
  std::string source = "model m(x: f32[2]) -> (y) {\n  y = x";
  for (int i = 0; i < 100000; ++i)
    source += " + x";
  source += "\n}\n";
  Checked checked = parseAndCheck(source);
  EXPECT_NE(checked.diagnostics.find("expression is nested too deeply"),
            std::string::npos);
}
