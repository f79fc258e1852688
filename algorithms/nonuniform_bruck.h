// Nonuniform Bruck (NB, after HCCL's algorithm of that name): a reduce-scatter and an allgather in ceil(log2 n)
// rounds each for any rank count n, with no folding: where recursive halving-doubling (rhd) first folds the ranks
// beyond a power of two into partners (two more steps and the whole buffer sent twice more), NB's rounds simply
// send fewer blocks. Round k talks to ranks 2^k away, so it suits counts that are not powers of two, at small
// and medium sizes where a ring's n-1 steps cost more than the log2 n rounds save.
//
// Reduce-scatter: each rank copies its input into scratch rotated to start at its own block, then, distances
// 2^(K-1) down to 1, sends the partial sums of the blocks 2^k..2^k+c-1 ahead (c = min(2^k, n - 2^k)) to the
// rank 2^k ahead and adds in those the rank 2^k behind sends; its own block then holds every rank's sum and
// goes to the receive buffer. Allgather (the AllReduce's second half), distances 1 up to 2^(K-1), in the
// receive buffer: send the c blocks from its own onwards to the rank 2^k behind, receive the c blocks 2^k on
// from the rank 2^k ahead. Each phase sends n-1 blocks in all: a ring's traffic in logarithmic time, for one
// local copy of the input. No step writes where an unfinished step reads: the reduce-scatter's sends read
// scratch beyond the blocks later rounds reduce into, and the allgather writes only the receive buffer, after
// the copy has read the input.
#pragma once

#include "algorithms/collective.h"
#include "algorithms/cost.h"

namespace braid::nonuniform_bruck {

// Registry rows.
Schedule allReduce(const CollectiveShape& c);
Schedule reduceScatter(const CollectiveShape& c);
Price allReduceCost(double bytes, const FabricModel& m);
Price reduceScatterCost(double bytes, const FabricModel& m);

}  // namespace braid::nonuniform_bruck
