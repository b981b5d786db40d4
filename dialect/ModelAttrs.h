//===- ModelAttrs.h - attributes that describe a model ----------*- C++ -*-===//
//
// A model is a func.func whose arguments are its inputs then its parameters
// and whose results are its outputs; discardable ndr attributes say which is
// which (README, "Models in IR"). The dialect verifies them.
//
//===----------------------------------------------------------------------===//

#ifndef NDR_DIALECT_MODELATTRS_H
#define NDR_DIALECT_MODELATTRS_H

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/StringRef.h"

#include <optional>

namespace mlir::ndr {

// On the function.
inline constexpr llvm::StringLiteral kModelAttr = "ndr.model";
inline constexpr llvm::StringLiteral kParamInitFuncAttr = "ndr.param_init";
// On a lowered model: the bytes of its workspace, the argument before the
// seed that holds its intermediates (ndr-plan-workspace).
inline constexpr llvm::StringLiteral kWorkspaceAttr = "ndr.workspace";
// On arguments.
inline constexpr llvm::StringLiteral kInputAttr = "ndr.input";
inline constexpr llvm::StringLiteral kParamAttr = "ndr.param";
inline constexpr llvm::StringLiteral kInitAttr = "ndr.init";
// On results.
inline constexpr llvm::StringLiteral kOutputAttr = "ndr.output";
// On arguments of a model and results of its init function.
inline constexpr llvm::StringLiteral kDerivedAttr = "ndr.derived";
// On an i32 argument of a kernel outlined from a model (ndr-outline-fusions):
// the dropout stream that the kernel's body names by this attribute's value.
inline constexpr llvm::StringLiteral kStreamArgAttr = "ndr.stream";
// On the i64 argument of a model or of a kernel outlined from it that holds
// the run's dropout seed (ndr-seed-argument, ndr-outline-fusions).
inline constexpr llvm::StringLiteral kSeedArgAttr = "ndr.seed";
// On the !gpu.async.token argument of a function lowered for CUDA that is
// the stream its work goes on (ndr-stream-argument): last, after the seed.
inline constexpr llvm::StringLiteral kCudaStreamArgAttr = "ndr.cuda_stream";

/// The default of a parameter given no params file: `zeros`, `ones` or
/// `normal(STD)`.
struct ParamInit {
  enum class Kind { Zeros, Ones, Normal };
  Kind kind;
  double std = 0.0;
};

/// Parses `zeros`, `ones` or `normal(STD)` with STD > 0.
std::optional<ParamInit> parseParamInit(llvm::StringRef text);

} // namespace mlir::ndr

#endif // NDR_DIALECT_MODELATTRS_H
