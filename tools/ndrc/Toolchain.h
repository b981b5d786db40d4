//===- Toolchain.h - the host C compiler and linker -------------*- C++ -*-===//
//
// ndrc compiles the model itself; the host C compiler builds the small
// generated C file around it and links it with the runtime.
//
//===----------------------------------------------------------------------===//

#ifndef NDR_TOOLS_NDRC_TOOLCHAIN_H
#define NDR_TOOLS_NDRC_TOOLCHAIN_H

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <string>
#include <vector>

namespace mlir::ndr {

/// Where the pieces are: set when ndrc was configured, overridable by the
/// NDR_CC, NDR_CXX, NDR_RUNTIME_LIB and NDR_RUNTIME_INCLUDE environment
/// variables.
struct Toolchain {
  std::string cc, cxx;
  std::string runtimeLib, runtimeInclude;
  std::string libomp; // empty: models are compiled without OpenMP

  static Toolchain fromEnvironment();

  /// Compiles C `source` (written to `dir`/NAME.c) to `object`.
  LogicalResult compileC(llvm::StringRef dir, llvm::StringRef name,
                         llvm::StringRef source, llvm::StringRef object) const;
  /// Links objects with the runtime into an executable or a shared library.
  LogicalResult link(llvm::ArrayRef<std::string> objects, llvm::StringRef out,
                     bool shared) const;
  /// Merges objects into one relocatable object.
  LogicalResult mergeObjects(llvm::ArrayRef<std::string> objects,
                             llvm::StringRef out) const;
};

/// Runs `args` (args[0] found on PATH); on failure prints the command.
LogicalResult runCommand(llvm::ArrayRef<std::string> args);

} // namespace mlir::ndr

#endif // NDR_TOOLS_NDRC_TOOLCHAIN_H
