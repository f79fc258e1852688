#include "algorithms/hierarchical.h"

#include <algorithm>
#include <stdexcept>

#include "algorithms/direct.h"
#include "algorithms/placement.h"
#include "algorithms/recursive.h"
#include "algorithms/ring.h"

namespace braid {

namespace {

// The ranks with local index `local`, node by node: one rail.
std::vector<int> railOf(const NodeLayout& nodes, int local) {
  std::vector<int> rail;
  for (const std::vector<int>& m : nodes.members) rail.push_back(m[local]);
  return rail;
}

// Nodes of any sizes: each node reduces to its leader (ring reduce-scatter, then the segments to the leader),
// the leaders all-reduce with a ring, and each leader hands the segments back out for a ring allgather in its node.
Schedule leaderAllReduce(int rank, const NodeLayout& nodes, size_t count) {
  Schedule s;
  const int node = nodes.nodeOf[rank], local = nodes.localIndex[rank];
  const std::vector<int>& members = nodes.members[node];
  const int perNode = static_cast<int>(members.size()), nodeCount = static_cast<int>(nodes.members.size());
  const Region send{kSendBuffer, 0}, recv{kRecvBuffer, 0};
  auto segmentRegion = [&](int i) { return Region{kRecvBuffer, segmentOf(count, perNode, i).offset}; };
  const int mine = (local + 1) % perNode;  // the segment this rank holds after the node's reduce-scatter
  const RingPeers nodeRing = ringOf(members, local);
  // 1. The node's sum reaches its leader (local index 0), in the receive buffer.
  int nodeReduced = -1;  // the last step of it on the leader; -1: the input is in the send buffer as it is
  Region leaderInput = send;
  if (perNode > 1) {
    const int reduced = emitRingReduceScatter(s, nodeRing, send, recv, count, {});
    leaderInput = recv;
    if (local != 0) {
      s.add({StepKind::Send,
             members[0],
             segmentRegion(mine),
             {},
             segmentOf(count, perNode, mine).count,
             reduced,
             kWholeStep});
    } else {
      nodeReduced = reduced;  // the leader's own segment, then the others' one after another (a join)
      for (int m = 1; m < perNode; ++m) {
        const int segment = (m + 1) % perNode;
        nodeReduced = s.add({StepKind::Recv,
                             members[m],
                             {},
                             segmentRegion(segment),
                             segmentOf(count, perNode, segment).count,
                             nodeReduced,
                             kWholeStep});
      }
    }
  }
  // 2. The leaders all-reduce the node sums: a ring among them, in the receive buffer.
  int allReduced = nodeReduced;
  if (local == 0) {
    const std::vector<int> leaders = railOf(nodes, 0);
    if (nodeCount > 1) {
      const RingPeers ring = ringOf(leaders, node);
      const int reduced = emitRingReduceScatter(s, ring, leaderInput, recv, count, {nodeReduced, kWholeStep});
      allReduced = emitRingAllGather(s, ring, recv, count, {reduced, 0}, true);
    } else if (perNode == 1) {
      allReduced = s.add({StepKind::Copy, -1, send, recv, count, -1});
    }
  }
  if (perNode == 1) return s;
  // 3. The leader sends each member the segment it held, and a ring allgather in the node spreads them all.
  Gate owned{allReduced, kWholeStep};
  if (local == 0) {
    for (int m = 1; m < perNode; ++m) {
      const int segment = (m + 1) % perNode;
      s.add({StepKind::Send,
             members[m],
             segmentRegion(segment),
             {},
             segmentOf(count, perNode, segment).count,
             allReduced,
             kWholeStep});
    }
  } else {
    owned = {s.add({StepKind::Recv, members[0], {}, segmentRegion(mine), segmentOf(count, perNode, mine).count, -1}),
             kWholeStep};
  }
  emitRingAllGather(s, nodeRing, recv, count, owned);
  return s;
}

// Equal nodes: every rank's segment travels its own rail (see hierarchical.h).
Schedule railAllReduce(int rank, const NodeLayout& nodes, size_t count, bool foldedRails) {
  Schedule s;
  const int node = nodes.nodeOf[rank], local = nodes.localIndex[rank];
  const std::vector<int>& members = nodes.members[node];
  const int perNode = static_cast<int>(members.size());
  const std::vector<int> rail = railOf(nodes, local);

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
  // Across nodes: the rail all-reduces that segment in place (from the send buffer with one rank per node):
  // halving-doubling when the node count is a power of two (2 log2 N steps instead of the ring's 2(N-1), the
  // same bytes) or when asked (folding costs the folded pairs two more steps and twice the segment), else a ring.
  const Region railOutput{kRecvBuffer, segment.offset};
  Gate allReduced = segmentReady;
  if (rail.size() > 1 && (foldedRails || powerOfTwo(static_cast<int>(rail.size())))) {
    allReduced = {emitHalvingDoublingAllReduce(s, rail, node, railInput, railOutput, segment.count, segmentReady.step),
                  kWholeStep};
  } else if (rail.size() > 1) {
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

Schedule hierarchicalAllReduce(int rank, const NodeLayout& nodes, size_t count, bool foldedRails) {
  return nodes.uniform() ? railAllReduce(rank, nodes, count, foldedRails) : leaderAllReduce(rank, nodes, count);
}

Schedule hierarchicalAllGather(int rank, const NodeLayout& nodes, size_t count, bool foldedRails) {
  Schedule s;
  const int node = nodes.nodeOf[rank], local = nodes.localIndex[rank];
  const std::vector<int>& members = nodes.members[node];
  const int perNode = static_cast<int>(members.size()), nodeCount = static_cast<int>(nodes.members.size());
  auto block = [&](int r) { return Region{kRecvBuffer, static_cast<size_t>(r) * count}; };
  // ready[k][l]: the step after which the block of rank members[k][l] is in this rank's output.
  std::vector<std::vector<int>> ready(nodeCount, std::vector<int>(perNode, -1));
  ready[node][local] = s.add({StepKind::Copy, -1, {kSendBuffer, 0}, block(rank), count, -1});
  // Across nodes, along this rank's rail, the blocks of the ranks with its local index: recursive doubling when
  // the node count is a power of two or `foldedRails` asks for it (log2 N exchanges of all blocks gathered so
  // far; beyond a power of two a folded node hands its block to its neighbour first and gets all others from it
  // last), else a ring.
  const std::vector<int> rail = railOf(nodes, local);
  if (powerOfTwo(nodeCount) || foldedRails) {
    const Folding f(node, nodeCount);
    if (f.folded()) {
      s.add({StepKind::Send, rail[node + 1], block(rank), {}, count, ready[node][local], kWholeStep});
      for (int k = 0; k < nodeCount; ++k)
        if (k != node) ready[k][local] = s.add({StepKind::Recv, rail[node + 1], {}, block(rail[k]), count, -1});
    } else {
      int last = ready[node][local];
      if (f.holdsFolded())
        last = ready[node - 1][local] =
            s.add({StepKind::Recv, rail[node - 1], {}, block(rail[node - 1]), count, last, kWholeStep});
      // Virtual ranks [v, v + len) hold the blocks of nodes [firstBlock(v), firstBlock(v + len)).
      for (int mask = 1; mask < f.core; mask *= 2) {
        const int v = f.virtualRank, mine = v & ~(mask - 1), theirs = (v ^ mask) & ~(mask - 1);
        const int partner = rail[f.realRank(v ^ mask)];
        for (int k = f.firstBlock(mine); k < f.firstBlock(mine + mask); ++k)
          s.add({StepKind::Send, partner, block(rail[k]), {}, count, last, kWholeStep});
        int received = last;
        for (int k = f.firstBlock(theirs); k < f.firstBlock(theirs + mask); ++k)
          received = ready[k][local] = s.add({StepKind::Recv, partner, {}, block(rail[k]), count, last, kWholeStep});
        last = received;
      }
      if (f.holdsFolded())
        for (int k = 0; k < nodeCount; ++k)
          if (k != node - 1) s.add({StepKind::Send, rail[node - 1], block(rail[k]), {}, count, last, kWholeStep});
    }
  } else {
    const RingPeers ring = ringOf(rail, node);
    for (int j = 0; j < nodeCount - 1; ++j) {
      const int out = mod(node - j, nodeCount), in = mod(node - j - 1, nodeCount);
      s.add({StepKind::Send, ring.next, block(rail[out]), {}, count, ready[out][local], kWholeStep});
      ready[in][local] = s.add({StepKind::Recv, ring.prev, {}, block(rail[in]), count, -1});
    }
  }
  // Within the node: a ring passes on whole rails, each block as soon as it is here.
  const RingPeers nodeRing = ringOf(members, local);
  for (int j = 0; j < perNode - 1; ++j) {
    const int out = mod(local - j, perNode), in = mod(local - j - 1, perNode);
    for (int k = 0; k < nodeCount; ++k) {
      s.add({StepKind::Send, nodeRing.next, block(nodes.members[k][out]), {}, count, ready[k][out], kWholeStep});
      ready[k][in] = s.add({StepKind::Recv, nodeRing.prev, {}, block(nodes.members[k][in]), count, -1});
    }
  }
  return s;
}

Schedule hierarchicalReduceScatter(int rank, const NodeLayout& nodes, size_t count, bool foldedRails) {
  Schedule s;
  const int node = nodes.nodeOf[rank], local = nodes.localIndex[rank];
  const std::vector<int>& members = nodes.members[node];
  const int perNode = static_cast<int>(members.size()), nodeCount = static_cast<int>(nodes.members.size());
  const int n = perNode * nodeCount;
  auto rankOf = [&](int k, int q) { return nodes.members[k][q]; };
  auto inSend = [&](int r) { return Region{kSendBuffer, static_cast<size_t>(r) * count}; };
  // Scratch: a node's partial sum of each rank's block, then the rail's partial sums, one block per node.
  auto nodePartial = [&](int r) { return Region{kScratchBuffer, static_cast<size_t>(r) * count}; };
  auto railPartial = [&](int k) { return Region{kScratchBuffer, static_cast<size_t>(n + k) * count}; };
  s.scratchCount = static_cast<size_t>(n + nodeCount) * count;
  const Region mine{kRecvBuffer, 0};
  // Within the node: a ring reduce-scatter over whole rails. This rank ends with its node's sum of the blocks of
  // every rank with its local index; `done[k]` is the step that finished the block of rank (k, local).
  std::vector<int> done(nodeCount, -1), previous(nodeCount, -1);
  const RingPeers nodeRing = ringOf(members, local);
  for (int j = 0; j < perNode - 1; ++j) {
    const int out = mod(local - j - 1, perNode), in = mod(local - j - 2, perNode);
    for (int k = 0; k < nodeCount; ++k)
      s.add({StepKind::Send,
             nodeRing.next,
             j == 0 ? inSend(rankOf(k, out)) : nodePartial(rankOf(k, out)),
             {},
             count,
             j == 0 ? -1 : previous[k],
             kWholeStep});
    for (int k = 0; k < nodeCount; ++k) {
      const int r = rankOf(k, in);
      const bool last = j == perNode - 2;
      previous[k] = s.add(
          {StepKind::RecvReduce, nodeRing.prev, inSend(r), last && nodeCount == 1 ? mine : nodePartial(r), count, -1});
    }
  }
  if (perNode > 1) done = previous;
  auto nodeSum = [&](int k) { return perNode > 1 ? nodePartial(rankOf(k, local)) : inSend(rankOf(k, local)); };
  if (nodeCount == 1) {
    if (perNode == 1) s.add({StepKind::Copy, -1, inSend(rank), mine, count, -1});
    return s;
  }
  // Across nodes, along the rail: recursive halving when the node count is a power of two or `foldedRails` asks
  // for it (log2 N exchanges: each keeps the half of the blocks that holds this rank's own, sends the other half
  // to the partner whose own is in it, and adds in the partner's share of the kept half; beyond a power of two a
  // folded node first hands all its sums to its neighbour and gets its finished block back last), else a ring.
  if (powerOfTwo(nodeCount) || foldedRails) {
    const std::vector<int> railRanks = railOf(nodes, local);
    const Folding f(node, nodeCount);
    std::vector<Region> partial(nodeCount);
    for (int k = 0; k < nodeCount; ++k) partial[k] = nodeSum(k);
    if (f.folded()) {
      int sentOwn = -1;
      for (int k = 0; k < nodeCount; ++k) {
        const int sent = s.add({StepKind::Send, railRanks[node + 1], partial[k], {}, count, done[k], kWholeStep});
        if (k == node) sentOwn = sent;
      }
      // In place with one rank per node, this rank's block of the input is its output: overwritten once sent.
      s.add({StepKind::Recv, railRanks[node + 1], {}, mine, count, sentOwn});
      return s;
    }
    if (f.holdsFolded())
      for (int k = 0; k < nodeCount; ++k) {
        done[k] =
            s.add({StepKind::RecvReduce, railRanks[node - 1], partial[k], railPartial(k), count, done[k], kWholeStep});
        partial[k] = railPartial(k);
      }
    // Virtual ranks [v, v + len) hold the blocks of nodes [firstBlock(v), firstBlock(v + len)).
    const int v = f.virtualRank;
    int lo = 0, len = f.core;
    for (int mask = f.core / 2; mask >= 1; mask /= 2) {
      const int partner = railRanks[f.realRank(v ^ mask)], half = len / 2;
      const int keepLo = (v & mask) ? lo + half : lo, sendLo = (v & mask) ? lo : lo + half;
      for (int k = f.firstBlock(sendLo); k < f.firstBlock(sendLo + half); ++k)
        s.add({StepKind::Send, partner, partial[k], {}, count, done[k], kWholeStep});
      for (int k = f.firstBlock(keepLo); k < f.firstBlock(keepLo + half); ++k) {
        const Region sum = mask == 1 && k == node ? mine : railPartial(k);
        done[k] = s.add({StepKind::RecvReduce, partner, partial[k], sum, count, done[k], kWholeStep});
        partial[k] = sum;
      }
      lo = keepLo, len = half;
    }
    if (f.holdsFolded())
      s.add({StepKind::Send, railRanks[node - 1], partial[node - 1], {}, count, done[node - 1], kWholeStep});
    return s;
  }
  const RingPeers rail = ringOf(railOf(nodes, local), node);
  int last = -1;
  for (int j = 0; j < nodeCount - 1; ++j) {
    const int out = mod(node - j - 1, nodeCount), in = mod(node - j - 2, nodeCount);
    if (j == 0) s.add({StepKind::Send, rail.next, nodeSum(out), {}, count, done[out], kWholeStep});
    else s.add({StepKind::Send, rail.next, railPartial(out), {}, count, last, kWholeStep});
    last = s.add({StepKind::RecvReduce, rail.prev, nodeSum(in), j == nodeCount - 2 ? mine : railPartial(in), count,
                  done[in], kWholeStep});
  }
  return s;
}

Schedule hierarchicalAlltoAllv(int rank, const NodeLayout& nodes, const std::vector<size_t>& sendCounts,
                               const std::vector<size_t>& sendDispls, const std::vector<size_t>& recvCounts,
                               const std::vector<size_t>& recvDispls, const std::vector<size_t>& railCounts) {
  Schedule s;
  const int node = nodes.nodeOf[rank], local = nodes.localIndex[rank];
  const std::vector<int>& members = nodes.members[node];
  const int perNode = static_cast<int>(members.size()), nodeCount = static_cast<int>(nodes.members.size());
  if (railCounts.size() != static_cast<size_t>(perNode * nodeCount))
    throw std::invalid_argument("the hierarchical AlltoAllv needs the rail counts of the node's members");
  auto rankOf = [&](int k, int q) { return nodes.members[k][q]; };
  auto railCount = [&](int q, int k) { return railCounts[static_cast<size_t>(q * nodeCount + k)]; };
  auto sent = [&](int to) { return Region{kSendBuffer, sendDispls[to]}; };
  auto received = [&](int from) { return Region{kRecvBuffer, recvDispls[from]}; };
  // Scratch block (k, m): what rank (node, m) sends to rank (k, local), gathered here to travel the rail.
  std::vector<size_t> stagedAt(static_cast<size_t>(nodeCount * perNode));
  for (int k = 0; k < nodeCount; ++k)
    for (int m = 0; m < perNode; ++m) {
      stagedAt[k * perNode + m] = s.scratchCount;
      if (k != node) s.scratchCount += railCount(m, k);
    }
  auto staged = [&](int k, int m) { return Region{kScratchBuffer, stagedAt[k * perNode + m]}; };
  // Within the node: every rank hands each member what goes to that member's rail; what is for a rank of this
  // node lands in place at once.
  std::vector<std::vector<int>> gathered(nodeCount, std::vector<int>(perNode, -1));
  for (int q = 0; q < perNode; ++q) {
    if (q == local) {
      for (int k = 0; k < nodeCount; ++k)
        gathered[k][q] = s.add({StepKind::Copy, -1, sent(rankOf(k, local)), k == node ? received(rank) : staged(k, q),
                                sendCounts[rankOf(k, local)], -1});
      continue;
    }
    for (int k = 0; k < nodeCount; ++k)
      s.add({StepKind::Send, members[q], sent(rankOf(k, q)), {}, sendCounts[rankOf(k, q)], -1});
    for (int k = 0; k < nodeCount; ++k)
      gathered[k][q] = s.add({StepKind::Recv,
                              members[q],
                              {},
                              k == node ? received(members[q]) : staged(k, q),
                              k == node ? recvCounts[members[q]] : railCount(q, k),
                              -1});
  }
  // Along the rail: one exchange per other node carries what this node's ranks send to that node's rank of the
  // rail, each block as soon as it has been gathered.
  for (int k = 0; k < nodeCount; ++k) {
    if (k == node) continue;
    const int peer = rankOf(k, local);
    for (int m = 0; m < perNode; ++m)
      s.add({StepKind::Send, peer, staged(k, m), {}, railCount(m, k), gathered[k][m], kWholeStep});
    for (int m = 0; m < perNode; ++m)
      s.add({StepKind::Recv, peer, {}, received(rankOf(k, m)), recvCounts[rankOf(k, m)], -1});
  }
  return s;
}

Schedule hierarchicalAlltoAll(int rank, const NodeLayout& nodes, size_t count) {
  const size_t n = nodes.nodeOf.size();
  std::vector<size_t> counts(n, count), displs(n);
  for (size_t p = 0; p < n; ++p) displs[p] = p * count;
  const std::vector<size_t> railCounts(nodes.members[nodes.nodeOf[rank]].size() * nodes.members.size(), count);
  return hierarchicalAlltoAllv(rank, nodes, counts, displs, counts, displs, railCounts);
}

}  // namespace

std::vector<uint64_t> railCountsToSend(int rank, const NodeLayout& nodes, const std::vector<size_t>& sendCounts) {
  if (!nodes.uniform()) throw std::invalid_argument("the hierarchical AlltoAllv needs nodes of equal size");
  const size_t perNode = nodes.members[nodes.nodeOf[rank]].size(), nodeCount = nodes.members.size();
  std::vector<uint64_t> out(perNode * nodeCount);
  for (size_t q = 0; q < perNode; ++q)
    for (size_t k = 0; k < nodeCount; ++k) out[q * nodeCount + k] = sendCounts[nodes.members[k][q]];
  return out;
}

Schedule railCountsExchange(int rank, const NodeLayout& nodes) {
  const std::vector<int>& members = nodes.members[nodes.nodeOf[rank]];
  Schedule s = directAlltoAll(nodes.localIndex[rank], static_cast<int>(members.size()), nodes.members.size());
  for (Step& step : s.steps)
    if (step.peer >= 0) step.peer = members[step.peer];
  return s;
}

namespace hierarchical {
namespace {

// The rails' AllReduce of each rank's 1/L share: halving-doubling for a power of two of nodes; otherwise the
// cheaper of a ring and halving-doubling with the extra nodes folded in (`foldedRails` says which).
Price railAllReduceCost(double s, const FabricModel& m) {
  const int local = m.ranksPerNode, nodes = m.nodes();
  if (nodes <= 1) return {};
  FabricModel rail = m;
  rail.nranks = nodes;
  rail.ranksPerNode = 1;
  rail.intra = {m.inter.latencyUs, m.inter.bandwidthGBps / local};
  rail.intraEgressGBps = rail.intra.bandwidthGBps;
  const double halvingUs = halving_doubling::allReduceCost(s / local, rail).timeUs;
  const double ringUs = powerOfTwo(nodes) ? halvingUs : ring::allReduceCost(s / local, rail).timeUs;
  return {std::min(halvingUs, ringUs), !powerOfTwo(nodes) && halvingUs < ringUs};
}

// Within each node a reduce-scatter, across nodes the rails' allreduce (all L at once), then an allgather within
// each node. The levels are pipelined, so their transfers overlap.
Price railsAllReduceCost(double s, const FabricModel& m) {
  Cost c{m};
  const int local = m.ranksPerNode;
  const Price inter = railAllReduceCost(s, m);
  c.steps(2.0 * (local - 1), m.intra.latencyUs);
  const double intraUs = 2.0 * (local - 1) / local * s / (m.intra.bandwidthGBps * 1e3);
  c.reduce(double(local - 1) / local * s);
  return {c.total() + std::max(intraUs, inter.timeUs), inter.foldedRails};
}

// Nodes of unequal size: each node reduces to its leader, the leaders all-reduce the whole buffer with a ring,
// and each leader hands it back out; the phases follow one another. L is the largest node.
Price leadersAllReduceCost(double s, const FabricModel& m) {
  Cost c{m};
  const int local = m.ranksPerNode;
  FabricModel leaders = m;
  leaders.nranks = m.nodes();
  leaders.ranksPerNode = 1;
  leaders.intra = m.inter;
  leaders.intraEgressGBps = m.inter.bandwidthGBps;
  c.steps(2.0 * local, m.intra.latencyUs);
  c.wire(4.0 * (local - 1) / local * s, m.intra.bandwidthGBps);  // through the leader, in and out
  c.reduce(double(local - 1) / local * s);
  return {c.total() + (leaders.nranks > 1 ? ring::allReduceCost(s, leaders).timeUs : 0)};
}

// Each rail (every rail at once, sharing the node's network bandwidth) gathers the blocks of one local index
// while a ring within the node passes whole rails on as they arrive: the levels overlap. The rails double for
// a power of two of nodes; otherwise they take the cheaper of a ring (N-1 steps) and recursive doubling with the
// extra nodes folded in (2 more steps, and the neighbours of folded nodes send them everything once more), which
// `foldedRails` says. The ReduceScatter is the same traffic backwards (halving), plus the sums in `c`.
Price railsAllGatherCost(Cost& c, double s) {
  const FabricModel& m = c.m;
  const int local = m.ranksPerNode, nodes = m.nodes();
  const bool doubling = powerOfTwo(nodes);
  const double railUs = double(nodes - 1) / nodes * s / (m.inter.bandwidthGBps * 1e3);
  const double stepUs = m.inter.latencyUs + m.stepOverheadUs;
  const double logSteps = log2Floor(nodes) + (doubling ? 0 : 2), logUs = (doubling ? 1 : 2) * railUs;
  const bool folded = !doubling && logSteps * stepUs + logUs < (nodes - 1) * stepUs + railUs;
  const bool logarithmic = doubling || folded;
  c.steps(logarithmic ? logSteps : nodes - 1, m.inter.latencyUs);
  c.steps(local - 1, m.intra.latencyUs);
  const double intraUs = double(local - 1) / local * s / (m.intra.bandwidthGBps * 1e3);
  return {c.total() + std::max(logarithmic ? logUs : railUs, intraUs), folded};
}

}  // namespace

Schedule allReduce(const CollectiveShape& c) {
  return hierarchicalAllReduce(c.rank, nodesOf(c, false), c.count, c.foldedRails);
}
Schedule allGather(const CollectiveShape& c) {
  return hierarchicalAllGather(c.rank, nodesOf(c, true), c.count, c.foldedRails);
}
Schedule reduceScatter(const CollectiveShape& c) {
  return hierarchicalReduceScatter(c.rank, nodesOf(c, true), c.count, c.foldedRails);
}
Schedule alltoall(const CollectiveShape& c) { return hierarchicalAlltoAll(c.rank, nodesOf(c, true), c.count); }
Schedule alltoallv(const CollectiveShape& c) {
  return hierarchicalAlltoAllv(c.rank, nodesOf(c, true), c.sendCounts, c.sendDispls, c.recvCounts, c.recvDispls,
                               c.railCounts);
}

Price allReduceCost(double s, const FabricModel& m) {
  return fitsEqualNodes(m) ? railsAllReduceCost(s, m) : leadersAllReduceCost(s, m);
}

Price allGatherCost(double s, const FabricModel& m) {
  Cost c{m};
  return railsAllGatherCost(c, s);
}

Price reduceScatterCost(double s, const FabricModel& m) {
  Cost c{m};
  c.reduce(double(m.nranks - 1) / m.nranks * s);
  return railsAllGatherCost(c, s);
}

// Blocks first go to the member of the node on the destination's rail, then one exchange per other node along
// the rail: the same bytes cross the network as with direct exchanges, in N-1 messages instead of n-L, at the
// price of moving (L-1)/L of the data once more within the node.
Price alltoallCost(double s, const FabricModel& m) {
  Cost c{m};
  const int local = m.ranksPerNode, nodes = m.nodes();
  c.steps(1, m.intra.latencyUs);
  c.steps(1, m.inter.latencyUs);
  c.latencyUs += (local - 2 + nodes - 1) * m.messageOverheadUs;
  c.wire(double(local - 1) / local * s, m.intraEgressGBps);
  c.wire(double(nodes - 1) / nodes * s, crossLevel(m).bandwidthGBps);
  return {c.total()};
}

bool fitsAnyNodes(const FabricModel& m) { return m.multiNode() && m.ranksPerNode >= 2; }
bool fitsEqualNodes(const FabricModel& m) { return fitsAnyNodes(m) && m.equalNodes && m.nranks % m.ranksPerNode == 0; }

}  // namespace hierarchical

}  // namespace braid
