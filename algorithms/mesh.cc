#include "algorithms/mesh.h"

#include <algorithm>

namespace braid::mesh {

Schedule allReduce(const CollectiveShape& c) {
  const int rank = c.rank, n = c.nranks;
  const size_t count = c.count;
  Schedule s;
  s.scratchCount = count;
  const Region send{kSendBuffer, 0}, acc{kScratchBuffer, 0};
  // Sends advance together (each gated element by element on the previous one); the sum is formed only behind
  // all of them, so in place the result never overwrites input that has yet to go out.
  int last = -1;
  for (int i = 1; i < n; ++i) last = s.add({StepKind::Send, (rank + i) % n, send, {}, count, last});
  // Every rank adds the inputs in rank order, so all ranks get bit-identical results.
  for (int source = 0; source < n; ++source) {
    const bool first = source == 0;
    if (source == rank) last = s.add({first ? StepKind::Copy : StepKind::Reduce, -1, send, acc, count, last});
    else last = s.add({first ? StepKind::Recv : StepKind::RecvReduce, source, acc, acc, count, last});
  }
  s.add({StepKind::Copy, -1, acc, {kRecvBuffer, 0}, count, last});
  return s;
}

// Every peer's input arrives in one step, one message each; the rank reduces all of them.
Price allReduceCost(double s, const FabricModel& m) {
  Cost c{m};
  c.efficiency = m.roundsEfficiency;
  const int n = m.nranks;
  const double egress = m.multiNode() ? std::min(m.intraEgressGBps, crossLevel(m).bandwidthGBps) : m.intraEgressGBps;
  c.steps(1, m.multiNode() ? m.inter.latencyUs : m.intra.latencyUs);
  c.latencyUs += (n - 2) * m.messageOverheadUs;  // one message per peer
  c.wire((n - 1) * s, egress);
  c.reduce((n - 1) * s);
  return {c.total()};
}

}  // namespace braid::mesh
