// What collectives really move over each kind of path, as NCCL reaches it: the rules that turn a topology's
// line rates into the bandwidth the planner prices (and `braid doctor` holds a run against). Every figure here
// names its source; docs/planner.md tabulates them with links, and perf/planner_validation.py checks the
// predictions they give against published nccl-tests results.
#pragma once

#include <string>
#include <vector>

#include "topology/graph.h"
#include "topology/paths.h"

namespace braid::planner {

// How NCCL moves data between two devices of one node, decided by the path class between them (its
// ncclTopoCheckP2p, NCCL_P2P_LEVEL by default PXB): a vendor link or a PCIe path below the CPU is a peer-to-peer
// copy; a path through a CPU's host bridge or across the CPU interconnect goes through a shared-memory buffer in
// host memory (SHM), unless the level reaches it; between nodes, the network.
enum class Transport { VendorLink, PciePeer, HostMemory, Network };

// NCCL_P2P_LEVEL: the farthest path class over which NCCL still copies peer to peer within a node; beyond it, data
// goes through host memory. Ordered as NCCL's path types.
enum class P2pLevel { Loc, Nvl, Pix, Pxb, Phb, Sys };
// NCCL's names (LOC, NVL, PIX, PXB, PHB, SYS, any case); false for anything else.
bool parseP2pLevel(const std::string& text, P2pLevel& level);
const char* p2pLevelName(P2pLevel level);
// Every level NCCL accepts, for messages: "LOC, NVL, PIX, PXB, PHB or SYS".
std::string p2pLevelChoices();
// Whether the first host's CPUs are AMD's, which several of NCCL's rules single out.
bool amdCpu(const topo::Graph& graph);
// NCCL's default for a node of `gpus` NVIDIA GPUs: PXB, but SYS where at most two sit on an AMD CPU
// (ncclTopoCheckP2p).
P2pLevel defaultP2pLevel(const topo::Graph& graph, int gpus);

Transport transportOf(const topo::Path& path, P2pLevel level = P2pLevel::Pxb);
const char* transportName(Transport transport);  // NCCL's words: "P2P", "P2P/PCIe", "SHM", "NET"

// The compute capability of an NVIDIA GPU (80 for sm_80), 0 for other devices.
int smVersion(const topo::Node& device);

// The share of a link's line rate that collectives reach on it, for `device`'s links of `kind`. Figures the
// topology cannot tell (other vendors' links) are assumed and said so in `assumptions`.
double linkEfficiency(topo::LinkKind kind, const topo::Node& device, std::vector<std::string>& assumptions);

// The share of a link's line rate a ring hop over `transport` reaches on it: linkEfficiency, and where NCCL runs the
// hop through host memory between NVIDIA GPUs, its PCIe links at a measured share of that.
double hopEfficiency(topo::LinkKind kind, Transport transport, const topo::Node& device,
                     std::vector<std::string>& assumptions);

// What a NIC of `lineGBps` (its port speed) sustains under NCCL, GB/s per direction.
double effectiveNicGBps(double lineGBps);

// All of `host`'s NICs in the graph together, each at what NCCL sustains on it; 0 when it has none.
double hostNicsGBps(const topo::Graph& graph, int host);

// Whether NCCL moves data between `nic` and the GPUs among `devices` with GPUDirect RDMA (directly or, PXN,
// through the GPU next to it), rather than staging it in host memory.
bool nicReachedWithGdr(const topo::Graph& graph, const topo::PathTable& paths, int nic,
                       const std::vector<int>& devices);

// What a node's NVIDIA GPUs move through its NICs together (`devices`: the node's GPUs, the first `ranks` of them
// in the job): each NIC at what NCCL sustains on it, two thirds of that where no GPU reaches it without crossing
// a CPU (no GPUDirect RDMA: NCCL stages the data in host memory), and all of them no more than the ranks' own
// PCIe links carry. For other devices, hostNicsGBps. 0 when the node has no NIC.
double nodeNetworkGBps(const topo::Graph& graph, const topo::PathTable& paths, const std::vector<int>& devices,
                       int ranks);

// The highest ring bus bandwidth a device reaches whatever its links (NCCL caps sm_80 at 235 GB/s); 0: none.
double busCeilingGBps(const topo::Node& device);

// NCCL's NVLink SHARP (NVLS) AllReduce bus bandwidth within one node, where `device` supports it (sm_90 and
// later) and its NVLinks reach an NVSwitch; 0 otherwise. Braid does not run NVLS: this is what NCCL gets.
double nvlsBusGBps(const topo::Graph& graph, int device);

// NCCL's tree AllReduce across `nodes` (its double binary tree over the nodes, a chain through each node's
// devices), as algorithm bandwidth: the smaller of the chain's (`intraGBps`) and what the node's NICs
// (`nodeNicsGBps` together) carry per byte of the buffer. Braid's trees are priced by their own cost (tree.cc).
double ncclTreeAlgGBps(int nodes, double intraGBps, double nodeNicsGBps);

}  // namespace braid::planner
