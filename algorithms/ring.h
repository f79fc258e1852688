// Ring and chain schedules: bandwidth-optimal for every collective, each chunk forwarded as soon as it arrives.
// The ring phases are also emitted on their own, over any subset of ranks (the hierarchical AllReduce runs
// them within nodes and across them).
#pragma once

#include <cstddef>
#include <vector>

#include "algorithms/collective.h"
#include "algorithms/cost.h"
#include "algorithms/schedule.h"

namespace braid {

// a modulo n in [0, n), also for negative a: positions around a ring.
int mod(int a, int n);

// Segment i of `count` elements split into `parts` near-equal pieces.
struct Segment {
  size_t offset;
  size_t count;
};
Segment segmentOf(size_t count, int parts, int i);

// A ring over some ranks: this rank's position in it and its neighbours.
struct RingPeers {
  int index;
  int size;
  int next;
  int prev;
};
RingPeers ringOf(const std::vector<int>& members, int index);

// What data a phase starts from: the step that produces it (-1: ready) and where the phase's range starts in
// that step's elements (kWholeStep: wait for all of it).
struct Gate {
  int step = -1;
  size_t offset = 0;
};

// Reduce-scatter of `count` elements (from `input`, partial sums into `output`): this rank ends with segment
// (index + 1) % size of `output` fully reduced. Returns the step that produced it.
int emitRingReduceScatter(Schedule& s, const RingPeers& ring, Region input, Region output, size_t count,
                          Gate inputReady);
// Allgather of the segments of `output`, this rank starting with segment (index + 1) % size. Returns the last
// step. With `joinable`, each receive also waits for the previous one (the first for `ownedReady`), so the
// returned step finishes only when the whole phase has, even when the last segment is empty.
int emitRingAllGather(Schedule& s, const RingPeers& ring, Region output, size_t count, Gate ownedReady,
                      bool joinable = false);

// The ring (AllReduce, AllGather, ReduceScatter) and the chain (Broadcast, Reduce): whole-communicator rings
// over the ranks in their ring order (every rank once), so neighbours in the order are neighbours in the ring and
// an order that keeps each node's ranks together crosses each node boundary once. Registry rows.
namespace ring {
Schedule allReduce(const CollectiveShape& c);
Schedule allGather(const CollectiveShape& c);
Schedule reduceScatter(const CollectiveShape& c);
Price allReduceCost(double bytes, const FabricModel& m);
Price allGatherCost(double bytes, const FabricModel& m);
Price reduceScatterCost(double bytes, const FabricModel& m);
}  // namespace ring

namespace chain {
Schedule broadcast(const CollectiveShape& c);
Schedule reduce(const CollectiveShape& c);
Price broadcastCost(double bytes, const FabricModel& m);
Price reduceCost(double bytes, const FabricModel& m);
}  // namespace chain

}  // namespace braid
