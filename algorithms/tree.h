// Binary-tree schedules: log-depth Broadcast and Reduce, pipelined chunk by chunk down (or up) the tree, and a
// double-binary-tree AllReduce (each half reduced up one of two complementary trees and sent back down) whose
// latency grows with log2(n) rather than n.
//
// Within one node the tree runs over the ranks in a row, each subtree a run of neighbours (over their ring
// positions, which follow NUMA nodes or the topology file's accelerators). Over several nodes (`nodes`
// given, with more than one node) it takes NCCL's shape: a chain through each node's ranks in ring order, the
// chains' heads joined by such a tree over the nodes in order, so the network carries one edge per node instead
// of nearly every edge; the AllReduce's second tree shifts the nodes by one and runs the chains backwards, so
// another rank of each node talks across the network.
#pragma once

#include <cstddef>

#include "algorithms/collective.h"
#include "algorithms/cost.h"
#include "algorithms/schedule.h"

namespace braid {

// Registry rows: binary-tree Broadcast and Reduce, double-binary-tree AllReduce.
namespace tree {
Schedule allReduce(const CollectiveShape& c);
Schedule broadcast(const CollectiveShape& c);
Schedule reduce(const CollectiveShape& c);
Price allReduceCost(double bytes, const FabricModel& m);
Price broadcastCost(double bytes, const FabricModel& m);
Price reduceCost(double bytes, const FabricModel& m);
}  // namespace tree

}  // namespace braid
