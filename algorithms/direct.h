// Direct (pairwise) schedules: every rank talks to every peer it exchanges data with, all at once.
#pragma once

#include <cstddef>
#include <vector>

#include "algorithms/schedule.h"

namespace braid {

// counts/displacements per peer, in elements.
Schedule directAlltoAllv(int rank, int nranks, const std::vector<size_t>& sendCounts,
                         const std::vector<size_t>& sendDispls, const std::vector<size_t>& recvCounts,
                         const std::vector<size_t>& recvDispls);
Schedule directAlltoAll(int rank, int nranks, size_t count);
Schedule directGather(int rank, int nranks, int root, size_t count);
Schedule directScatter(int rank, int nranks, int root, size_t count);

// A group of point-to-point calls: each call's buffer is buffer kFirstUserBuffer + its index, counts in bytes.
// Calls to the same peer keep their order. Throws std::invalid_argument when sends to self and receives from
// self do not pair up.
struct PointToPointCall {
  bool isSend;
  int peer;
  size_t bytes;
};
Schedule pointToPointGroup(int rank, const std::vector<PointToPointCall>& calls);

}  // namespace braid
