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

}  // namespace braid
