#include "algorithms/collective.h"

#include <algorithm>
#include "base/text.h"
#include <stdexcept>

#include "algorithms/direct.h"
#include "algorithms/hierarchical.h"
#include "algorithms/mesh.h"
#include "algorithms/recursive.h"
#include "algorithms/ring.h"
#include "algorithms/tree.h"

namespace braid {

const char* collectiveName(CollectiveKind kind) {
  switch (kind) {
    case CollectiveKind::AllReduce: return "AllReduce";
    case CollectiveKind::Broadcast: return "Broadcast";
    case CollectiveKind::Reduce: return "Reduce";
    case CollectiveKind::AllGather: return "AllGather";
    case CollectiveKind::ReduceScatter: return "ReduceScatter";
    case CollectiveKind::AlltoAll: return "AlltoAll";
    case CollectiveKind::AlltoAllv: return "AlltoAllv";
    case CollectiveKind::Gather: return "Gather";
    case CollectiveKind::Scatter: return "Scatter";
  }
  return "?";
}

const char* protocolName(Protocol protocol) {
  switch (protocol) {
    case Protocol::LowLatency: return "LL";
    case Protocol::CrossMemory: return "CMA";
    default: return "Simple";
  }
}

bool hasLowLatency(CollectiveKind kind) {
  return kind == CollectiveKind::AllReduce || kind == CollectiveKind::Broadcast || kind == CollectiveKind::Reduce ||
         kind == CollectiveKind::AllGather || kind == CollectiveKind::ReduceScatter;
}

bool hasCrossMemory(CollectiveKind kind) { return hasLowLatency(kind) || kind == CollectiveKind::AlltoAll; }

const char* algorithmName(Algorithm algorithm) {
  switch (algorithm) {
    case Algorithm::Default: return "default";
    case Algorithm::Ring: return "ring";
    case Algorithm::Chain: return "chain";
    case Algorithm::Tree: return "tree";
    case Algorithm::RecursiveDoubling: return "rd";
    case Algorithm::HalvingDoubling: return "rhd";
    case Algorithm::Mesh: return "mesh";
    case Algorithm::Bruck: return "bruck";
    case Algorithm::Direct: return "direct";
    case Algorithm::Hierarchical: return "hier";
  }
  return "?";
}

bool parseAlgorithm(const std::string& name, Algorithm* algorithm) {
  const std::string lower = lowercase(name);
  // NCCL's names first: its "tree" is our tree, "collnet*" and "nvls*" have no host equivalent.
  static const std::pair<const char*, Algorithm> kAliases[] = {
      {"recursive_doubling", Algorithm::RecursiveDoubling}, {"halving_doubling", Algorithm::HalvingDoubling},
      {"rabenseifner", Algorithm::HalvingDoubling}, {"oneshot", Algorithm::Mesh}, {"pairwise", Algorithm::Direct},
      {"hierarchical", Algorithm::Hierarchical}};
  for (const auto& [alias, value] : kAliases)
    if (lower == alias) return *algorithm = value, true;
  for (Algorithm a : kAllAlgorithms)
    if (lower == algorithmName(a)) return *algorithm = a, true;
  return false;
}

bool hasAlgorithm(CollectiveKind kind, Algorithm a) {
  if (a == Algorithm::Default) return true;
  switch (kind) {
    case CollectiveKind::AllReduce:
      return a == Algorithm::Ring || a == Algorithm::Tree || a == Algorithm::RecursiveDoubling ||
             a == Algorithm::HalvingDoubling || a == Algorithm::Mesh || a == Algorithm::Hierarchical;
    case CollectiveKind::Broadcast:
    case CollectiveKind::Reduce: return a == Algorithm::Chain || a == Algorithm::Tree;
    case CollectiveKind::AllGather:
      return a == Algorithm::Ring || a == Algorithm::Bruck || a == Algorithm::RecursiveDoubling ||
             a == Algorithm::Hierarchical;
    case CollectiveKind::ReduceScatter:
      return a == Algorithm::Ring || a == Algorithm::HalvingDoubling || a == Algorithm::Hierarchical;
    case CollectiveKind::AlltoAll:
    case CollectiveKind::AlltoAllv: return a == Algorithm::Direct || a == Algorithm::Hierarchical;
    case CollectiveKind::Gather:
    case CollectiveKind::Scatter: return a == Algorithm::Direct;
  }
  return false;
}

bool NodeLayout::uniform() const {
  for (const auto& m : members)
    if (m.size() != members.front().size()) return false;
  return !members.empty();
}

NodeLayout NodeLayout::fromNodeIds(const std::vector<int>& nodeIdOfRank) {
  NodeLayout layout;
  std::vector<int> seen;  // node ids in order of first appearance
  for (int rank = 0; rank < static_cast<int>(nodeIdOfRank.size()); ++rank) {
    const int id = nodeIdOfRank[rank];
    auto it = std::find(seen.begin(), seen.end(), id);
    const int node = static_cast<int>(it - seen.begin());
    if (it == seen.end()) seen.push_back(id), layout.members.emplace_back();
    layout.nodeOf.push_back(node);
    layout.localIndex.push_back(static_cast<int>(layout.members[node].size()));
    layout.members[node].push_back(rank);
  }
  layout.orderWithinNodes(std::vector<int>(nodeIdOfRank.size(), 0));
  return layout;
}

void NodeLayout::orderWithinNodes(const std::vector<int>& localityOfRank) {
  ringOrder.clear();
  for (std::vector<int> ranks : members) {
    std::stable_sort(ranks.begin(), ranks.end(),
                     [&](int a, int b) { return localityOfRank[a] < localityOfRank[b]; });
    ringOrder.insert(ringOrder.end(), ranks.begin(), ranks.end());
  }
}

namespace {

const NodeLayout& nodesOf(const CollectiveShape& c, bool equalSizes) {
  if (!c.nodes || static_cast<int>(c.nodes->nodeOf.size()) != c.nranks)
    throw std::invalid_argument(std::string("the hierarchical ") + collectiveName(c.kind) + " needs the node layout");
  if (equalSizes && !c.nodes->uniform())
    throw std::invalid_argument(std::string("the hierarchical ") + collectiveName(c.kind) +
                                " needs nodes of equal size");
  return *c.nodes;
}

std::vector<int> ringOrder(const CollectiveShape& c) {
  if (!c.nodes || static_cast<int>(c.nodes->ringOrder.size()) != c.nranks) return identityOrder(c.nranks);
  return c.nodes->ringOrder;
}

int positionIn(const std::vector<int>& order, int rank) {
  return static_cast<int>(std::find(order.begin(), order.end(), rank) - order.begin());
}

// rd and rhd pair ranks by number (partners at distance 1, 2, 4, ...), and trees within one node join ranks of
// neighbouring numbers: they run on the ranks' positions in the ring order and map their peers back, so that
// the nearest partners share a node (and NUMA node) however the launcher numbered the ranks, as the cost model
// assumes. Every rank holds the whole vector, so which rank plays which position changes nothing else.
// `build(position)`.
template <typename Build>
Schedule overRingPositions(const CollectiveShape& c, Build build) {
  const std::vector<int> order = ringOrder(c);
  Schedule s = build(positionIn(order, c.rank));
  for (Step& step : s.steps)
    if (step.peer >= 0) step.peer = order[step.peer];
  return s;
}

// Over several nodes tree.cc follows the node layout itself (chains in ring order under a tree of nodes).
bool acrossNodes(const CollectiveShape& c) { return c.nodes && c.nodes->members.size() > 1; }

Schedule allReduce(const CollectiveShape& c) {
  switch (c.algorithm) {
    case Algorithm::Tree:
      if (acrossNodes(c)) return treeAllReduce(c.rank, c.nranks, c.count, c.nodes.get());
      return overRingPositions(c, [&](int p) { return treeAllReduce(p, c.nranks, c.count); });
    case Algorithm::RecursiveDoubling:
      return overRingPositions(c, [&](int p) { return recursiveDoublingAllReduce(p, c.nranks, c.count); });
    case Algorithm::HalvingDoubling: {
      // Across nodes the largest rounds pair the nearest ranks, which share a node.
      const bool nearestFirst = acrossNodes(c);
      return overRingPositions(c, [&](int p) { return halvingDoublingAllReduce(p, c.nranks, c.count, nearestFirst); });
    }
    case Algorithm::Mesh: return meshAllReduce(c.rank, c.nranks, c.count);
    case Algorithm::Hierarchical: return hierarchicalAllReduce(c.rank, nodesOf(c, false), c.count, c.foldedRails);
    default: return ringAllReduce(c.rank, ringOrder(c), c.count);
  }
}

// Receives into the receive buffer that no step reads back (forwards, reduces into, copies out of). In place,
// a step may also read it as the send buffer; streaming stores stay correct then (a core sees its own stores
// in order), only that read would come from memory. Sorted read intervals keep this O(S log S): AlltoAllv
// builds a schedule per call.
void markLastWrites(Schedule& s) {
  std::vector<std::pair<size_t, size_t>> reads;  // [begin, end) in the receive buffer, by begin
  auto noteRead = [&](const Region& r, size_t count) {
    if (r.buffer == kRecvBuffer && count > 0) reads.emplace_back(r.offset, r.offset + count);
  };
  for (const Step& r : s.steps) {
    if (r.kind == StepKind::Recv) continue;
    noteRead(r.src, r.count);
    if (r.kind == StepKind::Reduce || r.kind == StepKind::RecvReduce) noteRead(r.dst, r.count);
  }
  std::sort(reads.begin(), reads.end());
  std::vector<size_t> furthestEnd(reads.size());  // the largest end among reads[0..i]
  for (size_t i = 0; i < reads.size(); ++i) furthestEnd[i] = std::max(reads[i].second, i ? furthestEnd[i - 1] : 0);
  for (Step& w : s.steps) {
    if (w.kind != StepKind::Recv || w.dst.buffer != kRecvBuffer || w.count == 0) continue;
    const size_t begin = w.dst.offset, end = begin + w.count;
    // The reads that start before this write ends; one of them overlaps it if it ends after the write begins.
    const size_t starting =
        std::lower_bound(reads.begin(), reads.end(), std::make_pair(end, size_t{0})) - reads.begin();
    w.lastWrite = starting == 0 || furthestEnd[starting - 1] <= begin;
  }
}

Schedule build(const CollectiveShape& c) {
  if (!hasAlgorithm(c.kind, c.algorithm))
    throw std::invalid_argument(std::string(collectiveName(c.kind)) + " has no " + algorithmName(c.algorithm) +
                                " algorithm");
  const bool tree = c.algorithm == Algorithm::Tree;
  switch (c.kind) {
    case CollectiveKind::AllReduce: return allReduce(c);
    case CollectiveKind::Broadcast:
      if (!tree) return chainBroadcast(c.rank, ringOrder(c), c.root, c.count);
      if (acrossNodes(c)) return treeBroadcast(c.rank, c.nranks, c.root, c.count, c.nodes.get());
      return overRingPositions(
          c, [&](int p) { return treeBroadcast(p, c.nranks, positionIn(ringOrder(c), c.root), c.count); });
    case CollectiveKind::Reduce:
      if (!tree) return chainReduce(c.rank, ringOrder(c), c.root, c.count);
      if (acrossNodes(c)) return treeReduce(c.rank, c.nranks, c.root, c.count, c.nodes.get());
      return overRingPositions(
          c, [&](int p) { return treeReduce(p, c.nranks, positionIn(ringOrder(c), c.root), c.count); });
    case CollectiveKind::AllGather:
      if (c.algorithm == Algorithm::Bruck) return bruckAllGather(c.rank, c.nranks, c.count);
      if (c.algorithm == Algorithm::RecursiveDoubling) return recursiveDoublingAllGather(c.rank, c.nranks, c.count);
      if (c.algorithm == Algorithm::Hierarchical)
        return hierarchicalAllGather(c.rank, nodesOf(c, true), c.count, c.foldedRails);
      return ringAllGather(c.rank, ringOrder(c), c.count);
    case CollectiveKind::ReduceScatter:
      if (c.algorithm == Algorithm::HalvingDoubling) return recursiveHalvingReduceScatter(c.rank, c.nranks, c.count);
      if (c.algorithm == Algorithm::Hierarchical)
        return hierarchicalReduceScatter(c.rank, nodesOf(c, true), c.count, c.foldedRails);
      return ringReduceScatter(c.rank, ringOrder(c), c.count);
    case CollectiveKind::AlltoAll:
      if (c.algorithm == Algorithm::Hierarchical) return hierarchicalAlltoAll(c.rank, nodesOf(c, true), c.count);
      return directAlltoAll(c.rank, c.nranks, c.count);
    case CollectiveKind::AlltoAllv:
      if (c.algorithm == Algorithm::Hierarchical)
        return hierarchicalAlltoAllv(c.rank, nodesOf(c, true), c.sendCounts, c.sendDispls, c.recvCounts, c.recvDispls,
                                     c.railCounts);
      return directAlltoAllv(c.rank, c.nranks, c.sendCounts, c.sendDispls, c.recvCounts, c.recvDispls);
    case CollectiveKind::Gather: return directGather(c.rank, c.nranks, c.root, c.count);
    case CollectiveKind::Scatter: return directScatter(c.rank, c.nranks, c.root, c.count);
  }
  return {};
}

}  // namespace

Schedule buildSchedule(const CollectiveShape& c) {
  Schedule s = build(c);
  markLastWrites(s);
  return s;
}

}  // namespace braid
