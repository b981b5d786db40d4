//===- ModelPackage.h - a compiled model as a program or library -*- C++ -*-===//
//
// The lowered model is two plain functions (codegen/README.md). What makes it
// a program, a shared library or a linkable object is a small C file that
// ndrc generates: the model's descriptor for the runtime's model host
// (runtime/ndr_model.h), and main() or a typed C API with its header.
//
//===----------------------------------------------------------------------===//

#ifndef NDR_TOOLS_NDRC_MODELPACKAGE_H
#define NDR_TOOLS_NDRC_MODELPACKAGE_H

#include "dialect/ModelAttrs.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"

#include <string>
#include <vector>

namespace mlir::ndr {

/// One tensor of a model's interface.
struct TensorInfo {
  std::string name;
  RankedTensorType type;
  std::optional<ParamInit> init; // parameters only
  /// Inputs and outputs: the name of its parameter in the C API, `name` made
  /// a C identifier that is no C or C++ keyword, not `model` or `seed`, and
  /// not another tensor's (a `_` appended until it is free).
  std::string cName;
};

/// What the generated C needs to know about one model.
struct ModelInfo {
  std::string name;
  std::string runSymbol, initSymbol; // initSymbol empty: no derived values
  std::vector<TensorInfo> inputs, params, derived, outputs;
  /// The bytes of the run's workspace, after lowering (ndr.workspace); 0:
  /// none.
  int64_t workspaceBytes = 0;
  /// Compiled for CUDA: the functions take a stream last and work on device
  /// buffers; the C API also has NAME_run_device.
  bool cuda = false;
};

/// Reads the interface of `model` (after ndr-optimize) and renames it and its
/// init function to the symbols the generated C calls, `ndr_<name>_run` and
/// `ndr_<name>_init`, so they cannot clash with a user's symbols. A model
/// whose C name starts with `ndr_` (the runtime's) is an error.
FailureOr<ModelInfo> prepareModel(func::FuncOp model);

/// The C source of the model's descriptor, plus main() for an executable or
/// the typed C API for a shared library or object. A shared library also
/// exports `ndr_library_descriptor()`, so a binding that loads it (the Python
/// package) finds its model without knowing the name; an object does not, so
/// that several models link into one program.
enum class PackageKind { Executable, SharedLibrary, Object };
std::string generateModelSource(const ModelInfo &model, PackageKind kind);

/// The C header of the typed API: shapes, create, run, destroy, last error.
std::string generateModelHeader(const ModelInfo &model);

} // namespace mlir::ndr

#endif // NDR_TOOLS_NDRC_MODELPACKAGE_H
