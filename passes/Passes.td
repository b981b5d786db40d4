//===- Passes.td - passes over the ndr dialect -------------*- tablegen -*-===//

#ifndef NDR_PASSES_TD
#define NDR_PASSES_TD

include "mlir/Pass/PassBase.td"

// The mode a model is compiled for, as a pass option.
class ModeOption<string what> : Option<"mode", "mode", "::mlir::ndr::Mode",
    "::mlir::ndr::Mode::Infer", what, [{::llvm::cl::values(
      clEnumValN(::mlir::ndr::Mode::Infer, "infer", "inference"),
      clEnumValN(::mlir::ndr::Mode::Train, "train", "training"))}]>;

def RemarksOption : Option<"remarks", "remarks", "bool", "false",
    "emit a remark at each candidate that does not fuse or fold, saying why">;

def FoldDropout : Pass<"ndr-fold-dropout"> {
  let summary = "Remove dropout and drop_connect at inference";
  let description = [{
    In infer mode `ndr.dropout` and `ndr.drop_connect` are the identity: each
    is replaced by its input. In train mode the pass changes nothing.

    ```mlir
    %d = ndr.dropout %x, p = 1.000000e-01, stream = 0 : tensor<8x768xf32>
    %y = ndr.relu %d : tensor<8x768xf32>
    // becomes, with mode=infer
    %y = ndr.relu %x : tensor<8x768xf32>
    ```
  }];
  let options = [ModeOption<"fold only in infer mode">];
}

#endif // NDR_PASSES_TD
