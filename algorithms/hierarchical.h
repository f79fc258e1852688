// Hierarchical AllReduce for ranks spread over nodes of equal size L: a ring reduce-scatter within each node
// leaves each rank one node-reduced segment; the ranks holding the same segment (one per node, a "rail")
// all-reduce it across nodes (halving-doubling when the node count is a power of two or `foldedRails` asks
// for it with the extra nodes folded in, else a ring: the planner prices both; the same for the AllGather's and
// ReduceScatter's rails below); a ring
// allgather within each node spreads the result. Only 1/L of the data crosses the network per rank, all L
// rails at once, and the levels overlap: the cross-node phase starts on each chunk as soon as the node has
// reduced it (its first round, with halving-doubling).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "algorithms/collective.h"
#include "algorithms/cost.h"
#include "algorithms/schedule.h"

namespace braid {

// Hierarchical AllGather for nodes of equal size: each rail gathers the blocks of the ranks with the same local
// index (every rail at once, so each node sends its own blocks across the network once; recursive doubling for
// a power of two of nodes, else a ring), then a ring within the node passes whole rails on, each block as
// soon as it has arrived.
// Hierarchical ReduceScatter for nodes of equal size, the AllGather backwards: a ring within the node reduces
// whole rails (each rank ends with its node's sum of the blocks of its rail), then each rail finishes every
// rank's block (recursive halving for a power of two of nodes, else a ring). Each node sends across the
// network only what its rails need.
// Hierarchical AlltoAll for nodes of equal size: within the node each rank hands every member what goes to that
// member's rail, then each rank exchanges with its rail's rank on every other node everything between the two
// nodes' rails. A rank talks across the network to N-1 peers instead of N L - L, in larger messages.
// The same for AlltoAllv. The ranks of a rail forward what their node's members send along it, so each needs
// counts only those members know: `railCounts[q * N + k]` (CollectiveShape::railCounts) is what member q of this
// rank's node sends to the rank of this rank's rail in node k (N nodes). railCountsExchange gathers them before
// the call.
// What this rank tells each member q of its node, at [q * N + k]: what it sends to member q's rank in node k.
std::vector<uint64_t> railCountsToSend(int rank, const NodeLayout& nodes, const std::vector<size_t>& sendCounts);
// The exchange of those counts within the node (8-byte elements; send: railCountsToSend, receive: railCounts).
Schedule railCountsExchange(int rank, const NodeLayout& nodes);

// Registry rows. The schedules need the shape's node layout (nodes of equal size, but for the AllReduce); the
// planner considers them only across several nodes of at least two ranks.
namespace hierarchical {
Schedule allReduce(const CollectiveShape& c);
Schedule allGather(const CollectiveShape& c);
Schedule reduceScatter(const CollectiveShape& c);
Schedule alltoall(const CollectiveShape& c);
Schedule alltoallv(const CollectiveShape& c);
Price allReduceCost(double bytes, const FabricModel& m);
Price allGatherCost(double bytes, const FabricModel& m);
Price reduceScatterCost(double bytes, const FabricModel& m);
Price alltoallCost(double bytes, const FabricModel& m);
bool fitsAnyNodes(const FabricModel& m);    // several nodes of two ranks or more
bool fitsEqualNodes(const FabricModel& m);  // and every node the same size
}  // namespace hierarchical

}  // namespace braid
