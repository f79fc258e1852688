// Direct (pairwise) schedules: every rank talks to every peer it exchanges data with, all at once.
#pragma once

#include <cstddef>
#include <vector>

#include "algorithms/collective.h"
#include "algorithms/cost.h"
#include "algorithms/schedule.h"

namespace braid {

// Every rank to every peer with count elements each (the hierarchical AlltoAll's exchange of rail counts too).
Schedule directAlltoAll(int rank, int nranks, size_t count);

// Registry rows: AlltoAll(v), Gather and Scatter, every peer at once through the rank's (or its node's) links.
namespace direct {
Schedule alltoall(const CollectiveShape& c);
Schedule alltoallv(const CollectiveShape& c);  // counts and displacements per peer, in elements
Schedule gather(const CollectiveShape& c);
Schedule scatter(const CollectiveShape& c);
Price exchangeCost(double bytes, const FabricModel& m);  // what each of them costs
}  // namespace direct

// A group of point-to-point calls: each call's buffer is buffer kFirstUserBuffer + its index, counts in bytes.
// Calls to the same peer keep their order. Throws std::invalid_argument when sends to self and receives from
// self do not pair up.
struct PointToPointCall {
  bool isSend;
  int peer;
  size_t bytes;
};
Schedule pointToPointGroup(int rank, const std::vector<PointToPointCall>& calls);
// Its price for `rank`: every message is posted at once (one step, a message overhead for each further peer);
// the bytes then move one peer after another through the rank's links, the busier direction bounding the time;
// messages to itself are local copies.
Price pointToPointGroupCost(int rank, const std::vector<PointToPointCall>& calls, const FabricModel& m);

}  // namespace braid
