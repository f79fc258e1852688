// Binary-tree schedules: log-depth Broadcast and Reduce, pipelined chunk by chunk down (or up) the tree, and a
// double-binary-tree AllReduce (each half reduced up one of two complementary trees and sent back down) whose
// latency grows with log2(n) rather than n.
#pragma once

#include <cstddef>

#include "algorithms/schedule.h"

namespace braid {

Schedule treeBroadcast(int rank, int nranks, int root, size_t count);
Schedule treeReduce(int rank, int nranks, int root, size_t count);
Schedule treeAllReduce(int rank, int nranks, size_t count);

}  // namespace braid
