#include "algorithms/ring.h"

#include <algorithm>

#include "algorithms/placement.h"

namespace braid {
int mod(int a, int n) { return ((a % n) + n) % n; }

namespace {

Step copyStep(Region src, Region dst, size_t count) { return {StepKind::Copy, -1, src, dst, count, -1}; }

}  // namespace

Segment segmentOf(size_t count, int parts, int i) {
  size_t base = count / static_cast<size_t>(parts), extra = count % static_cast<size_t>(parts);
  size_t idx = static_cast<size_t>(i);
  return {idx * base + std::min(idx, extra), base + (idx < extra ? 1 : 0)};
}

RingPeers ringOf(const std::vector<int>& members, int index) {
  const int n = static_cast<int>(members.size());
  return {index, n, members[mod(index + 1, n)], members[mod(index - 1, n)]};
}

namespace {

Region shifted(Region r, size_t by) { return {r.buffer, r.offset + by}; }
size_t gateOffset(const Gate& g, size_t within) { return g.offset == kWholeStep ? kWholeStep : g.offset + within; }

}  // namespace

int emitRingReduceScatter(Schedule& s, const RingPeers& ring, Region input, Region output, size_t count,
                          Gate inputReady) {
  const int n = ring.size, me = ring.index;
  int lastRecv = inputReady.step;
  for (int j = 0; j < n - 1; ++j) {
    const Segment out = segmentOf(count, n, mod(me - j, n));
    const Segment in = segmentOf(count, n, mod(me - j - 1, n));
    // The first send and every reduction read the input: they wait for it. Later sends forward what the
    // previous step reduced.
    if (j == 0)
      s.add({StepKind::Send,
             ring.next,
             shifted(input, out.offset),
             {},
             out.count,
             inputReady.step,
             gateOffset(inputReady, out.offset)});
    else s.add({StepKind::Send, ring.next, shifted(output, out.offset), {}, out.count, lastRecv});
    lastRecv = s.add({StepKind::RecvReduce, ring.prev, shifted(input, in.offset), shifted(output, in.offset), in.count,
                      inputReady.step, gateOffset(inputReady, in.offset)});
  }
  return lastRecv;
}

int emitRingAllGather(Schedule& s, const RingPeers& ring, Region output, size_t count, Gate ownedReady, bool joinable) {
  const int n = ring.size, me = ring.index;
  int last = ownedReady.step;
  for (int j = 0; j < n - 1; ++j) {
    const Segment out = segmentOf(count, n, mod(me + 1 - j, n));
    const Segment in = segmentOf(count, n, mod(me - j, n));
    s.add(
        {StepKind::Send, ring.next, shifted(output, out.offset), {}, out.count, last, j == 0 ? ownedReady.offset : 0});
    last =
        s.add({StepKind::Recv, ring.prev, {}, shifted(output, in.offset), in.count, joinable ? last : -1, kWholeStep});
  }
  return last;
}

namespace {

Schedule ringAllReduce(int rank, const std::vector<int>& order, size_t count) {
  Schedule s;
  if (order.size() == 1) {
    s.add(copyStep({kSendBuffer, 0}, {kRecvBuffer, 0}, count));
    return s;
  }
  const RingPeers ring = ringOf(order, positionIn(order, rank));
  const int reduced = emitRingReduceScatter(s, ring, {kSendBuffer, 0}, {kRecvBuffer, 0}, count, {});
  emitRingAllGather(s, ring, {kRecvBuffer, 0}, count, {reduced, 0});
  return s;
}

Schedule ringAllGather(int rank, const std::vector<int>& order, size_t count) {
  Schedule s;
  const int n = static_cast<int>(order.size()), p = positionIn(order, rank);
  auto block = [&](int position) { return Region{kRecvBuffer, static_cast<size_t>(order[mod(position, n)]) * count}; };
  s.add(copyStep({kSendBuffer, 0}, block(p), count));
  const int next = order[mod(p + 1, n)], prev = order[mod(p - 1, n)];
  int lastRecv = -1;
  for (int j = 0; j < n - 1; ++j) {
    s.add({StepKind::Send, next, j == 0 ? Region{kSendBuffer, 0} : block(p - j), {}, count, lastRecv});
    lastRecv = s.add({StepKind::Recv, prev, {}, block(p - j - 1), count, -1});
  }
  return s;
}

Schedule ringReduceScatter(int rank, const std::vector<int>& order, size_t count) {
  Schedule s;
  const int n = static_cast<int>(order.size()), p = positionIn(order, rank);
  if (n == 1) {
    s.add(copyStep({kSendBuffer, 0}, {kRecvBuffer, 0}, count));
    return s;
  }
  // Partial sums travel through scratch; the last step lands this rank's block in the receive buffer. The
  // block at ring position q belongs to rank order[q].
  s.scratchCount = static_cast<size_t>(n) * count;
  const int next = order[mod(p + 1, n)], prev = order[mod(p - 1, n)];
  auto block = [&](int position) { return static_cast<size_t>(order[mod(position, n)]) * count; };
  int lastRecv = -1;
  for (int j = 0; j < n - 1; ++j) {
    Region from = j == 0 ? Region{kSendBuffer, block(p - 1)} : Region{kScratchBuffer, block(p - j - 1)};
    s.add({StepKind::Send, next, from, {}, count, lastRecv});
    Region into = j == n - 2 ? Region{kRecvBuffer, 0} : Region{kScratchBuffer, block(p - j - 2)};
    lastRecv = s.add({StepKind::RecvReduce, prev, {kSendBuffer, block(p - j - 2)}, into, count, -1});
  }
  return s;
}

Schedule chainBroadcast(int rank, const std::vector<int>& order, int root, size_t count) {
  Schedule s;
  const int n = static_cast<int>(order.size()), p = positionIn(order, rank);
  const int position = mod(p - positionIn(order, root), n), next = order[mod(p + 1, n)], prev = order[mod(p - 1, n)];
  if (position == 0) {
    if (n > 1) s.add({StepKind::Send, next, {kSendBuffer, 0}, {}, count, -1});
    s.add(copyStep({kSendBuffer, 0}, {kRecvBuffer, 0}, count));
    return s;
  }
  int received = s.add({StepKind::Recv, prev, {}, {kRecvBuffer, 0}, count, -1});
  if (position < n - 1) s.add({StepKind::Send, next, {kRecvBuffer, 0}, {}, count, received});
  return s;
}

Schedule chainReduce(int rank, const std::vector<int>& order, int root, size_t count) {
  Schedule s;
  const int n = static_cast<int>(order.size()), p = positionIn(order, rank);
  if (n == 1) {
    s.add(copyStep({kSendBuffer, 0}, {kRecvBuffer, 0}, count));
    return s;
  }
  // The chain starts after the root and ends at it, in ring order.
  const int position = mod(p - positionIn(order, root) - 1, n), next = order[mod(p + 1, n)],
            prev = order[mod(p - 1, n)];
  if (position == 0) {
    s.add({StepKind::Send, next, {kSendBuffer, 0}, {}, count, -1});
  } else if (position < n - 1) {
    s.scratchCount = count;
    int reduced = s.add({StepKind::RecvReduce, prev, {kSendBuffer, 0}, {kScratchBuffer, 0}, count, -1});
    s.add({StepKind::Send, next, {kScratchBuffer, 0}, {}, count, reduced});
  } else {
    s.add({StepKind::RecvReduce, prev, {kSendBuffer, 0}, {kRecvBuffer, 0}, count, -1});
  }
  return s;
}

}  // namespace

namespace ring {

Schedule allReduce(const CollectiveShape& c) { return ringAllReduce(c.rank, ringOrderOf(c), c.count); }
Schedule allGather(const CollectiveShape& c) { return ringAllGather(c.rank, ringOrderOf(c), c.count); }
Schedule reduceScatter(const CollectiveShape& c) { return ringReduceScatter(c.rank, ringOrderOf(c), c.count); }

// 2(n-1) steps, each rank sending 2(n-1)/n of the buffer and reducing (n-1)/n of it.
Price allReduceCost(double s, const FabricModel& m) {
  Cost c{m};
  const int n = m.nranks;
  const LinkLevel l = ringLevel(m);
  c.steps(2.0 * (n - 1), l.latencyUs);
  c.wire(2.0 * (n - 1) / n * s, l.bandwidthGBps);
  c.reduce(double(n - 1) / n * s);
  return {c.total()};
}

// n-1 steps, each rank sending (n-1)/n of the buffer (and a ReduceScatter reducing as much).
Price onePhaseCost(double s, const FabricModel& m, bool reduces) {
  Cost c{m};
  const int n = m.nranks;
  const LinkLevel l = ringLevel(m);
  c.steps(n - 1, l.latencyUs);
  c.wire(double(n - 1) / n * s, l.bandwidthGBps);
  if (reduces) c.reduce(double(n - 1) / n * s);
  return {c.total()};
}

Price allGatherCost(double s, const FabricModel& m) { return onePhaseCost(s, m, false); }
Price reduceScatterCost(double s, const FabricModel& m) { return onePhaseCost(s, m, true); }

}  // namespace ring

namespace chain {
namespace {

// n-1 steps to fill the pipeline; then every rank moves the buffer once (and a Reduce adds it in).
Price chainCost(double s, const FabricModel& m, bool reduces) {
  Cost c{m};
  const LinkLevel l = ringLevel(m);
  c.steps(m.nranks - 1, l.latencyUs);
  c.wire(s, l.bandwidthGBps);
  if (reduces) c.reduce(s);
  return {c.total()};
}

}  // namespace

Schedule broadcast(const CollectiveShape& c) { return chainBroadcast(c.rank, ringOrderOf(c), c.root, c.count); }
Schedule reduce(const CollectiveShape& c) { return chainReduce(c.rank, ringOrderOf(c), c.root, c.count); }
Price broadcastCost(double s, const FabricModel& m) { return chainCost(s, m, false); }
Price reduceCost(double s, const FabricModel& m) { return chainCost(s, m, true); }

}  // namespace chain

}  // namespace braid
