#include "algorithms/collective.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "algorithms/registry.h"

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
    std::stable_sort(ranks.begin(), ranks.end(), [&](int a, int b) { return localityOfRank[a] < localityOfRank[b]; });
    ringOrder.insert(ringOrder.end(), ranks.begin(), ranks.end());
  }
}

namespace {

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

}  // namespace

Schedule buildSchedule(const CollectiveShape& c) {
  const Algorithm algorithm = c.algorithm == Algorithm::Default ? standbyAlgorithm(c.kind) : c.algorithm;
  const Implementation* implementation = implementationOf(algorithm, c.kind);
  if (!implementation)
    throw std::invalid_argument(std::string(collectiveName(c.kind)) + " has no " + algorithmName(algorithm) +
                                " algorithm");
  Schedule s = implementation->build(c);
  markLastWrites(s);
  return s;
}

}  // namespace braid
