//===- Format.h - {fmt} for LLVM's string types -----------------*- C++ -*-===//
//
// Lets fmt::format take llvm::StringRef and llvm::StringLiteral arguments as
// it takes std::string_view: messages of the front end, the passes and ndrc
// are {fmt} format strings (`fmt::format("no model named '{}'", name)`).
//
//===----------------------------------------------------------------------===//

#ifndef NDR_DIALECT_FORMAT_H
#define NDR_DIALECT_FORMAT_H

#include "llvm/ADT/StringRef.h"

#include <fmt/format.h>

template <>
struct fmt::formatter<llvm::StringRef> : fmt::formatter<fmt::string_view> {
  template <typename FormatContext>
  auto format(llvm::StringRef text, FormatContext &ctx) const {
    return fmt::formatter<fmt::string_view>::format(
        fmt::string_view(text.data(), text.size()), ctx);
  }
};

template <>
struct fmt::formatter<llvm::StringLiteral> : fmt::formatter<llvm::StringRef> {};

#endif // NDR_DIALECT_FORMAT_H
