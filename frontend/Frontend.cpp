//===- Frontend.cpp - the .ndr language front end ---------------*- C++ -*-===//

#include "frontend/Frontend.h"
#include "frontend/Diagnostics.h"
#include "frontend/Emitter.h"
#include "frontend/Parser.h"
#include "frontend/Sema.h"

#include "llvm/Support/SourceMgr.h"

using namespace mlir;
using namespace mlir::ndr::frontend;

OwningOpRef<ModuleOp> mlir::ndr::frontend::importNdr(llvm::SourceMgr &sourceMgr,
                                                     MLIRContext *context,
                                                     llvm::raw_ostream &os) {
  Diagnostics diags(sourceMgr);
  const llvm::MemoryBuffer *buffer =
      sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
  Program program = Parser(buffer->getBuffer(), diags).parseProgram();
  // Check even after syntax errors: the models that parsed may hold more.
  checkProgram(program, diags);
  diags.flush(os);
  if (diags.getNumErrors() != 0)
    return nullptr;
  return emitProgram(program, context, sourceMgr);
}
