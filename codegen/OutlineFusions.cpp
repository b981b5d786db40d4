//===- OutlineFusions.cpp - ndr-outline-fusions ---------------------------===//
//
// A deep model repeats the same groups: a 24-block stack has 24 copies of
// each block's kernels, which differ only in their operands and dropout
// streams. Each ndr.fusion of a model becomes a call to a private kernel
// function, and groups that are equal up to their streams share one: the
// streams become i32 arguments (marked `ndr.stream` with the value the
// kernel's body names them by), the seed an i64 argument. Compile time then
// grows with the kinds of kernels, not with the depth of the model.
//
//===----------------------------------------------------------------------===//

#include "codegen/CodegenUtils.h"
#include "codegen/Passes.h"
#include "dialect/Fusion.h"
#include "dialect/ModelAttrs.h"
#include "dialect/NdrOps.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/IRMapping.h"

namespace mlir::ndr {
#define GEN_PASS_DEF_OUTLINEFUSIONS
#include "codegen/Passes.h.inc"
} // namespace mlir::ndr

using namespace mlir;
using namespace mlir::ndr;

namespace {

/// The dropout streams `fusion` draws, each once, in the order of its body.
SmallVector<uint32_t> streamsOf(FusionOp fusion) {
  SmallVector<uint32_t> streams;
  for (Operation &op : fusion.getBody().front()) {
    std::optional<uint32_t> stream = getDropoutStream(&op);
    if (stream && !llvm::is_contained(streams, *stream))
      streams.push_back(*stream);
  }
  return streams;
}

/// The text of `fusion` with its streams numbered 0, 1, ... in body order:
/// equal for groups that only differ in operands and streams.
std::string kernelKey(FusionOp fusion) {
  OpBuilder b(fusion);
  auto clone = cast<FusionOp>(b.clone(*fusion));
  SmallVector<uint32_t> streams = streamsOf(clone);
  clone.getBody().walk([&](Operation *op) {
    if (std::optional<uint32_t> stream = getDropoutStream(op))
      setDropoutStream(op, llvm::find(streams, *stream) - streams.begin());
  });
  std::string key;
  llvm::raw_string_ostream os(key);
  clone->print(os, OpPrintingFlags().useLocalScope().skipRegions(false));
  clone.erase();
  return key;
}

struct OutlineFusionsPass : ndr::impl::OutlineFusionsBase<OutlineFusionsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    for (auto model : llvm::to_vector(module.getOps<func::FuncOp>())) {
      if (model.isExternal() || !model->hasAttr(kModelAttr))
        continue;
      // One kernel per kind of group within a model.
      // Kernels follow their model, in the order of first use.
      llvm::StringMap<func::FuncOp> kernels;
      Operation *last = model;
      SmallVector<FusionOp> fusions;
      model.walk([&](FusionOp fusion) { fusions.push_back(fusion); });
      for (FusionOp fusion : fusions) {
        func::FuncOp &kernel = kernels[kernelKey(fusion)];
        if (!kernel) {
          kernel = outline(fusion, model.getName());
          symbols.insert(kernel, std::next(Block::iterator(last)));
          last = kernel;
        }
        replaceWithCall(fusion, kernel);
      }
    }
  }

  /// A private function that returns what a copy of `fusion` computes from
  /// its arguments: the group's inputs, its streams, the seed.
  static func::FuncOp outline(FusionOp fusion, StringRef modelName) {
    MLIRContext *context = fusion.getContext();
    Location loc = fusion.getLoc();
    SmallVector<uint32_t> streams = streamsOf(fusion);
    SmallVector<Type> argTypes(fusion.getInputs().getTypes());
    argTypes.append(streams.size(), IntegerType::get(context, 32));
    if (!streams.empty())
      argTypes.push_back(IntegerType::get(context, 64));
    auto kernel = func::FuncOp::create(
        loc, (modelName + "_kernel").str(),
        FunctionType::get(context, argTypes, fusion.getResultTypes()));
    kernel.setPrivate();
    // Not exported from the object: its model is the interface.
    kernel->setAttr("llvm.linkage",
                    LLVM::LinkageAttr::get(context, LLVM::Linkage::Internal));
    for (auto [i, stream] : llvm::enumerate(streams))
      kernel.setArgAttr(fusion.getInputs().size() + i, kStreamArgAttr,
                        IntegerAttr::get(IntegerType::get(context, 32, IntegerType::Unsigned),
                                         stream));
    if (!streams.empty())
      kernel.setArgAttr(argTypes.size() - 1, kSeedArgAttr, UnitAttr::get(context));
    Block *entry = kernel.addEntryBlock();
    OpBuilder b = OpBuilder::atBlockEnd(entry);
    IRMapping map;
    map.map(fusion.getInputs(), entry->getArguments().take_front(fusion.getInputs().size()));
    Operation *clone = b.clone(*fusion, map);
    func::ReturnOp::create(b, loc, clone->getResults());
    return kernel;
  }

  /// `fusion` as a call of `kernel`, with its own streams and the seed.
  static void replaceWithCall(FusionOp fusion, func::FuncOp kernel) {
    OpBuilder b(fusion);
    Location loc = fusion.getLoc();
    SmallVector<Value> args(fusion.getInputs());
    SmallVector<uint32_t> streams = streamsOf(fusion);
    for (uint32_t stream : streams)
      args.push_back(arith::ConstantIntOp::create(b, loc, b.getI32Type(), stream));
    if (!streams.empty()) {
      Value seed = lookupSeed(fusion);
      assert(seed && "ndr-seed-argument gives every model its seed first");
      args.push_back(seed);
    }
    auto call = func::CallOp::create(b, loc, kernel, args);
    fusion->replaceAllUsesWith(call.getResults());
    fusion.erase();
  }
};

} // namespace
