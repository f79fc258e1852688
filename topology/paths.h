// Best paths between endpoints: the widest path (largest bottleneck bandwidth), then the lowest latency, with
// NCCL's path classes: LOC (same device), a vendor-link class (NV<n>, HCCS, MLU, MXL, MTL, XGMI), PIX (at most
// one PCIe switch), PXB (several switches, no CPU), PHB (through one CPU), SYS (across the CPU interconnect),
// NET (through the network).
#pragma once

#include <string>
#include <vector>

#include "topology/graph.h"

namespace braid::topo {

struct Path {
  double bandwidth = 0;    // GB/s, the bottleneck
  double latency = 0;      // microseconds, summed
  std::vector<int> hops;   // nodes from source to destination
  std::vector<int> links;  // the graph's links between them, in the same order (links[i] joins hops i and i+1)
  std::string pathClass;
};

class PathTable {
 public:
  explicit PathTable(const Graph& graph);
  const Path& between(int from, int to) const;  // endpoints, by node index
  const std::vector<int>& endpoints() const { return endpoints_; }
  // NICs whose path from `device` is best (highest bandwidth, then class, then latency).
  std::vector<int> nearestNics(int device) const;

 private:
  const Graph& graph_;
  std::vector<int> endpoints_;
  std::vector<int> slot_;                 // node -> index in endpoints_, or -1
  std::vector<std::vector<Path>> paths_;  // [from slot][to slot]
};

}  // namespace braid::topo
