#include "algorithms/cost.h"

#include <algorithm>

namespace braid {

LinkLevel ringLevel(const FabricModel& m) {
  if (!m.multiNode()) return m.intra;
  return {m.inter.latencyUs, std::min(m.intra.bandwidthGBps, m.inter.bandwidthGBps)};
}

LinkLevel crossLevel(const FabricModel& m) {
  return {m.inter.latencyUs, std::min(m.intra.bandwidthGBps, m.inter.bandwidthGBps / m.ranksPerNode)};
}

LinkLevel partnerLevel(const FabricModel& m, int distance) {
  return distance < m.ranksPerNode || !m.multiNode() ? m.intra : crossLevel(m);
}

int log2Floor(int n) {
  int k = 0;
  while ((2 << k) <= n) ++k;
  return k;
}

int log2Ceil(int n) { return n <= 1 ? 0 : log2Floor(n - 1) + 1; }

}  // namespace braid
