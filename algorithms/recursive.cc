#include "algorithms/recursive.h"

#include <algorithm>
#include <functional>
#include <vector>

#include "algorithms/placement.h"
#include "algorithms/ring.h"

namespace braid {
namespace {

// The folding steps before the core rounds. Returns the step that leaves this rank's core input in the receive
// buffer (the partner's data added in), or the folded rank's send.
int foldIn(Schedule& s, const Folding& f, int rank, size_t count) {
  const Region send{kSendBuffer, 0}, recv{kRecvBuffer, 0};
  if (f.folded()) return s.add({StepKind::Send, rank + 1, send, {}, count, -1});
  if (rank < 2 * f.extra) return s.add({StepKind::RecvReduce, rank - 1, send, recv, count, -1});
  return s.add({StepKind::Copy, -1, send, recv, count, -1});
}

// The folding steps after the core rounds: the result goes back to the folded rank. `last` produced it; when it
// covers only part of the buffer (lastOffset = kWholeStep), the result goes once `last` is done.
void foldOut(Schedule& s, const Folding& f, int rank, size_t count, int last, size_t lastOffset) {
  const Region recv{kRecvBuffer, 0};
  if (f.folded()) {
    // In place, the receive buffer is the send buffer: overwrite only what has been sent.
    s.add({StepKind::Recv, rank + 1, {}, recv, count, last});
  } else if (rank < 2 * f.extra) {
    s.add({StepKind::Send, rank - 1, recv, {}, count, last, lastOffset});
  }
}

Schedule recursiveDoublingAllReduce(int rank, int n, size_t count) {
  Schedule s;
  const Folding f(rank, n);
  int last = foldIn(s, f, rank, count);
  const Region recv{kRecvBuffer, 0};
  if (!f.folded()) {
    for (int mask = 1; mask < f.core; mask *= 2) {
      const int peer = f.realRank(f.virtualRank ^ mask);
      // Element i goes out once the previous round has produced it, and is overwritten only once it has gone.
      int sent = s.add({StepKind::Send, peer, recv, {}, count, last});
      last = s.add({StepKind::RecvReduce, peer, recv, recv, count, sent});
    }
  }
  foldOut(s, f, rank, count, last, 0);
  return s;
}

using BlockStart = std::function<size_t(int)>;  // where block b of a buffer starts; block p is its end

// The partners of the halving rounds, as distances. Farthest first, rank v ends with block v; nearest first,
// the rounds that move the most data pair neighbours (ranks of one node, numbered node by node) and v ends with
// block bit-reverse(v).
std::vector<int> halvingMasks(int p, bool nearestFirst) {
  std::vector<int> masks;
  for (int mask = p / 2; mask >= 1; mask /= 2) masks.push_back(mask);
  if (nearestFirst) std::reverse(masks.begin(), masks.end());
  return masks;
}

// Reduce-scatter by recursive halving among p virtual ranks: each round keeps half of the current blocks
// (the upper half when v has the round's bit), reduced into `work`, and sends the other half to the partner.
// The first round reads `input`; `last` produced it, starting at element `producedAt`. Returns the step that
// left this rank's block reduced in `work`.
int emitHalvingReduceScatter(Schedule& s, int v, int p, const std::function<int(int)>& realRank,
                             const BlockStart& blockStart, Region input, Region work, int last, size_t producedAt,
                             bool nearestFirst = false) {
  int lo = 0, len = p;  // the current range, in blocks
  for (int mask : halvingMasks(p, nearestFirst)) {
    const int peer = realRank(v ^ mask), half = len / 2;
    const int keepLo = (v & mask) ? lo + half : lo, sendLo = (v & mask) ? lo : lo + half;
    const size_t sendAt = blockStart(sendLo), sendCount = blockStart(sendLo + half) - sendAt;
    const size_t keepAt = blockStart(keepLo), keepCount = blockStart(keepLo + half) - keepAt;
    s.add({StepKind::Send, peer, {input.buffer, input.offset + sendAt}, {}, sendCount, last, sendAt - producedAt});
    last = s.add({StepKind::RecvReduce,
                  peer,
                  {input.buffer, input.offset + keepAt},
                  {work.buffer, work.offset + keepAt},
                  keepCount,
                  last,
                  keepAt - producedAt});
    producedAt = keepAt;
    input = work;
    lo = keepLo, len = half;
  }
  return last;
}

// Allgather by recursive doubling, the halving rounds backwards: rank v starts with the block the halving
// (in the same order) left it, and each round swaps the range it holds in `work` with the partner's, its
// sibling, once the previous round (and `last`) is done. Returns the last step.
int emitDoublingAllGather(Schedule& s, int v, int p, const std::function<int(int)>& realRank,
                          const BlockStart& blockStart, Region work, int last, bool nearestFirst = false) {
  const std::vector<int> masks = halvingMasks(p, nearestFirst);
  int lo = 0;  // the block the halving left v: the upper half of each range where v has the round's bit
  for (size_t i = 0, range = p; range > 1; range /= 2, ++i) lo += (v & masks[i]) ? static_cast<int>(range / 2) : 0;
  int len = 1;
  for (auto it = masks.rbegin(); it != masks.rend(); ++it) {
    const int peer = realRank(v ^ *it);
    const int theirs = (v & *it) ? lo - len : lo + len;
    const size_t myAt = blockStart(lo), theirAt = blockStart(theirs);
    s.add({StepKind::Send, peer, {work.buffer, work.offset + myAt}, {}, blockStart(lo + len) - myAt, last, kWholeStep});
    last = s.add({StepKind::Recv,
                  peer,
                  {},
                  {work.buffer, work.offset + theirAt},
                  blockStart(theirs + len) - theirAt,
                  last,
                  kWholeStep});
    lo = std::min(lo, theirs), len *= 2;
  }
  return last;
}

Schedule halvingDoublingAllReduce(int rank, int n, size_t count, bool nearestFirst) {
  Schedule s;
  const Folding f(rank, n);
  int last = foldIn(s, f, rank, count);
  if (!f.folded()) {
    const int p = f.core, v = f.virtualRank;
    const BlockStart blockStart = [&](int b) { return b == p ? count : segmentOf(count, p, b).offset; };
    const auto realRank = [&f](int virtualRank) { return f.realRank(virtualRank); };
    const Region recv{kRecvBuffer, 0};
    last = emitHalvingReduceScatter(s, v, p, realRank, blockStart, recv, recv, last, 0, nearestFirst);
    last = emitDoublingAllGather(s, v, p, realRank, blockStart, recv, last, nearestFirst);
  }
  foldOut(s, f, rank, count, last, kWholeStep);
  return s;
}

}  // namespace

bool powerOfTwo(int n) { return (n & (n - 1)) == 0; }

int emitHalvingDoublingAllReduce(Schedule& s, const std::vector<int>& members, int index, Region input, Region output,
                                 size_t count, int inputReady) {
  const Folding f(index, static_cast<int>(members.size()));
  if (f.folded()) {  // hand the input over; the result comes back (input and output may be one region)
    const int sent = s.add({StepKind::Send, members[index + 1], input, {}, count, inputReady});
    return s.add({StepKind::Recv, members[index + 1], {}, output, count, sent});
  }
  int last = inputReady;
  if (f.holdsFolded()) {
    last = s.add({StepKind::RecvReduce, members[index - 1], input, output, count, inputReady});
    input = output;
  }
  const int p = f.core;
  const BlockStart blockStart = [&](int b) { return b == p ? count : segmentOf(count, p, b).offset; };
  const auto realRank = [&](int virtualRank) { return members[f.realRank(virtualRank)]; };
  const int reduced = emitHalvingReduceScatter(s, f.virtualRank, p, realRank, blockStart, input, output, last, 0);
  last = emitDoublingAllGather(s, f.virtualRank, p, realRank, blockStart, output, reduced);
  if (f.holdsFolded()) s.add({StepKind::Send, members[index - 1], output, {}, count, last, kWholeStep});
  return last;
}

namespace {

// Beyond a power of two, each folded rank hands its block to its odd neighbour, the core doubles with those
// pairs' two blocks as one, and the neighbour sends the folded rank everything else at the end.
Schedule recursiveDoublingAllGather(int rank, int n, size_t count) {
  Schedule s;
  const Folding f(rank, n);
  const auto at = [count](int block) { return static_cast<size_t>(block) * count; };
  const Region recv{kRecvBuffer, 0};
  if (f.folded()) {
    s.add({StepKind::Send, rank + 1, {kSendBuffer, 0}, {}, count, -1});
    s.add({StepKind::Copy, -1, {kSendBuffer, 0}, {kRecvBuffer, at(rank)}, count, -1});
    s.add({StepKind::Recv, rank + 1, {}, recv, at(rank), -1});
    s.add({StepKind::Recv, rank + 1, {}, {kRecvBuffer, at(rank + 1)}, at(n) - at(rank + 1), -1});
    return s;
  }
  int last = s.add({StepKind::Copy, -1, {kSendBuffer, 0}, {kRecvBuffer, at(rank)}, count, -1});
  if (f.holdsFolded())
    last = s.add({StepKind::Recv, rank - 1, {}, {kRecvBuffer, at(rank - 1)}, count, last, kWholeStep});
  const BlockStart blockStart = [&](int v) { return at(f.firstBlock(v)); };
  const auto realRank = [&f](int v) { return f.realRank(v); };
  last = emitDoublingAllGather(s, f.virtualRank, f.core, realRank, blockStart, recv, last);
  if (f.holdsFolded()) {
    s.add({StepKind::Send, rank - 1, recv, {}, at(rank - 1), last, kWholeStep});
    s.add({StepKind::Send, rank - 1, {kRecvBuffer, at(rank)}, {}, at(n) - at(rank), last, kWholeStep});
  }
  return s;
}

// Beyond a power of two, each folded rank sends its whole input to its odd neighbour, which adds it in and
// halves with the pair's two blocks as one; at the end it sends the folded rank its block.
Schedule recursiveHalvingReduceScatter(int rank, int n, size_t count) {
  Schedule s;
  if (n == 1) {
    s.add({StepKind::Copy, -1, {kSendBuffer, 0}, {kRecvBuffer, 0}, count, -1});
    return s;
  }
  const Folding f(rank, n);
  const auto at = [count](int block) { return static_cast<size_t>(block) * count; };
  if (f.folded()) {
    // In place, this rank's block of the input is its output: receive it only once the input has gone.
    const int sent = s.add({StepKind::Send, rank + 1, {kSendBuffer, 0}, {}, at(n), -1});
    s.add({StepKind::Recv, rank + 1, {}, {kRecvBuffer, 0}, count, sent, kWholeStep});
    return s;
  }
  // Partial sums live in scratch; this rank's block, once reduced, is copied out element by element.
  s.scratchCount = at(n);
  const Region scratch{kScratchBuffer, 0};
  Region input{kSendBuffer, 0};
  int last = -1;
  if (f.holdsFolded()) {
    last = s.add({StepKind::RecvReduce, rank - 1, input, scratch, at(n), -1});
    input = scratch;
  }
  const BlockStart blockStart = [&](int v) { return at(f.firstBlock(v)); };
  const auto realRank = [&f](int v) { return f.realRank(v); };
  const int reduced = emitHalvingReduceScatter(s, f.virtualRank, f.core, realRank, blockStart, input, scratch, last, 0);
  // The last round kept this virtual rank's blocks: the folded partner's first, when it has one.
  const size_t mine = f.holdsFolded() ? count : 0;
  if (f.holdsFolded()) s.add({StepKind::Send, rank - 1, {kScratchBuffer, at(rank - 1)}, {}, count, reduced});
  s.add({StepKind::Copy, -1, {kScratchBuffer, at(rank)}, {kRecvBuffer, 0}, count, reduced, mine});
  return s;
}

Schedule bruckAllGather(int rank, int n, size_t count) {
  // scratch block j holds the block of rank (rank + j) % n.
  Schedule s;
  s.scratchCount = static_cast<size_t>(n) * count;
  int last = s.add({StepKind::Copy, -1, {kSendBuffer, 0}, {kScratchBuffer, 0}, count, -1});
  for (int distance = 1; distance < n; distance *= 2) {
    const size_t blocks = static_cast<size_t>(distance < n - distance ? distance : n - distance);
    const int to = ((rank - distance) % n + n) % n, from = (rank + distance) % n;
    s.add({StepKind::Send, to, {kScratchBuffer, 0}, {}, blocks * count, last, kWholeStep});
    last = s.add({StepKind::Recv,
                  from,
                  {},
                  {kScratchBuffer, static_cast<size_t>(distance) * count},
                  blocks * count,
                  last,
                  kWholeStep});
  }
  // Unrotate: scratch blocks [0, n - rank) belong at rank.., the rest at 0..
  const size_t head = static_cast<size_t>(n - rank) * count;
  s.add({StepKind::Copy,
         -1,
         {kScratchBuffer, 0},
         {kRecvBuffer, static_cast<size_t>(rank) * count},
         head,
         last,
         kWholeStep});
  s.add({StepKind::Copy,
         -1,
         {kScratchBuffer, head},
         {kRecvBuffer, 0},
         static_cast<size_t>(rank) * count,
         last,
         kWholeStep});
  return s;
}

// Extra ranks of a non-power-of-two count fold into a neighbour and get the result back: two more steps.
void foldCost(Cost& c, double s, int n) {
  if (powerOfTwo(n)) return;
  c.steps(2, c.m.intra.latencyUs);
  c.wire(2 * s, c.m.intra.bandwidthGBps);
  c.reduce(s);
}

// Beyond a power of two, recursive doubling and halving fold each extra rank into its neighbour: two more
// steps within the node, the folded rank's share going over (AllGather: its block there, all others back;
// ReduceScatter: its whole input there, its block back) and, for ReduceScatter, added in.
void foldBlocksCost(Cost& c, double s, int n, bool reduces) {
  if (powerOfTwo(n)) return;
  c.steps(2, c.m.intra.latencyUs);
  c.wire(s, c.m.intra.bandwidthGBps);
  if (reduces) c.reduce(s);
}

// The logarithmic AllGathers and ReduceScatters: `steps` rounds with partners ever farther away (across nodes
// over the node's NICs) moving (n-1)/n of the data in all, after the folding beyond a power of two.
Price blockRoundsCost(double s, const FabricModel& m, int steps, bool reduces) {
  Cost c{m};
  c.efficiency = m.roundsEfficiency;
  const int n = m.nranks;
  const LinkLevel l = m.multiNode() ? crossLevel(m) : m.intra;
  foldBlocksCost(c, s, n, reduces);
  c.steps(steps, l.latencyUs);
  c.wire(double(n - 1) / n * s, l.bandwidthGBps);
  if (reduces) c.reduce(double(n - 1) / n * s);
  return {c.total()};
}

}  // namespace

namespace recursive_doubling {

Schedule allReduce(const CollectiveShape& c) {
  return overRingPositions(c, [&](int p) { return recursiveDoublingAllReduce(p, c.nranks, c.count); });
}

Schedule allGather(const CollectiveShape& c) { return recursiveDoublingAllGather(c.rank, c.nranks, c.count); }

Price allReduceCost(double s, const FabricModel& m) {
  Cost c{m};
  c.efficiency = m.roundsEfficiency;
  const int n = m.nranks;
  foldCost(c, s, n);
  for (int mask = 1; mask < (1 << log2Floor(n)); mask *= 2) {
    const LinkLevel l = partnerLevel(m, mask);
    c.steps(1, l.latencyUs);
    c.wire(s, l.bandwidthGBps);
    c.reduce(s);
  }
  return {c.total()};
}

Price allGatherCost(double s, const FabricModel& m) { return blockRoundsCost(s, m, log2Floor(m.nranks), false); }

}  // namespace recursive_doubling

namespace halving_doubling {

// Across nodes the largest rounds pair the nearest ranks, which share a node.
Schedule allReduce(const CollectiveShape& c) {
  const bool nearestFirst = acrossNodes(c);
  return overRingPositions(c, [&](int p) { return halvingDoublingAllReduce(p, c.nranks, c.count, nearestFirst); });
}

Schedule reduceScatter(const CollectiveShape& c) { return recursiveHalvingReduceScatter(c.rank, c.nranks, c.count); }

// Reduce-scatter, then the same rounds backwards; across nodes the nearest partner comes first (within one node
// the order prices the same).
Price allReduceCost(double s, const FabricModel& m) {
  Cost c{m};
  c.efficiency = m.roundsEfficiency;
  const int n = m.nranks;
  foldCost(c, s, n);
  for (int mask = 1; mask < (1 << log2Floor(n)); mask *= 2) {
    const LinkLevel l = partnerLevel(m, mask);
    const double part = s / (2 * mask);
    c.steps(2, l.latencyUs);
    c.wire(2 * part, l.bandwidthGBps);
    c.reduce(part);
  }
  return {c.total()};
}

// log2(p) halving rounds and a copy out of scratch.
Price reduceScatterCost(double s, const FabricModel& m) { return blockRoundsCost(s, m, log2Floor(m.nranks) + 1, true); }

}  // namespace halving_doubling

namespace bruck {

Schedule allGather(const CollectiveShape& c) { return bruckAllGather(c.rank, c.nranks, c.count); }

// ceil(log2 n) rounds, then the rotation back into rank order, a local copy of the whole output.
Price allGatherCost(double s, const FabricModel& m) {
  Cost c{m};
  c.efficiency = m.roundsEfficiency;
  const int n = m.nranks;
  const LinkLevel l = m.multiNode() ? crossLevel(m) : m.intra;
  c.steps(log2Ceil(n), l.latencyUs);
  c.wire(double(n - 1) / n * s, l.bandwidthGBps);
  c.wire(s, m.intraEgressGBps);
  return {c.total()};
}

}  // namespace bruck

}  // namespace braid
