#include "algorithms/hierarchical.h"

#include "algorithms/ring.h"

namespace braid {

Schedule hierarchicalAllReduce(int rank, const NodeLayout& nodes, size_t count) {
  Schedule s;
  const int node = nodes.nodeOf[rank], local = nodes.localIndex[rank];
  const std::vector<int>& members = nodes.members[node];
  const int perNode = static_cast<int>(members.size());
  std::vector<int> rail;  // the ranks with this local index, node by node
  for (const std::vector<int>& m : nodes.members) rail.push_back(m[local]);

  const Region send{kSendBuffer, 0}, recv{kRecvBuffer, 0};
  // Within the node: this rank ends with segment `mine` reduced over its node.
  Gate segmentReady;
  Region railInput = send;
  const int mine = (local + 1) % perNode;
  const Segment segment = segmentOf(count, perNode, mine);
  if (perNode > 1) {
    segmentReady = {emitRingReduceScatter(s, ringOf(members, local), send, recv, count, {}), 0};
    railInput = {kRecvBuffer, segment.offset};
  } else {
    railInput = {kSendBuffer, segment.offset};
  }
  // Across nodes: the rail all-reduces that segment in place (from the send buffer with one rank per node).
  const Region railOutput{kRecvBuffer, segment.offset};
  Gate allReduced = segmentReady;
  if (rail.size() > 1) {
    const RingPeers ring = ringOf(rail, node);
    const int reduced = emitRingReduceScatter(s, ring, railInput, railOutput, segment.count, segmentReady);
    allReduced = {emitRingAllGather(s, ring, railOutput, segment.count, {reduced, 0}, true), kWholeStep};
  } else if (perNode == 1) {
    allReduced = {s.add({StepKind::Copy, -1, send, recv, count, -1}), 0};
  }
  // Within the node again: every rank gets every segment.
  if (perNode > 1) emitRingAllGather(s, ringOf(members, local), recv, count, allReduced);
  return s;
}

Schedule hierarchicalAllGather(int rank, const NodeLayout& nodes, size_t count) {
  Schedule s;
  const int node = nodes.nodeOf[rank], local = nodes.localIndex[rank];
  const std::vector<int>& members = nodes.members[node];
  const int perNode = static_cast<int>(members.size()), nodeCount = static_cast<int>(nodes.members.size());
  auto block = [&](int r) { return Region{kRecvBuffer, static_cast<size_t>(r) * count}; };
  auto railOf = [&](int l) {
    std::vector<int> rail;
    for (const std::vector<int>& m : nodes.members) rail.push_back(m[l]);
    return rail;
  };
  // ready[k][l]: the step after which the block of rank members[k][l] is in this rank's output.
  std::vector<std::vector<int>> ready(nodeCount, std::vector<int>(perNode, -1));
  ready[node][local] = s.add({StepKind::Copy, -1, {kSendBuffer, 0}, block(rank), count, -1});
  // Across nodes: a ring along this rank's rail gathers the blocks of the ranks with its local index.
  const std::vector<int> rail = railOf(local);
  const RingPeers ring = ringOf(rail, node);
  for (int j = 0; j < nodeCount - 1; ++j) {
    const int out = (node - j + nodeCount) % nodeCount, in = (node - j - 1 + nodeCount) % nodeCount;
    s.add({StepKind::Send, ring.next, block(rail[out]), {}, count, ready[out][local], kWholeStep});
    ready[in][local] = s.add({StepKind::Recv, ring.prev, {}, block(rail[in]), count, -1});
  }
  // Within the node: a ring passes on whole rails, each block as soon as it is here.
  const RingPeers nodeRing = ringOf(members, local);
  for (int j = 0; j < perNode - 1; ++j) {
    const int out = (local - j + perNode) % perNode, in = (local - j - 1 + perNode) % perNode;
    for (int k = 0; k < nodeCount; ++k) {
      s.add({StepKind::Send, nodeRing.next, block(nodes.members[k][out]), {}, count, ready[k][out], kWholeStep});
      ready[k][in] = s.add({StepKind::Recv, nodeRing.prev, {}, block(nodes.members[k][in]), count, -1});
    }
  }
  return s;
}

}  // namespace braid
