//===- NdrEnums.td - enums of the ndr dialect --------------*- tablegen -*-===//

#ifndef NDR_ENUMS_TD
#define NDR_ENUMS_TD

include "mlir/IR/EnumAttr.td"

def Ndr_GeluApproximate : I32EnumAttr<"GeluApproximate",
    "how gelu evaluates the Gaussian CDF", [
      I32EnumAttrCase<"None", 0, "none">,
      I32EnumAttrCase<"Tanh", 1, "tanh">
    ]> {
  let cppNamespace = "::mlir::ndr";
}

def Ndr_NormKind : I32EnumAttr<"NormKind",
    "the normalization applied by ndr.fused_add_norm", [
      I32EnumAttrCase<"Layer", 0, "layer">,
      I32EnumAttrCase<"Rms", 1, "rms">
    ]> {
  let cppNamespace = "::mlir::ndr";
}

#endif // NDR_ENUMS_TD
