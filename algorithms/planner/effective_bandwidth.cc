#include "algorithms/planner/effective_bandwidth.h"

#include <strings.h>
#include <algorithm>
#include <cstdlib>
#include <iterator>

namespace braid::planner {

namespace {
const char* const kP2pLevelNames[] = {"LOC", "NVL", "PIX", "PXB", "PHB", "SYS"};
}

bool parseP2pLevel(const std::string& text, P2pLevel& level) {
  for (size_t i = 0; i < std::size(kP2pLevelNames); ++i)
    if (strcasecmp(text.c_str(), kP2pLevelNames[i]) == 0) {
      level = static_cast<P2pLevel>(i);
      return true;
    }
  return false;
}

const char* p2pLevelName(P2pLevel level) { return kP2pLevelNames[static_cast<int>(level)]; }

std::string p2pLevelChoices() {
  std::string out;
  for (size_t i = 0; i < std::size(kP2pLevelNames); ++i)
    out += (i == 0 ? "" : i + 1 == std::size(kP2pLevelNames) ? " or " : ", ") + std::string(kP2pLevelNames[i]);
  return out;
}

bool amdCpu(const topo::Graph& graph) {
  for (int cpu : graph.nodesOn(0, topo::NodeKind::Cpu))
    if (graph.nodes[cpu].detail.find("AMD") != std::string::npos) return true;
  return false;
}

P2pLevel defaultP2pLevel(const topo::Graph& graph, int gpus) {
  return amdCpu(graph) && gpus <= 2 ? P2pLevel::Sys : P2pLevel::Pxb;
}

Transport transportOf(const topo::Path& path, P2pLevel level) {
  const std::string& c = path.pathClass;
  if (c == "NET") return Transport::Network;
  if (c == "LOC") return Transport::PciePeer;
  if (c == "PXN") return Transport::HostMemory;  // a NIC reached through another GPU
  if (c == "PIX") return level >= P2pLevel::Pix ? Transport::PciePeer : Transport::HostMemory;
  if (c == "PXB") return level >= P2pLevel::Pxb ? Transport::PciePeer : Transport::HostMemory;
  if (c == "PHB") return level >= P2pLevel::Phb ? Transport::PciePeer : Transport::HostMemory;
  if (c == "SYS") return level >= P2pLevel::Sys ? Transport::PciePeer : Transport::HostMemory;
  // NV<n>, HCCS, MLU, MXL, MTL, XGMI, ROCE
  return level >= P2pLevel::Nvl ? Transport::VendorLink : Transport::HostMemory;
}

const char* transportName(Transport transport) {
  switch (transport) {
    case Transport::VendorLink: return "P2P";
    case Transport::PciePeer: return "P2P/PCIe";
    case Transport::HostMemory: return "SHM";
    case Transport::Network: return "NET";
  }
  return "?";
}

int smVersion(const topo::Node& device) {
  const size_t sm = device.detail.find("sm_");
  if (device.detail.rfind("NVIDIA", 0) != 0 || sm == std::string::npos) return 0;
  return std::atoi(device.detail.c_str() + sm + 3);
}

namespace {

// NCCL's PCIe figures are three quarters of the line rate: 12 GB/s for Gen3 x16 (topo.h PCI_BW, of 15.75),
// 24 for Gen4 x16 (of 31.5), 48 for Gen5 x16 (of 63).
constexpr double kPcieShare = 0.76;

// What NCCL's ring AllReduce reaches between NVIDIA GPUs over PCIe peer-to-peer, of the line rate: 41 GB/s busbw
// on Gen5 x16 (of 63), below NCCL's own 48. Community runs of 8x RTX PRO 6000 Blackwell under PCIe switches
// (voipmonitor/rtx6kpro, hardware/pcie-bandwidth.md): 41.1 GB/s (luke, three Microchip switches), 40.1 (Grimulkan,
// four switches), 41.3-41.7 (purplepow3r, seven GPUs at 4 GiB), where the same cards copy 53-56 GB/s one way
// (p2pBandwidthLatencyTest): every GPU's link carries the ring both ways at once, written by the GPUs' SMs.
constexpr double kGpuPcieRingShare = 41.0 / 63.0;

// A ring hop NCCL runs through host memory (SHM) instead of peer to peer over the same PCIe links: the sender
// writes to host memory, the receiver reads it back over PCIe. Four RTX PRO 6000 whose ring crosses the CPU twice
// (voipmonitor/rtx6kpro, hardware/asus-esc8000a-e13p-broadcom-switches.md) reach 30.3 GB/s at 32 MiB with NCCL's
// defaults (SHM there), where the rule above gives their Gen5 links 41. The same box with NCCL_P2P_LEVEL=SYS
// reaches 39.3, which the rule above predicts (held out in perf/planner_validation.csv). This is SHM at NCCL's
// default channel count: its GPUs read host memory over PCIe, which more channels speed up (the same page's dual
// Turin box: 22.2 GB/s at the defaults, 37.6 with NCCL_MIN_NCHANNELS=8), and the model does not follow that.
constexpr double kShmOverPcieShare = 30.3 / 41.0;

// NCCL's effective NVLink bandwidth per link (src/graph/topo.h: SM60 18.0, SM70 and SM80 20.0, SM86 12.0, SM90
// 20.6, SM100 40.1 GB/s) against the line rate of one link (25 GB/s per direction for NVLink 2-4, 50 for
// NVLink 5). sjeaugey (NVIDIA/nccl-tests#149): "Each NVLink has a line rate of 25GB/s ... ~20GB/s effective
// bandwidth with a 128B payload size".
double nvlinkEfficiency(int sm) {
  if (sm >= 100) return 40.1 / 50.0;
  if (sm >= 90) return 20.6 / 25.0;
  if (sm == 86) return 12.0 / 25.0;
  if (sm >= 70) return 20.0 / 25.0;
  return 18.0 / 25.0;
}

}  // namespace

double linkEfficiency(topo::LinkKind kind, const topo::Node& device, std::vector<std::string>& assumptions) {
  switch (kind) {
    case topo::LinkKind::NVLink: {
      const int sm = smVersion(device);
      if (sm > 0) return nvlinkEfficiency(sm);
      assumptions.push_back("NVLink generation of " + device.detail + " unknown: 80% of its line rate");
      return 0.8;
    }
    case topo::LinkKind::PCIe: return smVersion(device) > 0 ? kGpuPcieRingShare : kPcieShare;
    // The CPU interconnect's figures are already NCCL's usable ones (topo.h: AMD 16, Skylake UPI 10, ...).
    case topo::LinkKind::CpuInterconnect: return 1.0;
    case topo::LinkKind::Network:
      return 1.0;  // NICs have their own rule (effectiveNicGBps)
    // Scale-up Ethernet ports are NICs on the accelerator: the NIC rule for speeds without a maintainer's figure.
    case topo::LinkKind::RoCE: return 0.94;
    default: break;
  }
  assumptions.push_back(std::string(topo::linkKindInfo(kind).name) +
                        " links: 80% of the line rate assumed (as NCCL reaches on NVLink; no published figure)");
  return 0.8;
}

double hopEfficiency(topo::LinkKind kind, Transport transport, const topo::Node& device,
                     std::vector<std::string>& assumptions) {
  const double share = linkEfficiency(kind, device, assumptions);
  const bool shmOverPcie = transport == Transport::HostMemory && kind == topo::LinkKind::PCIe && smVersion(device) > 0;
  return shmOverPcie ? share * kShmOverPcieShare : share;
}

double effectiveNicGBps(double lineGBps) {
  // Per NIC, what maintainers measure on good setups: 100 Gb/s 12 GB/s (NCCL's NET_BW, topo.h); HDR 200 Gb/s
  // 24 GB/s (sjeaugey, NVIDIA/nccl-tests#160: "24 (what we see ourselves in general on perfect setups)"); NDR
  // 400 Gb/s 46-48 GB/s (AddyLaddy, NVIDIA/nccl-tests#290), taken as 47. Other speeds: 94% of the line rate.
  if (lineGBps > 12 && lineGBps < 13) return 12.0;
  if (lineGBps > 24.9 && lineGBps < 25.1) return 24.0;
  if (lineGBps > 49.9 && lineGBps < 50.1) return 47.0;
  return 0.94 * lineGBps;
}

double hostNicsGBps(const topo::Graph& graph, int host) {
  double total = 0;
  for (int n : graph.nodesOn(host, topo::NodeKind::Nic)) total += effectiveNicGBps(graph.nodes[n].bandwidth);
  return total;
}

// NCCL uses GPUDirect RDMA between a GPU and a NIC when the path between them stays under a PCIe switch (PIX,
// PXB) or reaches the CPU only over the GPU's own C2C link, as on Grace Hopper (src/graph/paths.cc
// ncclTopoCheckGdr: NCCL_NET_GDR_LEVEL defaults to PXB, P2C with C2C); with PXN the GPU next to the NIC relays.
bool nicReachedWithGdr(const topo::Graph& graph, const topo::PathTable& paths, int nic,
                       const std::vector<int>& devices) {
  for (int d : devices) {
    const topo::Path& path = paths.between(nic, d);
    // NCCL_NET_GDR_LEVEL's default is PXB, as NCCL_P2P_LEVEL's: PIX, PXB, under a PCIe switch.
    if (transportOf(path, P2pLevel::Pxb) == Transport::PciePeer) return true;
    if (path.pathClass != "PHB") continue;
    for (int hop : path.hops)  // the CPU on the way is a Grace, joined to its GPU by NVLink-C2C
      if (graph.nodes[hop].kind == topo::NodeKind::Cpu && graph.nodes[hop].detail.find("NVIDIA") != std::string::npos)
        return true;
  }
  return false;
}

namespace {

// A device's own PCIe link (a GPU's, a NIC's), at NCCL's share of it; 0 when the graph has none.
double pcieUplinkGBps(const topo::Graph& graph, int device) {
  for (const topo::Link& l : graph.links)
    if (l.kind == topo::LinkKind::PCIe && (l.a == device || l.b == device)) return l.bandwidth * kPcieShare;
  return 0;
}

}  // namespace

double nodeNetworkGBps(const topo::Graph& graph, const topo::PathTable& paths, const std::vector<int>& devices,
                       int ranks) {
  const int host = devices.empty() ? 0 : graph.nodes[devices[0]].host;
  if (devices.empty() || smVersion(graph.nodes[devices[0]]) == 0) return hostNicsGBps(graph, host);
  double nics = 0;
  for (int n : graph.nodesOn(host, topo::NodeKind::Nic)) {
    const bool gdr = nicReachedWithGdr(graph, paths, n, devices);
    // sjeaugey (NVIDIA/nccl#412): an HDR NIC "attached to the CPU getting 16 GB/s is normal", where 24 with
    // GPUDirect RDMA; taken as two thirds at every speed.
    double nic = effectiveNicGBps(graph.nodes[n].bandwidth);
    // No faster than its PCIe slot, as NCCL's paths take their narrowest link (an NDR port in a Gen4 x16 slot).
    if (const double slot = pcieUplinkGBps(graph, n); slot > 0) nic = std::min(nic, slot);
    nics += nic * (gdr ? 1.0 : 16.0 / 24.0);
  }
  // Every byte a node sends or receives crosses a GPU's PCIe link, its own or (PXN) the GPU next to the NIC's:
  // one GPU per node cannot fill four NICs (sjeaugey, NVIDIA/nccl#398: a GPU receives from PCI and sends on
  // NVLink, or the reverse).
  double pcie = 0;
  for (int i = 0; i < static_cast<int>(devices.size()) && i < ranks; ++i) {
    const double uplink = pcieUplinkGBps(graph, devices[i]);
    if (uplink <= 0) return nics;  // a GPU without a PCIe link in the graph: no bound from it
    pcie += uplink;
  }
  return std::min(nics, pcie);
}

double busCeilingGBps(const topo::Node& device) {
  // NCCL's tuning caps Ampere (sm_80) at 235 GB/s (src/graph/tuning.cc, compCap80); sjeaugey
  // (NVIDIA/nccl-tests#149): "some other bottlenecks on the GPUs limits it to ~230GB/s".
  return smVersion(device) == 80 ? 235.0 : 0.0;
}

double nvlsBusGBps(const topo::Graph& graph, int device) {
  const int sm = smVersion(graph.nodes[device]);
  if (sm < 90) return 0;  // NVLS came with Hopper (sjeaugey, NVIDIA/nccl-tests#228)
  double line = 0;
  for (const topo::Link& l : graph.links)
    if (l.kind == topo::LinkKind::NVLink && (l.a == device || l.b == device) &&
        graph.nodes[l.a == device ? l.b : l.a].kind == topo::NodeKind::LinkSwitch)
      line += l.bandwidth;
  if (line <= 0) return 0;
  // sjeaugey (NVIDIA/nccl-tests#212): 8 H100s reach a peak busbw of ~480 GB/s with NVLS, over 450 GB/s of
  // NVLink line rate. Blackwell's NVLS runs at 0.74/0.85 of Hopper's efficiency (NCCL's nvlsEfficiency).
  const double hopper = 480.0 / 450.0;
  return line * (sm >= 100 ? hopper * 0.74 / 0.85 : hopper);
}

double ncclTreeAlgGBps(int nodes, double intraGBps, double nodeNicsGBps) {
  // On two nodes each tree's root and leaf swap halves of the buffer, so every node sends and receives it once:
  // the algorithm bandwidth is the NICs' (sjeaugey, NVIDIA/nccl-tests#196: on two nodes the tree "can indeed go
  // beyond the network bottleneck"; AddyLaddy, NVIDIA/nccl#812: "fewer inter-node data transmissions"). On more,
  // a node is inner in one tree (a half from each of two children up, to both down) and a leaf in the other
  // (a half up and down): it sends and receives the buffer twice, half the NICs' rate.
  const double network = nodes == 2 ? nodeNicsGBps : nodeNicsGBps / 2;
  return std::min(intraGBps, network);
}

}  // namespace braid::planner
