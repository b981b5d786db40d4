//===- Diagnostics.h - clang-style messages for .ndr sources ----*- C++ -*-===//
//
// Collects errors, warnings and their notes and prints them, sorted by source
// position, as `file:line:col: error: message`, the source line and a caret:
// the format of llvm::SourceMgr, which MLIR's SourceMgrDiagnosticHandler uses
// for diagnostics of the emitted IR too. The parser and the checker find
// errors in different passes over a model; sorting lists them in the order
// a reader meets them. After `errorLimit` errors the rest are dropped, so a
// broken file does not scroll the first, most useful, messages away.
//
//===----------------------------------------------------------------------===//

#ifndef NDR_FRONTEND_DIAGNOSTICS_H
#define NDR_FRONTEND_DIAGNOSTICS_H

#include "dialect/Format.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/SMLoc.h"
#include "llvm/Support/SourceMgr.h"

#include <string>
#include <utility>

namespace llvm {
class raw_ostream;
} // namespace llvm

namespace mlir::ndr::frontend {

class Diagnostics {
public:
  Diagnostics(llvm::SourceMgr &sourceMgr, unsigned errorLimit = 20)
      : sourceMgr(sourceMgr), errorLimit(errorLimit) {}

  void error(llvm::SMLoc loc, std::string message);
  void warning(llvm::SMLoc loc, std::string message);
  /// Attached to the error or warning before it; dropped with it.
  void note(llvm::SMLoc loc, std::string message);

  /// The same with the message formatted by {fmt}, its format string
  /// checked at compile time: `error(loc, "unknown name '{}'", name)`.
  template <typename... Args>
  void error(llvm::SMLoc loc, fmt::format_string<Args...> format,
             Args &&...args) {
    error(loc, fmt::format(format, std::forward<Args>(args)...));
  }
  template <typename... Args>
  void warning(llvm::SMLoc loc, fmt::format_string<Args...> format,
               Args &&...args) {
    warning(loc, fmt::format(format, std::forward<Args>(args)...));
  }
  template <typename... Args>
  void note(llvm::SMLoc loc, fmt::format_string<Args...> format,
            Args &&...args) {
    note(loc, fmt::format(format, std::forward<Args>(args)...));
  }

  /// Prints what was collected, sorted by position, and forgets it.
  void flush(llvm::raw_ostream &os);

  unsigned getNumErrors() const { return numErrors; }
  /// True once an error past the limit was dropped: callers stop their work.
  bool reachedLimit() const { return numErrors > errorLimit; }

private:
  struct Message {
    llvm::SMLoc loc;
    llvm::SourceMgr::DiagKind kind;
    std::string text;
    llvm::SmallVector<std::pair<llvm::SMLoc, std::string>, 1> notes;
  };

  void add(llvm::SMLoc loc, llvm::SourceMgr::DiagKind kind,
           std::string message);

  llvm::SourceMgr &sourceMgr;
  unsigned errorLimit;
  unsigned numErrors = 0;
  llvm::SmallVector<Message> messages;
  bool lastDropped = false;
};

} // namespace mlir::ndr::frontend

#endif // NDR_FRONTEND_DIAGNOSTICS_H
