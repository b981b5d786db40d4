//===- DropResultAttrs.cpp - ndr-drop-result-attrs ------------------------===//

#include "codegen/Passes.h"
#include "dialect/ModelAttrs.h"

namespace mlir::ndr {
#define GEN_PASS_DEF_DROPRESULTATTRS
#include "codegen/Passes.h.inc"
} // namespace mlir::ndr

using namespace mlir;

namespace {

struct DropResultAttrsPass
    : ndr::impl::DropResultAttrsBase<DropResultAttrsPass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>())
      for (unsigned i = 0, e = func.getNumResults(); i < e; ++i)
        func.setResultAttrs(i, DictionaryAttr::get(&getContext()));
  }
};

} // namespace
