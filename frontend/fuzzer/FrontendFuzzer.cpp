//===- FrontendFuzzer.cpp - libFuzzer over the .ndr front end ---*- C++ -*-===//
//
// Lexes, parses and checks arbitrary bytes with every diagnostic discarded:
// the front end must never crash, hang or touch memory it does not own,
// whatever the input. Emission is not fuzzed: Sema guarantees its input.
//
//===----------------------------------------------------------------------===//

#include "frontend/Diagnostics.h"
#include "frontend/Parser.h"
#include "frontend/Sema.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir::ndr::frontend;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(
          llvm::StringRef(reinterpret_cast<const char *>(data), size),
          "fuzz.ndr"),
      llvm::SMLoc());
  Diagnostics diags(sourceMgr);
  Program program =
      Parser(sourceMgr.getMemoryBuffer(1)->getBuffer(), diags).parseProgram();
  checkProgram(program, diags);
  // Printing runs too, to exercise the caret lines of odd sources.
  llvm::raw_null_ostream os;
  diags.flush(os);
  return 0;
}
