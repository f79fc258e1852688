// BRAID_CHECK_COLLECTIVES=1: before each collective, ranks exchange its signature (sequence number, kind,
// count, type, op, root) over the bootstrap ring and stop with ncclInvalidUsage naming the first rank whose call
// differs, instead of corrupting data or hanging. Costs one small allgather per collective.
#pragma once

#include "core/work.h"

namespace braid {

void checkCollectiveAgreement(ncclComm* comm, const CollectiveCall& call, uint64_t sequence);

}  // namespace braid
