// The registry's rows: one per algorithm, its names and, per collective it serves, its schedule and its cost
// (each in the algorithm's family file). Tests walk this table, so a row missing a schedule or a cost for a
// collective it claims fails them (registry_test.cc), and the simulator runs every schedule listed here.
#include "algorithms/registry.h"

#include <stdexcept>

#include "algorithms/direct.h"
#include "algorithms/hierarchical.h"
#include "algorithms/mesh.h"
#include "algorithms/nonuniform_bruck.h"
#include "algorithms/recursive.h"
#include "algorithms/ring.h"
#include "algorithms/tree.h"
#include "base/text.h"

namespace braid {
namespace {

using K = CollectiveKind;

const std::vector<AlgorithmInfo>& rows() {
  static const std::vector<AlgorithmInfo> table = {
      {Algorithm::Ring,
       "ring",
       {},
       "bandwidth-optimal ring, pipelined chunk by chunk; visits nodes in turn",
       {{K::AllReduce, ring::allReduce, ring::allReduceCost},
        {K::AllGather, ring::allGather, ring::allGatherCost},
        {K::ReduceScatter, ring::reduceScatter, ring::reduceScatterCost}}},
      {Algorithm::Chain,
       "chain",
       {},
       "a pipelined chain from (or to) the root along the ring order",
       {{K::Broadcast, chain::broadcast, chain::broadcastCost}, {K::Reduce, chain::reduce, chain::reduceCost}}},
      {Algorithm::Tree,
       "tree",
       {},
       "binary trees (a double tree for AllReduce); over nodes, chains under a tree",
       {{K::AllReduce, tree::allReduce, tree::allReduceCost},
        {K::Broadcast, tree::broadcast, tree::broadcastCost},
        {K::Reduce, tree::reduce, tree::reduceCost}}},
      {Algorithm::RecursiveDoubling,
       "rd",
       {"recursive_doubling"},
       "log2(p) rounds exchanging the whole buffer",
       {{K::AllReduce, recursive_doubling::allReduce, recursive_doubling::allReduceCost},
        {K::AllGather, recursive_doubling::allGather, recursive_doubling::allGatherCost}}},
      {Algorithm::HalvingDoubling,
       "rhd",
       {"halving_doubling", "rabenseifner"},
       "recursive halving reduce-scatter, then recursive doubling allgather",
       {{K::AllReduce, halving_doubling::allReduce, halving_doubling::allReduceCost},
        {K::ReduceScatter, halving_doubling::reduceScatter, halving_doubling::reduceScatterCost}}},
      {Algorithm::Mesh,
       "mesh",
       {"oneshot"},
       "one shot over a full mesh: every rank sends all to all",
       {{K::AllReduce, mesh::allReduce, mesh::allReduceCost}}},
      {Algorithm::Bruck,
       "bruck",
       {},
       "ceil(log2 n) rounds for any n, blocks rotated in scratch",
       {{K::AllGather, bruck::allGather, bruck::allGatherCost}}},
      {Algorithm::Direct,
       "direct",
       {"pairwise"},
       "every peer at once",
       {{K::AlltoAll, direct::alltoall, direct::exchangeCost},
        {K::AlltoAllv, direct::alltoallv, direct::exchangeCost},
        {K::Gather, direct::gather, direct::exchangeCost},
        {K::Scatter, direct::scatter, direct::exchangeCost}}},
      {Algorithm::Hierarchical,
       "hier",
       {"hierarchical"},
       "within nodes, then along rails across nodes, then within",
       {{K::AllReduce, hierarchical::allReduce, hierarchical::allReduceCost, hierarchical::fitsAnyNodes},
        {K::AllGather, hierarchical::allGather, hierarchical::allGatherCost, hierarchical::fitsEqualNodes},
        {K::ReduceScatter, hierarchical::reduceScatter, hierarchical::reduceScatterCost, hierarchical::fitsEqualNodes},
        {K::AlltoAll, hierarchical::alltoall, hierarchical::alltoallCost, hierarchical::fitsEqualNodes},
        {K::AlltoAllv, hierarchical::alltoallv, hierarchical::alltoallCost, hierarchical::fitsEqualNodes}}},
      {Algorithm::NonuniformBruck,
       "nb",
       {"nonuniform_bruck"},
       "HCCL's NB: ceil(log2 n) rounds each way for any n, no folding and no extra traffic",
       {{K::AllReduce, nonuniform_bruck::allReduce, nonuniform_bruck::allReduceCost},
        {K::ReduceScatter, nonuniform_bruck::reduceScatter, nonuniform_bruck::reduceScatterCost}}},
  };
  return table;
}

}  // namespace

const std::vector<AlgorithmInfo>& algorithmRegistry() { return rows(); }

const AlgorithmInfo* findAlgorithm(int id) {
  for (const AlgorithmInfo& a : rows())
    if (static_cast<int>(a.id) == id) return &a;
  return nullptr;
}

const Implementation* implementationOf(Algorithm algorithm, CollectiveKind kind) {
  const AlgorithmInfo* info = findAlgorithm(static_cast<int>(algorithm));
  if (!info) return nullptr;
  for (const Implementation& i : info->implementations)
    if (i.kind == kind) return &i;
  return nullptr;
}

Algorithm standbyAlgorithm(CollectiveKind kind) {
  switch (kind) {
    case CollectiveKind::AllReduce:
    case CollectiveKind::AllGather:
    case CollectiveKind::ReduceScatter: return Algorithm::Ring;
    case CollectiveKind::Broadcast:
    case CollectiveKind::Reduce: return Algorithm::Chain;
    default: return Algorithm::Direct;
  }
}

const char* algorithmName(Algorithm algorithm) {
  if (algorithm == Algorithm::Default) return "default";
  const AlgorithmInfo* info = findAlgorithm(static_cast<int>(algorithm));
  return info ? info->name : "?";
}

bool parseAlgorithm(const std::string& name, Algorithm* algorithm) {
  const std::string lower = lowercase(name);
  for (const AlgorithmInfo& a : rows()) {
    bool named = lower == a.name;
    for (const char* alias : a.aliases) named |= lower == alias;
    if (named) return *algorithm = a.id, true;
  }
  return false;
}

bool hasAlgorithm(CollectiveKind kind, Algorithm algorithm) {
  return algorithm == Algorithm::Default || implementationOf(algorithm, kind) != nullptr;
}

}  // namespace braid
