// The schedule simulator: every rank's schedule run by the real executor, in one thread, over in-memory pipes,
// ranks advanced in random order. A round in which no rank moves any data is a deadlock.
#pragma once

#include <functional>
#include <vector>

#include "algorithms/schedule.h"
#include "device/host/host_reduce.h"

namespace braid::testing {

struct SimulatedRank {
  Schedule schedule;
  std::vector<char*> buffers;  // indexed by BufferSlot; the scratch slot is allocated by simulate()
};

// Returns false on deadlock. `capacity` bounds every pipe (bytes).
bool simulate(std::vector<SimulatedRank>& ranks, size_t elementSize, ReduceFn reduce, size_t capacity, uint32_t seed);

}  // namespace braid::testing
