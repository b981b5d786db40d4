//===- Toolchain.cpp - the host C compiler and linker ---------------------===//

#include "tools/ndrc/Toolchain.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <fmt/format.h>

using namespace mlir;
using namespace mlir::ndr;

static std::string fromEnv(const char *name, const char *fallback) {
  const char *value = std::getenv(name);
  return value && *value ? value : fallback;
}

Toolchain Toolchain::fromEnvironment() {
  return {fromEnv("NDR_CC", NDR_HOST_CC), fromEnv("NDR_CXX", NDR_HOST_CXX),
          fromEnv("NDR_RUNTIME_LIB", NDR_RUNTIME_LIB),
          fromEnv("NDR_RUNTIME_INCLUDE", NDR_RUNTIME_INCLUDE), NDR_LIBOMP};
}

// The sanitizer flags of a sanitizer build (NDR_SANITIZE), empty otherwise.
// That build's runtime library is instrumented, so the C around a model is
// compiled, and executables and shared libraries are linked, with the same
// flags: an executable gets the sanitizer runtime, a shared library takes it
// from the executable that loads it (a process without one, such as python3,
// needs LD_PRELOAD of libclang_rt.asan-x86_64.so). An object file (--emit=obj)
// is linked by the user, who passes the flags then.
static std::vector<std::string> sanitizeFlags() {
  SmallVector<StringRef> flags;
  StringRef(NDR_SANITIZE_FLAGS).split(flags, ' ', -1, /*KeepEmpty=*/false);
  return {flags.begin(), flags.end()};
}

LogicalResult ndr::runCommand(ArrayRef<std::string> args) {
  llvm::ErrorOr<std::string> program = llvm::sys::findProgramByName(args[0]);
  std::string error;
  int status = -1;
  if (program) {
    SmallVector<StringRef> refs(args.begin(), args.end());
    status = llvm::sys::ExecuteAndWait(*program, refs, /*Env=*/std::nullopt,
                                       /*Redirects=*/{}, 0, 0, &error);
  } else {
    error = "not found";
  }
  if (status == 0)
    return success();
  fmt::print(stderr, "ndrc: error: '{}' failed{}; the command was:\n  {}\n",
             args[0], error.empty() ? "" : ": " + error, fmt::join(args, " "));
  return failure();
}

LogicalResult Toolchain::compileC(StringRef dir, StringRef name,
                                  StringRef source, StringRef object) const {
  SmallString<256> path(dir);
  llvm::sys::path::append(path, name + ".c");
  std::error_code ec;
  llvm::ToolOutputFile file(path, ec, llvm::sys::fs::OF_None);
  if (!ec) {
    file.os() << source;
    file.os().flush();
    ec = file.os().error();
    file.os().clear_error();
  }
  if (ec) {
    fmt::print(stderr, "ndrc: error: cannot write {}: {}\n", path.str(),
               ec.message());
    return failure();
  }
  file.keep();
  std::vector<std::string> args{cc, "-std=c11", "-O2", "-fPIC",
                                "-I" + runtimeInclude, "-I" + dir.str()};
  for (std::string &flag : sanitizeFlags())
    args.push_back(std::move(flag));
  args.insert(args.end(), {"-c", std::string(path), "-o", object.str()});
  return runCommand(args);
}

LogicalResult Toolchain::link(ArrayRef<std::string> objects, StringRef out,
                              bool shared) const {
  std::vector<std::string> args{cxx};
  for (std::string &flag : sanitizeFlags())
    args.push_back(std::move(flag));
  // A shared library is found by its file name, wherever it was built.
  if (shared)
    args.insert(args.end(),
                {"-shared", "-Wl,-soname," + llvm::sys::path::filename(out).str()});
  args.insert(args.end(), objects.begin(), objects.end());
  args.insert(args.end(), {runtimeLib, NDR_DNNL});
  if (!libomp.empty()) {
    args.push_back(libomp);
    args.push_back("-Wl,-rpath," +
                   llvm::sys::path::parent_path(libomp).str());
  }
  args.insert(args.end(), {"-lpthread", "-lm", "-o", out.str()});
  return runCommand(args);
}

LogicalResult Toolchain::mergeObjects(ArrayRef<std::string> objects,
                                      StringRef out) const {
  std::vector<std::string> args{cc, "-r", "-nostdlib"};
  args.insert(args.end(), objects.begin(), objects.end());
  args.insert(args.end(), {"-o", out.str()});
  return runCommand(args);
}
