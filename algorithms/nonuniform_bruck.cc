#include "algorithms/nonuniform_bruck.h"

#include <algorithm>
#include <vector>

#include "algorithms/ring.h"

namespace braid::nonuniform_bruck {
namespace {

// The blocks of a buffer (block j: `size(j)` elements, in order) and their rotation starting at this rank's
// block: relative block t is block (rank + t) % n.
class Blocks {
 public:
  template <class Size>
  Blocks(int n, int rank, Size size) : n_(n), rank_(rank), start_(n + 1), rotated_(n + 1) {
    for (int j = 0; j < n; ++j) start_[j + 1] = start_[j] + size(j);
    for (int t = 0; t < n; ++t) rotated_[t + 1] = rotated_[t] + size(absolute(t));
  }
  int absolute(int t) const { return (rank_ + t) % n_; }
  // Relative blocks [t, t + count) in the rotated layout: one stretch.
  size_t rotatedAt(int t) const { return rotated_[t]; }
  size_t rotatedCount(int t, int count) const { return rotated_[t + count] - rotated_[t]; }
  // Relative blocks [t, t + count) in the buffer's own layout: one stretch, two where they wrap past block n-1.
  struct Stretch {
    size_t offset, count;
  };
  std::vector<Stretch> inBuffer(int t, int count) const {
    const int first = absolute(t), end = first + count;
    if (end <= n_) return {{start_[first], start_[end] - start_[first]}};
    return {{start_[first], start_[n_] - start_[first]}, {0, start_[end - n_]}};
  }
  size_t startOf(int j) const { return start_[j]; }

 private:
  int n_, rank_;
  std::vector<size_t> start_, rotated_;
};

int roundsFor(int n) {
  int rounds = 0;
  while ((1 << rounds) < n) ++rounds;
  return rounds;
}

Region at(Region r, size_t offset) { return {r.buffer, r.offset + offset}; }

// Copies the input into scratch rotated to start at this rank's block (the rotation wraps once: two copies,
// the second gated on the first so that it alone says when both are done); returns that step.
int rotateInput(Schedule& s, const Blocks& blocks, int n) {
  const std::vector<Blocks::Stretch> parts = blocks.inBuffer(0, n);
  int last = -1;
  size_t into = 0;
  for (const Blocks::Stretch& part : parts) {
    last =
        s.add({StepKind::Copy, -1, {kSendBuffer, part.offset}, {kScratchBuffer, into}, part.count, last, kWholeStep});
    into += part.count;
  }
  return last;
}

// The reduce-scatter's rounds over the rotated partial sums in scratch (`last` produced them); the last round
// adds the final contribution into `result`. Returns that step.
int emitReduceScatter(Schedule& s, int rank, int n, const Blocks& blocks, int last, Region result) {
  const Region work{kScratchBuffer, 0};
  for (int k = roundsFor(n) - 1; k >= 0; --k) {
    const int d = 1 << k, c = std::min(d, n - d);
    s.add({StepKind::Send,
           (rank + d) % n,
           at(work, blocks.rotatedAt(d)),
           {},
           blocks.rotatedCount(d, c),
           last,
           kWholeStep});
    last = s.add({StepKind::RecvReduce, (rank - d + n) % n, work, k == 0 ? result : work, blocks.rotatedCount(0, c),
                  last, kWholeStep});
  }
  return last;
}

// The allgather's rounds in the receive buffer, where this rank's block is (produced by `last`).
void emitAllGather(Schedule& s, int rank, int n, const Blocks& blocks, int last) {
  for (int k = 0; (1 << k) < n; ++k) {
    const int d = 1 << k, c = std::min(d, n - d);
    const int gate = last;
    for (const Blocks::Stretch& part : blocks.inBuffer(0, c))
      s.add({StepKind::Send, (rank - d + n) % n, {kRecvBuffer, part.offset}, {}, part.count, gate, kWholeStep});
    for (const Blocks::Stretch& part : blocks.inBuffer(d, c))
      last = s.add({StepKind::Recv, (rank + d) % n, {}, {kRecvBuffer, part.offset}, part.count, gate, kWholeStep});
  }
}

Schedule single(size_t count) {
  Schedule s;
  s.add({StepKind::Copy, -1, {kSendBuffer, 0}, {kRecvBuffer, 0}, count, -1});
  return s;
}

// The rounds of the phases, and the copy of the input into scratch. Every rank takes part in every round, so
// where ranks share cores each phase waits on every rank getting its turn, as a rooted tree does (measured: 12
// ranks on 2 cores, ReduceScatter of 4-32 KiB, nb 1.1-1.2x rhd's time, whose folded ranks sit the rounds out,
// and 1.3x the LL exchange's at 8 KiB; perf/algorithms_side_by_side.sh, docs/planner.md).
Cost phasesCost(double s, const FabricModel& m, int phases) {
  Cost c{m};
  c.efficiency = m.roundsEfficiency;
  const int n = m.nranks;
  const LinkLevel l = m.multiNode() ? crossLevel(m) : m.intra;
  c.steps(phases * log2Ceil(n), l.latencyUs);
  if (m.ranksShareCores) c.latencyUs += phases * (n - 1) * m.stepOverheadUs;
  c.wire(phases * double(n - 1) / n * s, l.bandwidthGBps);
  c.reduce(double(n - 1) / n * s);
  c.wire(s, m.intraEgressGBps);
  return c;
}

}  // namespace

Schedule allReduce(const CollectiveShape& shape) {
  const int n = shape.nranks, rank = shape.rank;
  if (n == 1) return single(shape.count);
  const Blocks blocks(n, rank, [&](int j) { return segmentOf(shape.count, n, j).count; });
  Schedule s;
  s.scratchCount = shape.count;
  const int rotated = rotateInput(s, blocks, n);
  const int reduced = emitReduceScatter(s, rank, n, blocks, rotated, {kRecvBuffer, blocks.startOf(rank)});
  emitAllGather(s, rank, n, blocks, reduced);
  return s;
}

Schedule reduceScatter(const CollectiveShape& shape) {
  const int n = shape.nranks, rank = shape.rank;
  if (n == 1) return single(shape.count);
  const Blocks blocks(n, rank, [&](int) { return shape.count; });
  Schedule s;
  s.scratchCount = static_cast<size_t>(n) * shape.count;
  emitReduceScatter(s, rank, n, blocks, rotateInput(s, blocks, n), {kRecvBuffer, 0});
  return s;
}

// 2 ceil(log2 n) rounds moving (n-1)/n of the buffer each way, and the input's copy into scratch.
Price allReduceCost(double s, const FabricModel& m) { return {phasesCost(s, m, 2).total()}; }

// ceil(log2 n) rounds over (n-1)/n of the input, and its copy into scratch.
Price reduceScatterCost(double s, const FabricModel& m) { return {phasesCost(s, m, 1).total()}; }

}  // namespace braid::nonuniform_bruck
