//===- NdrDialect.h - the ndr dialect ---------------------------*- C++ -*-===//

#ifndef NDR_DIALECT_NDRDIALECT_H
#define NDR_DIALECT_NDRDIALECT_H

#include "mlir/IR/Dialect.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialect/NdrDialect.h.inc"

namespace mlir::ndr {

/// The 64-bit seed of a run, read by every op that draws random numbers.
struct RngSeedResource : SideEffects::Resource::Base<RngSeedResource> {
  StringRef getName() final { return "ndr.rng_seed"; }
};

/// The running statistics of batch_norm, written in train mode.
struct RunningStatsResource : SideEffects::Resource::Base<RunningStatsResource> {
  StringRef getName() final { return "ndr.running_stats"; }
};

} // namespace mlir::ndr

#endif // NDR_DIALECT_NDRDIALECT_H
