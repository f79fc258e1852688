// The topology as a graph: CPUs, PCI switches, accelerators, NICs and vendor switches, joined by links that
// carry a kind, a bandwidth and a latency. Built from the XML tree (a <system>, or a <cluster> of them), with
// every inconsistency reported as "file:line: what".
#pragma once

#include <string>
#include <vector>

#include "topology/xml_tree.h"

namespace braid::topo {

enum class NodeKind { Cpu, PciSwitch, PciDevice, Accelerator, Nic, LinkSwitch, Fabric };

// RoCE: an accelerator's own Ethernet ports wired to its peers as a scale-up fabric (Intel Gaudi).
enum class LinkKind { PCIe, NVLink, HCCS, MLULink, MetaXLink, MTLink, XGMI, RoCE, CpuInterconnect, Network };
constexpr int kLinkKinds = 10;

struct LinkKindInfo {
  const char* name;       // as written in files: "pcie", "nvlink", "hccs", ...
  const char* pathClass;  // as the matrix shows it: PCI hops are classified separately; NVL, HCCS, MLU, ...
  double linkBandwidth;   // GB/s per direction of one link, when the file gives none
  double latencyUs;       // per hop
  const char* color;      // for DOT
};
const LinkKindInfo& linkKindInfo(LinkKind kind);
bool parseLinkKind(const std::string& name, LinkKind& kind);
bool isVendorLink(LinkKind kind);

struct Node {
  NodeKind kind;
  std::string name;    // CPU0, GPU3, NPU5, mlx5_0, PCI 0000:1a:00.0, ...
  std::string busId;   // lower case, empty when none
  std::string detail;  // model, vendor, speed: what renderers show next to the name
  int host = 0;
  int line = 0;
  double bandwidth = 0;  // GB/s: a NIC's port speed (0 for other nodes)
};

struct Link {
  int a, b;
  LinkKind kind;
  double bandwidth;  // GB/s, each direction
  double latency;    // microseconds
  int count = 1;     // parallel links (NVLink counts)
};

struct Graph {
  std::vector<std::string> hosts;
  std::vector<Node> nodes;
  std::vector<Link> links;
  std::vector<std::string> notes;  // what was assumed while building (missing speeds, ...)

  std::vector<int> endpoints() const;  // accelerators (else CPUs), then NICs: what paths and the matrix cover
  std::vector<int> nodesOn(int host, NodeKind kind) const;  // indices of that host's nodes of that kind
};

Graph buildGraph(const XmlElement& root, const std::string& fileName);

// PCIe bandwidth in GB/s per direction from NCCL's attributes ("16.0 GT/s PCIe", width 16); 0 when unknown.
double pcieBandwidth(const std::string& linkSpeed, const std::string& linkWidth);

}  // namespace braid::topo
