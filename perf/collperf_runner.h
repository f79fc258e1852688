// One rank's benchmark: the size sweep, timing, checking and (on rank 0) the nccl-tests table and JSON.
#pragma once

#include "collperf_options.h"

namespace braid::collperf {

// Runs the sweep as `rank` of `nranks` on a communicator made from `id`. Returns the process exit code:
// 0 when every checked value was right, 1 otherwise.
int runRank(const Options& options, const ncclUniqueId& id, int rank, int nranks);

}  // namespace braid::collperf
