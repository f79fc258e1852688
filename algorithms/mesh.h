// One-shot AllReduce over a full mesh: every rank sends its whole input to every peer and reduces all n inputs
// itself. One step of latency; n-1 times the data on the wire, so it suits small messages and fully connected
// links (HCCS, MetaXLink meshes, shared memory).
#pragma once

#include <cstddef>

#include "algorithms/schedule.h"

namespace braid {

Schedule meshAllReduce(int rank, int nranks, size_t count);

}  // namespace braid
