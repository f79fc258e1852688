#include "topology/render.h"

#include <cmath>
#include <cstdio>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace braid::topo {
namespace {

std::string gbps(double bandwidth) {
  if (std::isinf(bandwidth)) return "inf";
  char text[32];
  std::snprintf(text, sizeof text, "%.4g", bandwidth);
  return text;
}

void tree(std::ostringstream& out, const XmlElement& e, int depth) {
  out << std::string(static_cast<size_t>(depth) * 2, ' ') << e.tag;
  for (const auto& [key, value] : e.attributes) out << ' ' << key << '=' << value;
  out << '\n';
  for (const XmlElement& child : e.children) tree(out, child, depth + 1);
}

const char* kLegend =
    "Legend:\n"
    "  X    = Self\n"
    "  SYS  = Path traverses PCIe and the interconnect between CPUs (NUMA nodes)\n"
    "  PHB  = Path traverses PCIe and a PCIe host bridge (one CPU)\n"
    "  PXB  = Path traverses several PCIe switches, no host bridge\n"
    "  PIX  = Path traverses at most one PCIe switch\n"
    "  PXN  = Path over a vendor link to another accelerator, then its PCIe (as NCCL's PXN)\n"
    "  NV#  = Path over # NVLinks;  HCCS, MLU (MLU-Link), MXL (MetaXLink), MTL (MTLink), XGMI, ROCE (scale-up\n"
    "         Ethernet) = vendor links\n"
    "  NET  = Path through the network (another host)\n";

// What was assumed while building the graph, one comment line each.
std::string assumptions(const Graph& graph) {
  std::string text;
  for (const std::string& note : graph.notes) text += "# assumed: " + note + "\n";
  return text;
}

}  // namespace

std::string renderText(const XmlElement& root, const Graph& graph) {
  std::ostringstream out;
  tree(out, root, 0);
  out << assumptions(graph);
  return out.str();
}

std::string renderMatrix(const Graph& graph, const PathTable& paths) {
  const std::vector<int>& ends = paths.endpoints();
  size_t width = 6;
  for (int e : ends) width = std::max(width, graph.nodes[e].name.size() + 2);
  std::ostringstream out;
  out << std::left << std::setw(static_cast<int>(width)) << "";
  for (int e : ends) out << std::setw(static_cast<int>(width)) << graph.nodes[e].name;
  out << "Nearest NICs\n";
  for (int a : ends) {
    out << std::setw(static_cast<int>(width)) << graph.nodes[a].name;
    for (int b : ends) out << std::setw(static_cast<int>(width)) << (a == b ? "X" : paths.between(a, b).pathClass);
    std::string nics;
    if (graph.nodes[a].kind != NodeKind::Nic)
      for (int n : paths.nearestNics(a)) nics += (nics.empty() ? "" : ",") + graph.nodes[n].name;
    out << nics << '\n';
  }
  out << '\n' << kLegend << assumptions(graph);
  return out.str();
}

std::string renderDot(const Graph& graph) {
  std::ostringstream out;
  out << "graph topology {\n  graph [overlap=false, splines=true, fontname=\"Helvetica\"];\n"
         "  node [fontname=\"Helvetica\", fontsize=10];\n  edge [fontname=\"Helvetica\", fontsize=8];\n";
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    const Node& n = graph.nodes[i];
    const char* shape = "box";
    const char* fill = "white";
    switch (n.kind) {
      case NodeKind::Cpu: shape = "box3d", fill = "lightyellow"; break;
      case NodeKind::PciSwitch: shape = "diamond", fill = "gray90"; break;
      case NodeKind::PciDevice: shape = "box", fill = "gray95"; break;
      case NodeKind::Accelerator: shape = "box", fill = "palegreen"; break;
      case NodeKind::Nic: shape = "hexagon", fill = "lightblue"; break;
      case NodeKind::LinkSwitch: shape = "doubleoctagon", fill = "khaki"; break;
      case NodeKind::Fabric: shape = "ellipse", fill = "aliceblue"; break;
    }
    std::string label = n.name + (n.detail.empty() ? "" : "\\n" + n.detail);
    if (graph.hosts.size() > 1 && n.host >= 0) label += "\\n" + graph.hosts[n.host];
    out << "  n" << i << " [label=\"" << label << "\", shape=" << shape << ", style=filled, fillcolor=" << fill
        << "];\n";
  }
  for (const Link& l : graph.links) {
    const LinkKindInfo& info = linkKindInfo(l.kind);
    out << "  n" << l.a << " -- n" << l.b << " [color=" << info.color << ", fontcolor=" << info.color
        << (isVendorLink(l.kind) ? ", penwidth=2" : "") << ", label=\"" << info.name << " " << gbps(l.bandwidth)
        << " GB/s\"];\n";
  }
  out << "}\n";
  return out.str();
}

std::string renderJson(const Graph& graph, const PathTable& paths) {
  static const char* kinds[] = {"cpu", "pci_switch", "pci_device", "accelerator", "nic", "link_switch", "fabric"};
  nlohmann::json doc;
  doc["hosts"] = graph.hosts;
  doc["notes"] = graph.notes;
  for (const Node& n : graph.nodes)
    doc["nodes"].push_back({{"name", n.name},
                            {"kind", kinds[static_cast<int>(n.kind)]},
                            {"busid", n.busId},
                            {"detail", n.detail},
                            {"host", n.host}});
  for (const Link& l : graph.links)
    doc["links"].push_back({{"a", graph.nodes[l.a].name},
                            {"b", graph.nodes[l.b].name},
                            {"kind", linkKindInfo(l.kind).name},
                            {"bandwidth_GBps", l.bandwidth},
                            {"latency_us", l.latency},
                            {"count", l.count}});
  for (int a : paths.endpoints())
    for (int b : paths.endpoints()) {
      if (a == b) continue;
      const Path& p = paths.between(a, b);
      nlohmann::json hops = nlohmann::json::array();
      for (int h : p.hops) hops.push_back(graph.nodes[h].name);
      doc["paths"].push_back({{"from", graph.nodes[a].name},
                              {"to", graph.nodes[b].name},
                              {"class", p.pathClass},
                              {"bandwidth_GBps", p.bandwidth},
                              {"latency_us", p.latency},
                              {"hops", hops}});
    }
  for (int a : paths.endpoints()) {
    if (graph.nodes[a].kind == NodeKind::Nic) continue;
    nlohmann::json nics = nlohmann::json::array();
    for (int n : paths.nearestNics(a)) nics.push_back(graph.nodes[n].name);
    doc["nearest_nics"][graph.nodes[a].name] = nics;
  }
  return doc.dump(2) + "\n";
}

}  // namespace braid::topo
