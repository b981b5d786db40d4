//===- LowerAll.cpp - a dialect conversion with one error per op ----------===//

#include "codegen/Passes.h"

#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;

// An op no pattern knows gets only the driver's error.
LogicalResult ndr::lowerAll(Operation *root, const ConversionTarget &target,
                            RewritePatternSet &&patterns) {
  bool explained = false;
  ScopedDiagnosticHandler handler(root->getContext(), [&](Diagnostic &diag) {
    if (diag.getSeverity() != DiagnosticSeverity::Error)
      return failure();
    if (explained && StringRef(diag.str()).starts_with("failed to legalize"))
      return success();
    explained = true;
    return failure();
  });
  return applyPartialConversion(root, target, std::move(patterns));
}
