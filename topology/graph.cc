#include "topology/graph.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>

#include "base/text.h"

namespace braid::topo {
namespace {

// Defaults per link when a file gives no bandwidth; sources and caveats in docs/topology.md.
constexpr LinkKindInfo kInfos[kLinkKinds] = {
    {"pcie", "PCI", 12.0, 1.0, "black"},           {"nvlink", "NV", 25.0, 0.5, "green4"},
    {"hccs", "HCCS", 56.0, 0.6, "red3"},           {"mlulink", "MLU", 50.0, 0.6, "blue3"},
    {"metaxlink", "MXL", 64.0, 0.6, "darkorange"}, {"mtlink", "MTL", 60.0, 0.6, "purple"},
    {"xgmi", "XGMI", 46.0, 0.6, "brown"},          {"roce", "ROCE", 25.0, 1.0, "teal"},
    {"sys", "SYS", 10.0, 2.0, "gray40"},           {"net", "NET", 12.5, 5.0, "steelblue"},
};

// Reads a number attribute; throws file:line when it is not a finite number, negative, or beyond any real
// hardware (1e9: GB/s, Mb/s, lanes and link counts are all far below).
double number(const XmlElement& e, const std::string& name, double fallback, const std::string& file) {
  const std::string* v = e.find(name);
  if (!v || v->empty()) return fallback;
  char* end = nullptr;
  double d = std::strtod(v->c_str(), &end);
  const std::string what = "<" + e.tag + "> " + name + "=\"" + *v + "\"";
  if (end == v->c_str() || !std::isfinite(d)) failAt(file, e.line, what + " is not a number");
  if (d < 0) failAt(file, e.line, what + " is negative");
  if (d > 1e9) failAt(file, e.line, what + " is out of range");
  return d;
}

// A count of links: a whole number from 1 to 1024.
int linkCount(const XmlElement& e, const std::string& file) {
  double d = number(e, "count", 1, file);
  if (d < 1 || d > 1024 || d != std::floor(d))
    failAt(file, e.line, "<" + e.tag + "> count=\"" + e.get("count") + "\" is not a whole number from 1 to 1024");
  return static_cast<int>(d);
}

std::string acceleratorPrefix(const std::string& vendor) {
  const std::string v = lowercase(vendor);
  if (v == "huawei") return "NPU";
  if (v == "cambricon") return "MLU";
  if (v == "hygon") return "DCU";
  return "GPU";
}

struct PendingLink {
  int from;
  std::string target;
  LinkKind kind;
  int count;
  double bandwidth;  // GB/s over all `count` links
  double latency;
  std::string targetClass;
  int line;
};

class Builder {
 public:
  explicit Builder(const std::string& file) : file_(file) {}

  Graph build(const XmlElement& root) {
    if (root.tag == "cluster") {
      for (const XmlElement& s : root.children)
        if (s.tag == "system") system(s);
    } else if (root.tag == "system") {
      system(root);
    } else {
      failAt(file_, root.line, "expected <system> or <cluster>, found <" + root.tag + ">");
    }
    connectNetwork();
    return std::move(g_);
  }

 private:
  int addNode(NodeKind kind, const std::string& name, const std::string& busId, const std::string& detail, int line) {
    const std::string id = lowercase(busId);
    if (!id.empty()) {
      auto [it, fresh] = byBusId_.emplace(id, static_cast<int>(g_.nodes.size()));
      if (!fresh)
        failAt(file_, line,
               "duplicate busid " + id + " (first at line " + std::to_string(g_.nodes[it->second].line) + ")");
    }
    g_.nodes.push_back({kind, name, id, detail, host_, line});
    return static_cast<int>(g_.nodes.size()) - 1;
  }

  void addLink(int a, int b, LinkKind kind, double bandwidth, double latency, int count = 1) {
    g_.links.push_back({a, b, kind, bandwidth, latency, count});
  }

