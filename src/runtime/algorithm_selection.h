// What a communicator's planner is made of: the host device's fabric model, and BRAID_ALGO (alias NCCL_ALGO),
// BRAID_PROTO (alias NCCL_PROTO) and BRAID_TUNE_FILE. The planner's choice for each call is taken in
// call_plan.h (BRAID_DEBUG_SUBSYS=TUNING logs each new decision).
#pragma once

#include <memory>

#include "algorithms/planner/planner.h"

namespace braid {

// The overrides of this process's environment; throws Error(ncclInvalidArgument) naming the variable, or the
// file and line, that cannot be read.
planner::AlgorithmFilter algorithmFilterFromEnv();
planner::ProtocolFilter protocolFilterFromEnv();
std::vector<planner::TuningRule> tuningRulesFromEnv();

// The cores this process may run on (its affinity mask).
int usableCores();

// The cost model of ranks on the host device: shared memory within a host, TCP between hosts. `cores`: what
// the busiest host's ranks may run on (fewer cores than ranks share their time and memory bandwidth).
planner::FabricModel hostFabricModel(int nranks, int localRanks, int cores);

}  // namespace braid
