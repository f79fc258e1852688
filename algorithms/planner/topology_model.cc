#include "algorithms/planner/topology_model.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "topology/paths.h"
#include "topology/ring_order.h"

namespace braid::planner {
namespace {

// Switch tiers a fat tree of radix-64 switches needs for `nodes` (32 down-ports per leaf, then 32x per tier).
int fatTreeTiers(int nodes) {
  int tiers = 1;
  for (long reach = 32; reach < nodes; reach *= 32) ++tiers;
  return tiers;
}

// The most one channel of `device` moves, GB/s: NCCL's own tuning caps a channel at 36.7 GB/s on Hopper and
// 20 GB/s before (its LL128 ring figures); other accelerators are taken to be like the latter.
double channelBandwidth(const topo::Node& device, std::vector<std::string>& assumptions) {
  const size_t sm = device.detail.find("sm_");
  if (device.detail.rfind("NVIDIA", 0) == 0 && sm != std::string::npos) {
    const int version = std::atoi(device.detail.c_str() + sm + 3);
    if (version > 0) return version >= 90 ? 36.7 : 20.0;
  }
  assumptions.push_back("per-channel bandwidth of " + device.detail + " unknown: assumed 20 GB/s");
  return 20.0;
}

}  // namespace

ClusterModel clusterModel(const topo::Graph& graph, int nodes, NetworkShape shape, int ranksPerNode, int maxChannels) {
  ClusterModel out;
  std::vector<int> devices = graph.nodesOn(0, topo::NodeKind::Accelerator);
  const std::vector<int> nics = graph.nodesOn(0, topo::NodeKind::Nic);
  const bool accelerators = !devices.empty();
  if (!accelerators) devices = graph.nodesOn(0, topo::NodeKind::Cpu);
  if (devices.empty()) devices.push_back(0), out.assumptions.push_back("no devices found: one rank per node");

  FabricModel& m = out.fabric;
  m.ranksPerNode = ranksPerNode > 0 ? ranksPerNode : static_cast<int>(devices.size());
  m.nranks = m.ranksPerNode * std::max(1, nodes);
  // The ring through the node's devices that shares links least: its slowest hop sets the per-step bandwidth.
  const topo::PathTable paths(graph);
  const topo::RingOrder ring = topo::bestRing(graph, paths, devices);
  for (int d : ring.devices) out.ring.push_back(graph.nodes[d].name);
  m.intra = {ring.latency, ring.bandwidth * kLinkEfficiency};
  if (devices.size() == 1) m.intra = {0.5, accelerators ? 1000.0 : 10.0};
  // All of a device's vendor links at once (a full mesh sends to every peer in parallel).
  double egress = 0;
  for (const topo::Link& l : graph.links)
    if (topo::isVendorLink(l.kind) && (l.a == devices[0] || l.b == devices[0])) egress += l.bandwidth;
  m.intraEgressGBps = egress > 0 ? std::max(egress * kLinkEfficiency, m.intra.bandwidthGBps) : m.intra.bandwidthGBps;
  // The network: all NICs of a node together, behind switches.
  double nicGBps = 0;
  for (int n : nics) nicGBps += graph.nodes[n].bandwidth;
  if (nicGBps <= 0) {
    nicGBps = 12.5;
    out.assumptions.push_back("no NIC in the topology: assumed one 100 Gb/s port per node");
  }
  const int tiers = std::max(1, fatTreeTiers(std::max(1, nodes)) - (shape == NetworkShape::Rail ? 1 : 0));
  const double switchHopUs = 0.6, endpointUs = 2.0;  // per switch traversal; NIC, PCIe and wire at both ends
  m.inter = {endpointUs + switchHopUs * (2 * tiers - 1), nicGBps * kLinkEfficiency};
  if (accelerators) {  // as many channels as a rank's busiest level needs (a lone device has no node links)
    m.channelGBps = channelBandwidth(graph.nodes[devices[0]], out.assumptions);
    const double links = devices.size() > 1 ? std::max(m.intra.bandwidthGBps, m.intraEgressGBps) : 0;
    const double needed = std::max(links, m.inter.bandwidthGBps / m.ranksPerNode);
    m.channels = std::clamp(static_cast<int>(std::ceil(needed / m.channelGBps)), 1, std::max(1, maxChannels));
  }
  m.reduceGBps = accelerators ? 1e4 : 10;  // accelerators reduce inside the copy kernels: it overlaps
  m.stepOverheadUs = accelerators ? 0.5 : 0.05;
  m.messageOverheadUs = accelerators ? 0.5 : 0.1;
  return out;
}

}  // namespace braid::planner
