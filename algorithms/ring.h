// Ring and chain schedules: bandwidth-optimal for every collective, each chunk forwarded as soon as it arrives.
#pragma once

#include <cstddef>

#include "algorithms/schedule.h"

namespace braid {

// Segment i of `count` elements split into `parts` near-equal pieces.
struct Segment {
  size_t offset;
  size_t count;
};
Segment segmentOf(size_t count, int parts, int i);

Schedule ringAllReduce(int rank, int nranks, size_t count);
Schedule ringAllGather(int rank, int nranks, size_t count);
Schedule ringReduceScatter(int rank, int nranks, size_t count);
Schedule chainBroadcast(int rank, int nranks, int root, size_t count);
Schedule chainReduce(int rank, int nranks, int root, size_t count);

}  // namespace braid
