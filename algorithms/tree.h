// Binary-tree schedules: log-depth Broadcast and Reduce, pipelined chunk by chunk down (or up) the tree, and a
// double-binary-tree AllReduce (each half reduced up one of two complementary trees and sent back down) whose
// latency grows with log2(n) rather than n.
//
// Within one node the tree runs over the ranks in a row, each subtree a run of neighbours (buildSchedule passes
// ring positions, which follow NUMA nodes or the topology file's accelerators). Over several nodes (`nodes`
// given, with more than one node) it takes NCCL's shape: a chain through each node's ranks in ring order, the
// chains' heads joined by such a tree over the nodes in order, so the network carries one edge per node instead
// of nearly every edge; the AllReduce's second tree shifts the nodes by one and runs the chains backwards, so
// another rank of each node talks across the network.
#pragma once

#include <cstddef>

#include "algorithms/schedule.h"

namespace braid {

struct NodeLayout;

Schedule treeBroadcast(int rank, int nranks, int root, size_t count, const NodeLayout* nodes = nullptr);
Schedule treeReduce(int rank, int nranks, int root, size_t count, const NodeLayout* nodes = nullptr);
Schedule treeAllReduce(int rank, int nranks, size_t count, const NodeLayout* nodes = nullptr);

}  // namespace braid
