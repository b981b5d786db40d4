//===- Diagnostics.cpp - clang-style messages for .ndr sources --*- C++ -*-===//

#include "frontend/Diagnostics.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/Sequence.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir::ndr::frontend;
using llvm::SourceMgr;

void Diagnostics::add(llvm::SMLoc loc, SourceMgr::DiagKind kind,
                      std::string message) {
  lastDropped = reachedLimit();
  if (!lastDropped)
    messages.push_back({loc, kind, std::move(message), {}});
}

void Diagnostics::error(llvm::SMLoc loc, std::string message) {
  ++numErrors;
  add(loc, SourceMgr::DK_Error, std::move(message));
}

void Diagnostics::warning(llvm::SMLoc loc, std::string message) {
  add(loc, SourceMgr::DK_Warning, std::move(message));
}

void Diagnostics::note(llvm::SMLoc loc, std::string message) {
  if (!lastDropped && !messages.empty())
    messages.back().notes.emplace_back(loc, std::move(message));
}

void Diagnostics::flush(llvm::raw_ostream &os) {
  // All locations point into one buffer: their order is the source order.
  // Messages at one position keep the order they came in.
  auto order = llvm::to_vector(llvm::seq<unsigned>(0, messages.size()));
  llvm::sort(order, [&](unsigned a, unsigned b) {
    return std::make_pair(messages[a].loc.getPointer(), a) <
           std::make_pair(messages[b].loc.getPointer(), b);
  });
  bool colors = os.has_colors();
  for (unsigned index : order) {
    const Message &message = messages[index];
    sourceMgr.PrintMessage(os, message.loc, message.kind, message.text,
                           /*Ranges=*/{}, /*FixIts=*/{}, colors);
    for (const auto &[loc, text] : message.notes)
      sourceMgr.PrintMessage(os, loc, SourceMgr::DK_Note, text, {}, {}, colors);
  }
  if (reachedLimit())
    os << "error: too many errors emitted, stopping now\n";
  messages.clear();
}
