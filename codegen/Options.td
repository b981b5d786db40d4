//===- Options.td - options of the codegen passes ---------*- tablegen -*-===//

#ifndef NDR_CODEGEN_OPTIONS_TD
#define NDR_CODEGEN_OPTIONS_TD

include "mlir/Pass/PassBase.td"

// The mode a model is lowered for: dropout and batch_norm depend on it.
def CodegenModeOption : Option<"mode", "mode", "::mlir::ndr::Mode",
    "::mlir::ndr::Mode::Infer", "infer or train", [{::mlir::ndr::modeValues()}]>;

#endif // NDR_CODEGEN_OPTIONS_TD
