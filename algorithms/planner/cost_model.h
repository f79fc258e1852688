// The α-β-γ cost model as the planner asks it: every registered algorithm's price for a collective on a fabric
// (each algorithm's closed form sits next to its schedule, algorithms/registry.h), limited by the ranks'
// channels, as time and bandwidths; and the prices of the LL and CMA protocols' one-shot exchanges.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "algorithms/collective.h"
#include "algorithms/cost.h"
#include "algorithms/registry.h"

namespace braid::planner {

// The model lives with the algorithms, which price themselves in it (algorithms/cost.h).
using braid::FabricModel;
using braid::LinkLevel;

struct Prediction {
  Algorithm algorithm;
  double timeUs;
  double algbwGBps;
  double busbwGBps;
  Protocol protocol = Protocol::Simple;
  // Hierarchical AllReduce, AllGather, ReduceScatter: rails of a node count that is not a power of two run the
  // logarithmic algorithm with the extra nodes folded in, not a ring.
  bool foldedRails = false;
};
// "ring", or "mesh/LL" for the LL protocol.
std::string planName(const Prediction& prediction);

// nccl-tests' bus bandwidth factor for `kind` on n ranks.
double busBandwidthFactor(CollectiveKind kind, int nranks);
// The registered algorithms serving `kind` that fit the model (hierarchical ones only on several nodes).
std::vector<Algorithm> modelledAlgorithms(CollectiveKind kind, const FabricModel& model);
// Predicted cost of `algorithm` moving `bytes` (NCCL's size: the per-rank buffer of AllReduce, Broadcast,
// Reduce; the total output of AllGather, the total input of ReduceScatter); throws std::invalid_argument when
// the algorithm does not serve `kind`.
Prediction predict(CollectiveKind kind, Algorithm algorithm, size_t bytes, const FabricModel& model);
// Bytes each rank contributes to an LL collective of NCCL size `bytes` (what must fit model.lowLatencyBytes).
size_t lowLatencyContribution(CollectiveKind kind, size_t bytes, int nranks);
// Predicted cost of the one-shot LL exchange (algorithm Mesh, protocol LL) of `kind`.
Prediction predictLowLatency(CollectiveKind kind, size_t bytes, const FabricModel& model);
// Predicted cost of `kind` done in the peers' buffers by cross-memory attach (algorithm Mesh, protocol CMA).
Prediction predictCrossMemory(CollectiveKind kind, size_t bytes, const FabricModel& model);

}  // namespace braid::planner