  void system(const XmlElement& e) {
    host_ = static_cast<int>(g_.hosts.size());
    g_.hosts.push_back(e.get("name", e.get("host", "host" + std::to_string(host_))));
    byBusId_.clear();
    pending_.clear();
    linkSwitch_ = -1;
    std::vector<int> cpus;
    for (const XmlElement& child : e.children)
      if (child.tag == "cpu") cpus.push_back(cpu(child));
    // CPUs of one host reach each other over their interconnect (QPI/UPI, Infinity Fabric, ...).
    for (size_t i = 0; i < cpus.size(); ++i)
      for (size_t j = i + 1; j < cpus.size(); ++j) {
        double bw = number(e, "sys_bw", std::min(interconnect_[cpus[i]], interconnect_[cpus[j]]), file_);
        addLink(cpus[i], cpus[j], LinkKind::CpuInterconnect, bw, linkKindInfo(LinkKind::CpuInterconnect).latencyUs);
      }
    resolvePending();
  }

  // The CPU interconnect as NCCL rates it per direction (src/graph/topo.cc ncclTopoGetInterCpuBw, topo.h): Intel
  // by model (family 6; model 0xCF and later Emerald Rapids 40 GB/s, 0x8F Sapphire Rapids 22, 0x55 Skylake 10,
  // older Broadwell 6), AMD by family (0x17 Zen 1-2: 16, 0x19 Zen 3-4: 24, 0x1A Zen 5: 32) as NCCL's dev branch
  // after 2.30 rates them (commit 2f1c174, from cross-socket GPU copies of 32.18 GB/s on an EPYC 9575F; NCCL 2.30.7
  // itself gives every AMD CPU 16). Without NCCL's familyid/modelid, and for other CPUs: AMD and Hygon 16, others 10.
  double interconnectBandwidth(const XmlElement& e) const {
    const std::string vendor = e.get("vendor");
    const bool amd = vendor.find("AMD") != std::string::npos || vendor.find("Hygon") != std::string::npos;
    if (!e.find("familyid")) return amd ? 16.0 : 10.0;
    const double family = number(e, "familyid", 0, file_), model = number(e, "modelid", 0, file_);
    if (vendor.find("Intel") != std::string::npos && family == 6)
      return model >= 0xCF ? 40.0 : model >= 0x8F ? 22.0 : model >= 0x55 ? 10.0 : 6.0;
    if (vendor.find("AMD") != std::string::npos) return family >= 0x1A ? 32.0 : family == 0x19 ? 24.0 : 16.0;
    return amd ? 16.0 : 10.0;
  }

  int cpu(const XmlElement& e) {
    const std::string numa = e.get("numaid", std::to_string(cpuCount_));
    ++cpuCount_;
    std::string detail = e.get("vendor");
    if (e.find("model")) detail += (detail.empty() ? "" : " ") + e.get("model");
    if (e.find("arch")) detail += (detail.empty() ? "" : " ") + e.get("arch");
    int node = addNode(NodeKind::Cpu, "CPU" + numa, "", detail, e.line);
    interconnect_[node] = interconnectBandwidth(e);
    children(e, node);
    return node;
  }

  void children(const XmlElement& e, int parent) {
    for (const XmlElement& child : e.children) {
      if (child.tag == "pci") pci(child, parent);
      else if (child.tag == "nic") nic(child, parent, 0);
    }
  }

  void pci(const XmlElement& e, int parent) {
    const std::string busId = e.get("busid");
    if (busId.empty()) failAt(file_, e.line, "<pci> without busid");
    number(e, "link_width", 0, file_);  // rejects negative or non-numeric widths
    double bw = pcieBandwidth(e.get("link_speed"), e.get("link_width"));
    if (bw <= 0) {
      bw = linkKindInfo(LinkKind::PCIe).linkBandwidth;
      if (!assumedPcie_)
        g_.notes.push_back("PCIe link speed or width unknown for some devices: assumed " +
                           std::to_string(static_cast<int>(bw)) + " GB/s (Gen3 x16)");
      assumedPcie_ = true;
    }
    const double lat = linkKindInfo(LinkKind::PCIe).latencyUs;
    for (const XmlElement& child : e.children) {
      if (child.tag == "gpu" || child.tag == "accel") {
        int node = accelerator(child, busId);
        addLink(parent, node, LinkKind::PCIe, bw, lat);
        return;
      }
    }
    bool hasPci = std::any_of(e.children.begin(), e.children.end(), [](const XmlElement& c) { return c.tag == "pci"; });
    std::string detail = e.get("class");
    int node = addNode(hasPci ? NodeKind::PciSwitch : NodeKind::PciDevice, (hasPci ? "PCI switch " : "PCI ") + busId,
                       busId, detail, e.line);
    addLink(parent, node, LinkKind::PCIe, bw, lat);
    for (const XmlElement& child : e.children) {
      if (child.tag == "pci") pci(child, node);
      else if (child.tag == "nic") nic(child, node, bw);
    }
  }

