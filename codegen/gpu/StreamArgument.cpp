//===- StreamArgument.cpp - ndr-stream-argument ---------------------------===//

#include "codegen/gpu/Passes.h"
#include "dialect/ModelAttrs.h"

namespace mlir::ndr {
#define GEN_PASS_DEF_STREAMARGUMENT
#include "codegen/gpu/Passes.h.inc"
} // namespace mlir::ndr

using namespace mlir;
using namespace mlir::ndr;

namespace {

std::optional<unsigned> streamIndex(func::FuncOp func) {
  for (BlockArgument arg : func.getArguments())
    if (func.getArgAttr(arg.getArgNumber(), kCudaStreamArgAttr))
      return arg.getArgNumber();
  return std::nullopt;
}

struct StreamArgumentPass : ndr::impl::StreamArgumentBase<StreamArgumentPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    // Where each function's stream was, before it went last (none: new).
    DenseMap<Operation *, std::optional<unsigned>> moved;
    for (auto func : module.getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      std::optional<unsigned> old = streamIndex(func);
      unsigned end = func.getNumArguments();
      if (old && *old == end - 1)
        continue;
      OpBuilder b(func.getContext());
      auto marked =
          b.getDictionaryAttr(b.getNamedAttr(kCudaStreamArgAttr, b.getUnitAttr()));
      if (failed(func.insertArgument(end, b.getType<gpu::AsyncTokenType>(), marked,
                                     func.getLoc())))
        return signalPassFailure();
      if (old) {
        func.getArgument(*old).replaceAllUsesWith(func.getArgument(end));
        if (failed(func.eraseArgument(*old)))
          return signalPassFailure();
      }
      moved[func] = old;
    }
    // Calls follow their callee; a call is in a function with a body, which
    // has its stream now.
    module.walk([&](func::CallOp call) {
      auto callee = module.lookupSymbol<func::FuncOp>(call.getCallee());
      if (!callee || !moved.count(callee))
        return;
      SmallVector<Value> operands(call.getOperands());
      if (std::optional<unsigned> old = moved.lookup(callee)) {
        Value stream = operands[*old];
        operands.erase(operands.begin() + *old);
        operands.push_back(stream);
      } else {
        auto caller = call->getParentOfType<func::FuncOp>();
        operands.push_back(caller.getArgument(*streamIndex(caller)));
      }
      call->setOperands(operands);
    });
  }
};

} // namespace
