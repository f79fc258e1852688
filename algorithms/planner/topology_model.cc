#include "algorithms/planner/topology_model.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "algorithms/planner/effective_bandwidth.h"
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
  if (const int sm = smVersion(device); sm > 0) return sm >= 90 ? 36.7 : 20.0;
  assumptions.push_back("per-channel bandwidth of " + device.detail + " unknown: assumed 20 GB/s");
  return 20.0;
}

// The link that bounds the ring: the one any hop's path gets least from, at the share its kind and the hop's
// transport (the path class against NCCL_P2P_LEVEL) reach on it.
struct Bottleneck {
  int link = -1;
  const topo::Path* path = nullptr;
  Transport transport = Transport::VendorLink;
  double effectiveGBps = 0;                                          // the link's line rate at that share
  double slowestLineGBps = std::numeric_limits<double>::infinity();  // the lowest line rate of any link on the ring
};

Bottleneck ringBottleneck(const topo::Graph& graph, const topo::PathTable& paths, const std::vector<int>& ring,
                          P2pLevel level, std::vector<std::string>& assumptions) {
  Bottleneck b;
  const topo::Node& device = graph.nodes[ring[0]];
  for (size_t i = 0; i < ring.size(); ++i) {
    const topo::Path& p = paths.between(ring[i], ring[(i + 1) % ring.size()]);
    const Transport transport = transportOf(p, level);
    for (int l : p.links) {
      const topo::Link& link = graph.links[l];
      const double effective = link.bandwidth * hopEfficiency(link.kind, transport, device, assumptions);
      if (b.link < 0 || effective < b.effectiveGBps) {
        b.link = l;
        b.path = &p;
        b.transport = transport;
        b.effectiveGBps = effective;
      }
      b.slowestLineGBps = std::min(b.slowestLineGBps, link.bandwidth);
    }
  }
  return b;
}

// Every pair of `devices` joined directly by a vendor link (no switch, no other device between them).
bool fullMesh(const topo::Graph& graph, const topo::PathTable& paths, const std::vector<int>& devices) {
  for (int a : devices)
    for (int b : devices)
      if (a != b) {
        const topo::Path& p = paths.between(a, b);
        if (p.links.size() != 1 || !topo::isVendorLink(graph.links[p.links[0]].kind)) return false;
      }
  return true;
}

// What NCCL's tuning needs, from the finished model. The Simple ring's bandwidth is Braid's ring priced where
// latency no longer counts (8 GiB): the same schedule over the same links. On one node NCCL's tree is a chain
// through the node's ring at 0.92 of its bandwidth (tuning.cc), in nccl-tests' terms (n-1)/n of that.
NcclTuningInput ncclTuningInput(const topo::Graph& graph, const topo::PathTable& paths, const ClusterModel& model,
                                const std::vector<int>& devices, bool nvlinkRing) {
  const FabricModel& m = model.fabric;
  NcclTuningInput in;
  in.nranks = m.nranks;
  in.nodes = m.nodes();
  in.sm = smVersion(graph.nodes[devices[0]]);
  in.nvlinkWithinNode = nvlinkRing || m.ranksPerNode == 1;
  in.amdCpu = amdCpu(graph);
  in.netWithGdr = false;
  for (int nic : graph.nodesOn(0, topo::NodeKind::Nic))
    in.netWithGdr = in.netWithGdr || nicReachedWithGdr(graph, paths, nic, devices);
  in.channels = m.channels;
  in.ringBusGBps = predict(CollectiveKind::AllReduce, Algorithm::Ring, size_t(8) << 30, m).busbwGBps;
  in.treeBusGBps = m.multiNode() ? model.ncclTreeBusGBps : 0.92 * in.ringBusGBps * (m.nranks - 1) / m.nranks;
  in.nvlsBusGBps = model.nvlsBusGBps;
  return in;
}

}  // namespace

