// One-shot AllReduce over a full mesh: every rank sends its whole input to every peer and reduces all n inputs
// itself. One step of latency; n-1 times the data on the wire, so it suits small messages and fully connected
// links (HCCS, MetaXLink meshes, shared memory). It is also the shape of the LL and CMA protocols' one-shot
// exchanges, which the planner prices itself (algorithms/planner/cost_model.h). Registry row.
#pragma once

#include "algorithms/collective.h"
#include "algorithms/cost.h"

namespace braid::mesh {

Schedule allReduce(const CollectiveShape& c);
Price allReduceCost(double bytes, const FabricModel& m);

}  // namespace braid::mesh
