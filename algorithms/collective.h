// A collective call as the algorithms see it: kind, counts and ranks, no pointers.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "algorithms/algorithm.h"
#include "algorithms/schedule.h"

namespace braid {

enum class CollectiveKind {
  AllReduce,
  Broadcast,
  Reduce,
  AllGather,
  ReduceScatter,
  AlltoAll,
  AlltoAllv,
  Gather,
  Scatter
};

const char* collectiveName(CollectiveKind kind);

// How data moves: Simple streams chunks through the transports' FIFOs along a schedule; LowLatency (NCCL's
// "LL") is a one-shot exchange through flag-in-data lines in shared memory, for small collectives of
// communicators within one host (transports/shm/ll_mailbox.h); CrossMemory ("CMA") has each rank do its share
// straight in its peers' buffers through the kernel (transports/shm/cross_memory.h, src/exec/direct_run.h), for
// communicators within one host whose ranks may attach to each other.
enum class Protocol { Simple, LowLatency, CrossMemory };
const char* protocolName(Protocol protocol);  // Simple, LL, CMA
bool hasLowLatency(CollectiveKind kind);      // AllReduce, Broadcast, Reduce, AllGather, ReduceScatter
bool hasCrossMemory(CollectiveKind kind);     // those and AlltoAll

// Which ranks share a node (a host): hierarchical algorithms run rings within and across nodes.
struct NodeLayout {
  std::vector<std::vector<int>> members;  // per node, its ranks in rank order
  std::vector<int> nodeOf, localIndex;    // per rank
  // Whole-communicator rings and chains visit the ranks node by node, so they cross each node boundary once
  // however the launcher numbered the ranks; within a node in rank order, or by locality (orderWithinNodes).
  std::vector<int> ringOrder;
  bool uniform() const;                                                 // every node has the same number of ranks
  static NodeLayout fromNodeIds(const std::vector<int>& nodeIdOfRank);  // any ids; nodes in order of first rank
  // Within each node, ranks of equal `localityOfRank` (e.g. their NUMA node) become neighbours in ringOrder,
  // in rank order among themselves, so a ring crosses between localities once each way.
  void orderWithinNodes(const std::vector<int>& localityOfRank);
};

struct CollectiveShape {
  CollectiveKind kind;
  int rank = 0;
  int nranks = 1;
  int root = 0;
  size_t count = 0;  // per-rank count as NCCL defines it for `kind`
  // AlltoAllv only: counts and displacements per peer, in elements.
  std::vector<size_t> sendCounts, sendDispls, recvCounts, recvDispls;
  Algorithm algorithm = Algorithm::Default;
  std::shared_ptr<const NodeLayout> nodes;  // needed by Hierarchical only
  // AlltoAllv, hierarchical: what the members of this rank's node send along its rail (hierarchical.h).
  std::vector<size_t> railCounts;
  // AllReduce, AllGather, ReduceScatter, hierarchical: the rails run the logarithmic algorithm (halving and
  // doubling) also for a node count that is not a power of two, the extra nodes folded in.
  bool foldedRails = false;
};

// The schedule of `shape.algorithm` for `shape`, from the registry (algorithms/registry.h; Default is the
// collective's standby); throws std::invalid_argument when the algorithm does not serve the collective.
Schedule buildSchedule(const CollectiveShape& shape);

}  // namespace braid
