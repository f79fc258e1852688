// A collective call as the algorithms see it: kind, counts and ranks, no pointers.
#pragma once

#include <cstddef>
#include <vector>

#include "algorithms/schedule.h"

namespace braid {

enum class CollectiveKind { AllReduce, Broadcast, Reduce, AllGather, ReduceScatter, AlltoAll, AlltoAllv, Gather, Scatter };

const char* collectiveName(CollectiveKind kind);

struct CollectiveShape {
  CollectiveKind kind;
  int rank = 0;
  int nranks = 1;
  int root = 0;
  size_t count = 0;  // per-rank count as NCCL defines it for `kind`
  // AlltoAllv only: counts and displacements per peer, in elements.
  std::vector<size_t> sendCounts, sendDispls, recvCounts, recvDispls;
};

// The schedule the built-in algorithms use for `shape`: rings for reductions, broadcast and allgather; direct
// exchanges for AlltoAll(v), Gather and Scatter.
Schedule buildSchedule(const CollectiveShape& shape);

}  // namespace braid