  int accelerator(const XmlElement& e, const std::string& busId) {
    const bool nvidia = e.tag == "gpu";
    const std::string vendor = nvidia ? "nvidia" : e.get("vendor", "unknown");
    const std::string dev = e.get("dev", std::to_string(acceleratorCount_));
    ++acceleratorCount_;
    std::string name = e.get("name", acceleratorPrefix(vendor) + dev);
    std::string detail =
        nvidia ? "NVIDIA sm_" + e.get("sm", "?") : vendor + (e.find("model") ? " " + e.get("model") : "");
    int node = addNode(NodeKind::Accelerator, name, busId, detail, e.line);
    const double sm = number(e, "sm", 0, file_);
    for (const XmlElement& l : e.children) {
      if (l.tag == "nvlink") {
        // NCCL's element: per-link bandwidth by generation (NVLink1 20 GB/s, later 25 GB/s per direction).
        double perLink = sm > 0 && sm < 70 ? 20.0 : 25.0;
        int count = linkCount(l, file_);
        pending_.push_back({node, lowercase(l.get("target")), LinkKind::NVLink, count,
                            number(l, "bw", perLink * count, file_), linkKindInfo(LinkKind::NVLink).latencyUs,
                            l.get("tclass"), l.line});
      } else if (l.tag == "link") {
        LinkKind kind;
        if (!parseLinkKind(lowercase(l.get("type")), kind) || !isVendorLink(kind))
          failAt(file_, l.line,
                 "<link> type=\"" + l.get("type") +
                     "\" is not a vendor link (nvlink, hccs, mlulink, metaxlink, mtlink, xgmi, roce)");
        int count = linkCount(l, file_);
        double bw = number(l, "bw", linkKindInfo(kind).linkBandwidth * count, file_);
        pending_.push_back({node, lowercase(l.get("target")), kind, count, bw,
                            number(l, "lat", linkKindInfo(kind).latencyUs, file_), l.get("tclass"), l.line});
      }
    }
    return node;
  }

  void nic(const XmlElement& e, int parent, double pciBandwidth) {
    for (const XmlElement& net : e.children) {
      if (net.tag != "net") continue;
      double speed = number(net, "speed", 0, file_);  // Mb/s, as NCCL writes it
      std::string name = net.get("name", "net" + std::to_string(nicCount_));
      if (speed <= 0) {
        speed = 10000;
        g_.notes.push_back("speed of " + name + " unknown: assumed 10 Gb/s");
      }
      ++nicCount_;
      std::string detail = std::to_string(static_cast<long>(speed / 1000)) + " Gb/s";
      if (net.find("link_layer")) detail += " " + net.get("link_layer");
      int node = addNode(NodeKind::Nic, name, "", detail, net.line);
      g_.nodes[node].bandwidth = speed / 8000.0;
      nicBandwidth_.push_back({node, speed / 8000.0});
      double toHost = pciBandwidth > 0 ? pciBandwidth : speed / 8000.0;
      addLink(parent, node, LinkKind::PCIe, toHost, linkKindInfo(LinkKind::PCIe).latencyUs);
    }
  }