ClusterModel clusterModel(const topo::Graph& graph, int nodes, NetworkShape shape, int ranksPerNode, int maxChannels,
                          std::optional<P2pLevel> p2pLevel) {
  ClusterModel out;
  std::vector<int> devices = graph.nodesOn(0, topo::NodeKind::Accelerator);
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
  const topo::Node& device = graph.nodes[devices[0]];
  // NCCL's rule is for its GPUs; other devices' paths keep the plain classes (through a CPU: host memory).
  const bool nvidia = accelerators && smVersion(device) > 0;
  out.p2pLevel = p2pLevel.value_or(nvidia ? defaultP2pLevel(graph, m.ranksPerNode) : P2pLevel::Pxb);
  const Bottleneck slowest = ringBottleneck(graph, paths, ring.devices, out.p2pLevel, out.assumptions);
  bool nvlinkRing = false;
  if (slowest.link >= 0) {
    nvlinkRing = graph.links[slowest.link].kind == topo::LinkKind::NVLink;
    // The ring's own figure counts links that hops share (ring.bandwidth against the slowest line rate).
    const double busGBps = slowest.effectiveGBps * ring.bandwidth / slowest.slowestLineGBps;
    const double ceiling = busCeilingGBps(device);
    m.intra = {ring.latency, ceiling > 0 ? std::min(busGBps, ceiling) : busGBps};
    out.intraTransport = std::string(transportName(slowest.transport)) + " over " + slowest.path->pathClass;
  }
  if (devices.size() == 1) m.intra = {0.5, accelerators ? 1000.0 : 10.0};
  // All of a device's vendor links at once (a full mesh sends to every peer in parallel).
  double egress = 0;
  for (const topo::Link& l : graph.links)
    if (topo::isVendorLink(l.kind) && (l.a == devices[0] || l.b == devices[0]))
      egress += l.bandwidth * linkEfficiency(l.kind, device, out.assumptions);
  m.intraEgressGBps = std::max(egress, m.intra.bandwidthGBps);
  if (accelerators && devices.size() > 1) out.nvlsBusGBps = nvlsBusGBps(graph, devices[0]);
  if (accelerators && devices.size() > 2 && fullMesh(graph, paths, devices)) out.meshBusGBps = egress;
  // The network: all NICs of a node together, behind switches, each at what NCCL sustains on it from where it
  // sits (GPUDirect or not, its PCIe slot), no more than the GPUs' own PCIe links feed them.
  double nicGBps = accelerators ? nodeNetworkGBps(graph, paths, devices, m.ranksPerNode) : hostNicsGBps(graph, 0);
  if (nicGBps <= 0) {
    nicGBps = effectiveNicGBps(12.5);
    out.assumptions.push_back("no NIC in the topology: assumed one 100 Gb/s port per node");
  }
  const int tiers = std::max(1, fatTreeTiers(std::max(1, nodes)) - (shape == NetworkShape::Rail ? 1 : 0));
  const double switchHopUs = 0.6, endpointUs = 2.0;  // per switch traversal; NIC, PCIe and wire at both ends
  m.inter = {endpointUs + switchHopUs * (2 * tiers - 1), nicGBps};
  if (accelerators && m.multiNode())
    out.ncclTreeBusGBps = ncclTreeAlgGBps(m.nodes(), m.intra.bandwidthGBps, nicGBps) * 2.0 * (m.nranks - 1) / m.nranks;
  if (accelerators) {  // as many channels as a rank's busiest level needs (a lone device has no node links)
    m.channelGBps = channelBandwidth(graph.nodes[devices[0]], out.assumptions);
    const double links = devices.size() > 1 ? std::max(m.intra.bandwidthGBps, m.intraEgressGBps) : 0;
    const double needed = std::max(links, m.inter.bandwidthGBps / m.ranksPerNode);
    m.channels = std::clamp(static_cast<int>(std::ceil(needed / m.channelGBps)), 1, std::max(1, maxChannels));
  }
  m.reduceGBps = accelerators ? 1e4 : 10;  // accelerators reduce inside the copy kernels: it overlaps
  m.stepOverheadUs = accelerators ? 0.5 : 0.05;
  m.messageOverheadUs = accelerators ? 0.5 : 0.1;
  if (accelerators && m.nranks > 1) out.nccl = ncclTuningInput(graph, paths, out, devices, nvlinkRing);
  // Each assumption once, in the order first made (every link of a mesh asks the same question).
  std::vector<std::string> once;
  for (const std::string& a : out.assumptions)
    if (std::find(once.begin(), once.end(), a) == once.end()) once.push_back(a);
  out.assumptions = once;
  return out;
}

}  // namespace braid::planner
