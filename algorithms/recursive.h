// Logarithmic schedules for small and medium messages: recursive doubling and halving-doubling (Rabenseifner)
// AllReduce, recursive doubling AllGather, recursive halving ReduceScatter, and Bruck's AllGather. Rank counts
// that are not powers of two (p is the power of two below) fold the extra ranks into partners first (their
// data is added in, or their block handed over) and unfold them at the end (the result is sent back).
#pragma once

#include <cstddef>
#include <vector>

#include "algorithms/collective.h"
#include "algorithms/cost.h"
#include "algorithms/schedule.h"

namespace braid {

bool powerOfTwo(int n);  // 1, 2, 4, ...: rank or node counts these schedules run without folding

// The power-of-two core of a rank count and this rank's place in it. Of the first 2 * extra ranks, the even
// ones fold into their odd neighbour and sit out the core rounds. Also the nodes along a hierarchical rail.
struct Folding {
  int core;              // largest power of two <= nranks
  int extra;             // nranks - core
  int virtualRank = -1;  // rank within the core, -1 for a folded rank

  Folding(int rank, int nranks) : core(1), extra(0) {
    while (core * 2 <= nranks) core *= 2;
    extra = nranks - core;
    if (rank >= 2 * extra) virtualRank = rank - extra;
    else if (rank % 2 == 1) virtualRank = rank / 2;
  }
  int realRank(int v) const { return v < extra ? 2 * v + 1 : v + extra; }
  // The first rank's block that virtual rank v holds (with its folded partner's, blocks 2v and 2v + 1): the
  // virtual ranks' blocks stay contiguous and in rank order. firstBlock(core) = nranks.
  int firstBlock(int v) const { return v < extra ? 2 * v : v + extra; }
  bool folded() const { return virtualRank < 0; }
  bool holdsFolded() const { return !folded() && virtualRank < extra; }
};

// Halving-doubling AllReduce as a phase among `members` (this rank is members[index]; beyond a power of two
// they fold as above), e.g. along a rail of the hierarchical AllReduce: reads `input`, whose element i step
// `inputReady` produces as its element i (-1: ready), and leaves the sum in `output` (which may be `input`).
// Returns the last step that writes `output`, which finishes only once the whole result is there.
int emitHalvingDoublingAllReduce(Schedule& s, const std::vector<int>& members, int index, Region input, Region output,
                                 size_t count, int inputReady);

// Recursive doubling (rd): AllReduce in log2(p) rounds, each exchanging and reducing the whole buffer (lowest
// latency for small messages); AllGather in log2(p) rounds doubling the blocks exchanged (a folded pair's two
// blocks travel as one). Registry rows.
namespace recursive_doubling {
Schedule allReduce(const CollectiveShape& c);
Schedule allGather(const CollectiveShape& c);
Price allReduceCost(double bytes, const FabricModel& m);
Price allGatherCost(double bytes, const FabricModel& m);
}  // namespace recursive_doubling

// Halving-doubling (rhd, Rabenseifner): AllReduce as a reduce-scatter by recursive halving, then an allgather
// by recursive doubling, 2 log2(p) rounds moving about 2x the data as a ring does (across nodes the nearest
// partner first, so the rounds that move the most stay in a node); ReduceScatter in log2(p) rounds halving the
// blocks exchanged, partial sums in scratch. Registry rows.
namespace halving_doubling {
Schedule allReduce(const CollectiveShape& c);
Schedule reduceScatter(const CollectiveShape& c);
Price allReduceCost(double bytes, const FabricModel& m);
Price reduceScatterCost(double bytes, const FabricModel& m);
}  // namespace halving_doubling

// Bruck's AllGather: ceil(log2 n) rounds for any n, each rank's blocks travelling in a rotated scratch buffer.
namespace bruck {
Schedule allGather(const CollectiveShape& c);
Price allGatherCost(double bytes, const FabricModel& m);
}  // namespace bruck

}  // namespace braid