  void resolvePending() {
    for (const PendingLink& p : pending_) {
      if (p.bandwidth <= 0) failAt(file_, p.line, "link bandwidth must be positive");
      auto it = byBusId_.find(p.target);
      int target;
      if (it != byBusId_.end()) {
        target = it->second;
      } else if (p.targetClass == "0x068000" || p.targetClass == "0x068001") {
        // NVSwitches, named only by the links that reach them, act as one switch (as in NCCL): a GPU's links to
        // all of them add up.
        if (linkSwitch_ < 0) linkSwitch_ = addNode(NodeKind::LinkSwitch, "NVSwitch", "", "link switch", p.line);
        target = linkSwitch_;
        auto existing = std::find_if(g_.links.begin(), g_.links.end(),
                                     [&](const Link& l) { return l.kind == p.kind && l.a == p.from && l.b == target; });
        if (existing != g_.links.end()) {
          existing->count += p.count;
          existing->bandwidth += p.bandwidth;
          continue;
        }
      } else {
        failAt(
            file_, p.line,
            "link target " + (p.target.empty() ? std::string("(none)") : p.target) + " is not a device in this system");
      }
      if (target == p.from) failAt(file_, p.line, "link from a device to itself");
      // Links are listed at both ends in NCCL files: keep one per pair and kind.
      bool duplicate = std::any_of(g_.links.begin(), g_.links.end(), [&](const Link& l) {
        return l.kind == p.kind && ((l.a == p.from && l.b == target) || (l.a == target && l.b == p.from));
      });
      if (!duplicate) addLink(p.from, target, p.kind, p.bandwidth, p.latency, p.count);
    }
  }

  void connectNetwork() {
    if (nicBandwidth_.empty()) return;
    g_.nodes.push_back({NodeKind::Fabric, "network", "", "", -1, 0});
    int fabric = static_cast<int>(g_.nodes.size()) - 1;
    for (auto [nic, bw] : nicBandwidth_)
      addLink(nic, fabric, LinkKind::Network, bw, linkKindInfo(LinkKind::Network).latencyUs);
  }

  const std::string& file_;
  Graph g_;
  std::map<std::string, int> byBusId_;
  std::map<int, double> interconnect_;  // CPU node -> its interconnect's figure (interconnectBandwidth)
  std::vector<PendingLink> pending_;
  std::vector<std::pair<int, double>> nicBandwidth_;
  int host_ = 0, cpuCount_ = 0, acceleratorCount_ = 0, nicCount_ = 0;
  int linkSwitch_ = -1;  // the host's NVSwitch fabric, once a link names it
  bool assumedPcie_ = false;
};

}  // namespace

const LinkKindInfo& linkKindInfo(LinkKind kind) { return kInfos[static_cast<int>(kind)]; }

bool parseLinkKind(const std::string& name, LinkKind& kind) {
  for (int i = 0; i < kLinkKinds; ++i)
    if (name == kInfos[i].name) {
      kind = static_cast<LinkKind>(i);
      return true;
    }
  return false;
}

bool isVendorLink(LinkKind kind) {
  return kind != LinkKind::PCIe && kind != LinkKind::CpuInterconnect && kind != LinkKind::Network;
}

double pcieBandwidth(const std::string& linkSpeed, const std::string& linkWidth) {
  double rate = std::atof(linkSpeed.c_str());  // GT/s per lane
  double width = std::atof(linkWidth.c_str());
  if (rate <= 0 || width <= 0) return 0;
  // Gen1/2 encode 8b/10b, Gen3 and later 128b/130b.
  double perLane = rate <= 5.0 ? rate * 0.8 / 8 : rate * 128.0 / 130.0 / 8;
  return perLane * width;
}

std::vector<int> Graph::endpoints() const {
  std::vector<int> accelerators, cpus, nics;
  for (int i = 0; i < static_cast<int>(nodes.size()); ++i) {
    if (nodes[i].kind == NodeKind::Accelerator) accelerators.push_back(i);
    else if (nodes[i].kind == NodeKind::Cpu) cpus.push_back(i);
    else if (nodes[i].kind == NodeKind::Nic) nics.push_back(i);
  }
  std::vector<int> result = accelerators.empty() ? cpus : accelerators;
  result.insert(result.end(), nics.begin(), nics.end());
  return result;
}

std::vector<int> Graph::nodesOn(int host, NodeKind kind) const {
  std::vector<int> result;
  for (int i = 0; i < static_cast<int>(nodes.size()); ++i)
    if (nodes[i].host == host && nodes[i].kind == kind) result.push_back(i);
  return result;
}

Graph buildGraph(const XmlElement& root, const std::string& fileName) { return Builder(fileName).build(root); }

}  // namespace braid::topo
