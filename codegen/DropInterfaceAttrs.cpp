//===- DropInterfaceAttrs.cpp - ndr-drop-interface-attrs ------------------===//

#include "codegen/Passes.h"
#include "dialect/ModelAttrs.h"

namespace mlir::ndr {
#define GEN_PASS_DEF_DROPINTERFACEATTRS
#include "codegen/Passes.h.inc"
} // namespace mlir::ndr

using namespace mlir;

namespace {

/// The argument attributes without the ndr ones.
DictionaryAttr withoutNdrAttrs(DictionaryAttr attrs) {
  SmallVector<NamedAttribute> kept;
  for (NamedAttribute attr : attrs)
    if (!attr.getName().getValue().starts_with("ndr.") ||
        attr.getName() == ndr::kSeedArgAttr ||
        attr.getName() == ndr::kCudaStreamArgAttr)
      kept.push_back(attr);
  return DictionaryAttr::get(attrs.getContext(), kept);
}

struct DropInterfaceAttrsPass
    : ndr::impl::DropInterfaceAttrsBase<DropInterfaceAttrsPass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i)
        if (DictionaryAttr attrs = func.getArgAttrDict(i))
          func.setArgAttrs(i, withoutNdrAttrs(attrs));
      for (unsigned i = 0, e = func.getNumResults(); i < e; ++i)
        func.setResultAttrs(i, DictionaryAttr::get(&getContext()));
    }
  }
};

} // namespace
