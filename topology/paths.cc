#include "topology/paths.h"

#include <algorithm>
#include <limits>
#include <queue>
#include <tuple>

namespace braid::topo {
namespace {

struct Adjacent {
  int node;
  int link;
};

std::string classify(const Graph& g, const std::vector<int>& hops, const std::vector<int>& links) {
  if (hops.size() == 1) return "LOC";
  bool allVendor = true;
  int cpus = 0, switches = 0, nvlinks = 0;
  for (int l : links) {
    const Link& link = g.links[l];
    if (link.kind == LinkKind::Network) return "NET";
    if (!isVendorLink(link.kind)) allVendor = false;
    if (link.kind == LinkKind::NVLink) nvlinks = std::max(nvlinks, link.count);
  }
  if (allVendor) {
    const Link& first = g.links[links.front()];
    if (first.kind == LinkKind::NVLink) return "NV" + std::to_string(nvlinks);
    return linkKindInfo(first.kind).pathClass;
  }
  // A vendor link to another accelerator, then that accelerator's PCIe (NCCL's PXN: "PCI x NVLink").
  if (std::any_of(links.begin(), links.end(), [&](int l) { return isVendorLink(g.links[l].kind); })) return "PXN";
  // A CPU at either end counts as crossed: NCCL (paths.cc) makes any path over a PCIe link that touches a CPU PHB
  // and one over the CPU interconnect SYS, so two CPUs joined directly are SYS, a CPU and a device under it PHB.
  for (size_t i = 0; i < hops.size(); ++i) {
    NodeKind k = g.nodes[hops[i]].kind;
    cpus += k == NodeKind::Cpu;
    switches += k == NodeKind::PciSwitch && i > 0 && i + 1 < hops.size();
  }
  if (cpus >= 2) return "SYS";
  if (cpus == 1) return "PHB";
  return switches <= 1 ? "PIX" : "PXB";
}

}  // namespace

PathTable::PathTable(const Graph& g) : graph_(g), endpoints_(g.endpoints()), slot_(g.nodes.size(), -1) {
  for (size_t i = 0; i < endpoints_.size(); ++i) slot_[endpoints_[i]] = static_cast<int>(i);
  std::vector<std::vector<Adjacent>> adjacency(g.nodes.size());
  for (size_t l = 0; l < g.links.size(); ++l) {
    adjacency[g.links[l].a].push_back({g.links[l].b, static_cast<int>(l)});
    adjacency[g.links[l].b].push_back({g.links[l].a, static_cast<int>(l)});
  }
  paths_.assign(endpoints_.size(), std::vector<Path>(endpoints_.size()));
  const double inf = std::numeric_limits<double>::infinity();
  struct Search {
    std::vector<double> width, latency;
    std::vector<int> via, viaLink;
  };
  // Widest path first, then lowest latency: Dijkstra on (bandwidth descending, latency ascending).
  // Only accelerators relay traffic of accelerators (over their vendor links, as NCCL's PXN does); the network
  // carries only traffic between hosts; `vendorOnly` keeps to vendor links and link switches.
  enum class Reach { VendorOnly, Host, Network };
  auto search = [&](int source, Reach reach) {
    Search r{std::vector<double>(g.nodes.size(), 0), std::vector<double>(g.nodes.size(), inf),
             std::vector<int>(g.nodes.size(), -1), std::vector<int>(g.nodes.size(), -1)};
    using Entry = std::tuple<double, double, int>;  // -width, latency, node
    std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> queue;
    r.width[source] = inf;
    r.latency[source] = 0;
    queue.emplace(-inf, 0, source);
    while (!queue.empty()) {
      auto [negWidth, lat, node] = queue.top();
      queue.pop();
      if (-negWidth < r.width[node] || (-negWidth == r.width[node] && lat > r.latency[node])) continue;
      if (g.nodes[node].kind == NodeKind::Fabric && reach != Reach::Network) continue;
      if (node != source && g.nodes[node].kind == NodeKind::Accelerator &&
          g.nodes[source].kind != NodeKind::Accelerator)
        continue;
      for (const Adjacent& a : adjacency[node]) {
        const Link& link = g.links[a.link];
        if (reach == Reach::VendorOnly && !isVendorLink(link.kind)) continue;
        double w = std::min(r.width[node], link.bandwidth), l = r.latency[node] + link.latency;
        if (w > r.width[a.node] || (w == r.width[a.node] && l < r.latency[a.node])) {
          r.width[a.node] = w, r.latency[a.node] = l, r.via[a.node] = node, r.viaLink[a.node] = a.link;
          queue.emplace(-w, l, a.node);
        }
      }
    }
    return r;
  };
  for (size_t s = 0; s < endpoints_.size(); ++s) {
    const int source = endpoints_[s];
    // As NCCL: accelerators use vendor links whenever those reach the peer; otherwise the widest path within
    // the host; devices of different hosts go through the network.
    const bool accelerator = g.nodes[source].kind == NodeKind::Accelerator;
    const Search vendor = accelerator ? search(source, Reach::VendorOnly) : Search{};
    const Search local = search(source, Reach::Host);
    const Search remote = g.hosts.size() > 1 ? search(source, Reach::Network) : local;
    for (size_t t = 0; t < endpoints_.size(); ++t) {
      Path& p = paths_[s][t];
      const int target = endpoints_[t];
      const bool sameHost = g.nodes[target].host == g.nodes[source].host;
      const bool overVendor =
          accelerator && g.nodes[target].kind == NodeKind::Accelerator && target != source && vendor.via[target] >= 0;
      const Search& r = overVendor ? vendor : sameHost ? local : remote;
      if (target != source && r.via[target] < 0) {
        p.pathClass = "-";  // unreachable
        continue;
      }
      for (int n = target; n != source; n = r.via[n]) p.hops.push_back(n), p.links.push_back(r.viaLink[n]);
      p.hops.push_back(source);
      std::reverse(p.hops.begin(), p.hops.end());
      std::reverse(p.links.begin(), p.links.end());
      p.bandwidth = target == source ? inf : r.width[target];
      p.latency = r.latency[target];
      p.pathClass = classify(g, p.hops, p.links);
    }
  }
}

const Path& PathTable::between(int from, int to) const { return paths_[slot_[from]][slot_[to]]; }

std::vector<int> PathTable::nearestNics(int device) const {
  std::vector<int> best;
  double bestWidth = -1, bestLatency = 0;
  for (int e : endpoints_) {
    if (graph_.nodes[e].kind != NodeKind::Nic || e == device) continue;
    const Path& p = between(device, e);
    if (p.hops.empty()) continue;
    if (p.bandwidth > bestWidth || (p.bandwidth == bestWidth && p.latency < bestLatency)) {
      best.assign(1, e), bestWidth = p.bandwidth, bestLatency = p.latency;
    } else if (p.bandwidth == bestWidth && p.latency == bestLatency) {
      best.push_back(e);
    }
  }
  return best;
}

}  // namespace braid::topo
