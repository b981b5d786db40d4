//===- Kernels.cpp - building GPU kernels and their launches --------------===//

#include "codegen/gpu/Kernels.h"
#include "codegen/CodegenUtils.h"
#include "dialect/ModelAttrs.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/SymbolTable.h"

using namespace mlir;
using namespace mlir::ndr;
using namespace mlir::ndr::gpu_kernels;

namespace {
constexpr StringLiteral kKernelModule = "ndr_kernels";

/// The module's gpu.module, created on first use.
gpu::GPUModuleOp kernelModule(ModuleOp module) {
  if (auto existing = module.lookupSymbol<gpu::GPUModuleOp>(kKernelModule))
    return existing;
  module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                  UnitAttr::get(module.getContext()));
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  return gpu::GPUModuleOp::create(b, module.getLoc(), kKernelModule);
}

MemRefType flatType(RankedTensorType type) {
  return MemRefType::get({type.getNumElements()}, type.getElementType());
}

} // namespace

Value gpu_kernels::lookupStream(Operation *op) {
  auto func = dyn_cast<func::FuncOp>(op);
  if (!func)
    func = op->getParentOfType<func::FuncOp>();
  if (!func)
    return nullptr;
  for (BlockArgument arg : func.getArguments())
    if (func.getArgAttr(arg.getArgNumber(), kCudaStreamArgAttr))
      return arg;
  return nullptr;
}

unsigned Launch::read(Value tensor) {
  operands.push_back(readOnlyBuffer(b, loc, reshapeToFlat(b, loc, tensor)));
  readOnly.push_back(true);
  return operands.size() - 1;
}

unsigned Launch::update(Value tensor) {
  // The function argument's own buffer: its tensor is not read after.
  auto type = cast<RankedTensorType>(tensor.getType());
  Value buffer = bufferization::ToBufferOp::create(
      b, loc, MemRefType::get(type.getShape(), type.getElementType()), tensor);
  if (type.getRank() != 1) {
    SmallVector<ReassociationIndices> all(1);
    for (int64_t i = 0; i < type.getRank(); ++i)
      all[0].push_back(i);
    buffer = memref::CollapseShapeOp::create(b, loc, buffer, all);
  }
  operands.push_back(buffer);
  readOnly.push_back(false);
  return operands.size() - 1;
}

unsigned Launch::result(RankedTensorType type) {
  operands.push_back(memref::AllocOp::create(b, loc, flatType(type), b.getI64IntegerAttr(64)));
  readOnly.push_back(false);
  results.push_back({operands.size() - 1, type});
  return operands.size() - 1;
}

unsigned Launch::scalar(Value value) {
  operands.push_back(value);
  readOnly.push_back(false);
  return operands.size() - 1;
}

SmallVector<Value>
Launch::build(StringRef name, int64_t grid, int64_t block,
              function_ref<void(OpBuilder &, Location, ValueRange)> body) {
  auto module = b.getInsertionBlock()->getParentOp()->getParentOfType<ModuleOp>();
  gpu::GPUModuleOp kernels = kernelModule(module);
  SymbolTable symbols(kernels);
  std::string unique = name.str();
  for (int i = 1; symbols.lookup(unique); ++i)
    unique = (name + "_" + Twine(i)).str();

  OpBuilder kb = OpBuilder::atBlockEnd(kernels.getBody());
  auto type = kb.getFunctionType(ValueRange(operands).getTypes(), {});
  auto kernel = gpu::GPUFuncOp::create(kb, loc, unique, type);
  kernel->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), kb.getUnitAttr());
  kernel.setKnownBlockSizeAttr(kb.getDenseI32ArrayAttr(
      {static_cast<int32_t>(block), 1, 1}));
  for (auto [i, value] : llvm::enumerate(operands)) {
    if (!isa<MemRefType>(value.getType()))
      continue;
    // Buffers of one launch never overlap (bufferization gave each result a
    // fresh one): noalias, and read-only inputs load through the
    // non-coherent cache (ld.global.nc).
    kernel.setArgAttr(i, LLVM::LLVMDialect::getNoAliasAttrName(), kb.getUnitAttr());
    if (readOnly[i])
      kernel.setArgAttr(i, LLVM::LLVMDialect::getReadonlyAttrName(), kb.getUnitAttr());
  }
  {
    OpBuilder::InsertionGuard guard(kb);
    kb.setInsertionPointToStart(&kernel.getBody().front());
    // A copy: workgroup buffers the body adds are block arguments too, and
    // adding one moves the others.
    SmallVector<Value> args(kernel.getArguments());
    body(kb, loc, args);
    kb.setInsertionPointToEnd(&kernel.getBody().front());
    gpu::ReturnOp::create(kb, loc);
  }
  // An equal kernel built before (the bias of every linear of a shape) is
  // launched instead: a deep model compiles each kind of kernel once.
  for (auto other : kernels.getOps<gpu::GPUFuncOp>()) {
    if (other == kernel || other.getFunctionType() != kernel.getFunctionType() ||
        other.getKnownBlockSizeAttr() != kernel.getKnownBlockSizeAttr() ||
        other.getArgAttrsAttr() != kernel.getArgAttrsAttr() ||
        !OperationEquivalence::isRegionEquivalentTo(&other.getBody(), &kernel.getBody(),
                                                    OperationEquivalence::IgnoreLocations))
      continue;
    kernel.erase();
    kernel = other;
    break;
  }

  Value stream = lookupStream(b.getInsertionBlock()->getParentOp());
  assert(stream && "ndr-stream-argument gives every function its stream first");
  Value one = index(b, loc, 1);
  gpu::LaunchFuncOp::create(
      b, loc, kernel, gpu::KernelDim3{index(b, loc, grid), one, one},
      gpu::KernelDim3{index(b, loc, block), one, one}, /*dynamicSharedMemorySize=*/Value(),
      operands, b.getType<gpu::AsyncTokenType>(), ValueRange{stream});

  SmallVector<Value> tensors;
  for (auto [i, resultType] : results) {
    Value tensor = bufferization::ToTensorOp::create(
        b, loc, RankedTensorType::get({resultType.getNumElements()},
                                      resultType.getElementType()),
        operands[i], /*restrict=*/true, /*writable=*/true);
    tensors.push_back(reshapeTo(b, loc, tensor, resultType));
  }
  return tensors;
}

