// Which order a ring through one host's devices should take: neighbours share the fastest links. Hops whose
// paths run over the same link in the same direction split its bandwidth (two ring hops through one PCIe
// uplink get half each), so the order matters even where every pair of devices has the same path: a ring that
// visits the devices under one switch before crossing to the next crosses each uplink once each way.
#pragma once

#include <vector>

#include "topology/graph.h"
#include "topology/paths.h"

namespace braid::topo {

struct RingOrder {
  std::vector<int> devices;  // node indices, in ring order
  double bandwidth = 0;      // GB/s each hop sustains with all hops running at once
  double latency = 0;        // microseconds of the slowest hop
};

// The ring through `devices` in the given order.
RingOrder evaluateRing(const Graph& graph, const PathTable& paths, const std::vector<int>& devices);
// The order with the highest bandwidth, then the lowest summed hop latency (ties keep the given order): every
// order for up to 9 devices; beyond, nearest neighbour then 2-opt (reversing stretches while that helps).
RingOrder bestRing(const Graph& graph, const PathTable& paths, const std::vector<int>& devices);
// Each accelerator of the graph's first host, in the graph's order, gets its place in the best ring through
// them all; empty when the host has none.
std::vector<int> acceleratorRingPositions(const Graph& graph);

}  // namespace braid::topo