Value gpu_kernels::workgroupBuffer(OpBuilder &b, Location loc, int64_t count) {
  Operation *parent = b.getInsertionBlock()->getParentOp();
  auto kernel = dyn_cast<gpu::GPUFuncOp>(parent);
  if (!kernel)
    kernel = parent->getParentOfType<gpu::GPUFuncOp>();
  auto type = MemRefType::get({count}, b.getF32Type(), AffineMap(),
                              gpu::AddressSpaceAttr::get(b.getContext(),
                                                         gpu::AddressSpace::Workgroup));
  return kernel.addWorkgroupAttribution(type, loc);
}

Value gpu_kernels::index(OpBuilder &b, Location loc, int64_t value) {
  return arith::ConstantIndexOp::create(b, loc, value);
}

SmallVector<Value> gpu_kernels::allReduce(OpBuilder &b, Location loc,
                                          ValueRange values, int64_t threads,
                                          Value scratch, int64_t slot) {
  SmallVector<Value> sums(values);
  int64_t width = std::min(threads, kWarp);
  for (int64_t offset = width / 2; offset > 0; offset /= 2)
    for (Value &sum : sums) {
      Value other = gpu::ShuffleOp::create(b, loc, sum, static_cast<int32_t>(offset),
                                           static_cast<int32_t>(kWarp),
                                           gpu::ShuffleMode::XOR)
                        .getShuffleResult();
      sum = arith::AddFOp::create(b, loc, sum, other);
    }
  if (threads <= kWarp)
    return sums;
  // One partial per warp, written by its lane 0, read back by everyone.
  int64_t warps = threads / kWarp;
  Value tid = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);
  Value warp = arith::DivUIOp::create(b, loc, tid, index(b, loc, kWarp));
  Value lane0 = arith::CmpIOp::create(
      b, loc, arith::CmpIPredicate::eq,
      arith::RemUIOp::create(b, loc, tid, index(b, loc, kWarp)), index(b, loc, 0));
  auto ifOp = scf::IfOp::create(b, loc, lane0, /*withElseRegion=*/false);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    for (auto [i, sum] : llvm::enumerate(sums)) {
      Value at = arith::AddIOp::create(
          b, loc, warp, index(b, loc, (slot + int64_t(i)) * kWarp));
      memref::StoreOp::create(b, loc, sum, scratch, ValueRange{at});
    }
  }
  gpu::BarrierOp::create(b, loc);
  for (auto [i, sum] : llvm::enumerate(sums)) {
    Value total;
    for (int64_t w = 0; w < warps; ++w) {
      Value partial = memref::LoadOp::create(
          b, loc, scratch,
          ValueRange{index(b, loc, (slot + int64_t(i)) * kWarp + w)});
      total = total ? arith::AddFOp::create(b, loc, total, partial).getResult() : partial;
    }
    sum = total;
  }
  return sums;
}

Value gpu_kernels::loadChunk(OpBuilder &b, Location loc, Value buffer, Value at,
                             int64_t lanes) {
  auto type = cast<MemRefType>(buffer.getType());
  Type element = type.getElementType();
  int64_t bytes = lanes * element.getIntOrFloatBitWidth() / 8;
  auto load = vector::LoadOp::create(b, loc, VectorType::get({lanes}, element), buffer,
                                     ValueRange{at});
  load.setAlignment(std::min<int64_t>(bytes, 16));
  return load;
}

void gpu_kernels::storeChunk(OpBuilder &b, Location loc, Value value, Value buffer,
                             Value at) {
  auto type = cast<VectorType>(value.getType());
  int64_t bytes = type.getNumElements() * type.getElementTypeBitWidth() / 8;
  auto store = vector::StoreOp::create(b, loc, value, buffer, ValueRange{at});
  store.setAlignment(std::min<int64_t>(bytes, 16));
}
