#include "cli/doctor_checks.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "algorithms/planner/effective_bandwidth.h"
#include "transports/shm/shm_fifo.h"

namespace braid::cli {
namespace {

using nlohmann::json;

std::string number(double value, int digits = 3) {
  char text[32];
  std::snprintf(text, sizeof text, "%.*g", digits, value);
  return text;
}

std::string listed(const std::vector<int>& values) {
  std::string out;
  for (size_t i = 0; i < values.size(); ++i)
    out += (i == 0 ? "" : i + 1 == values.size() ? " and " : ", ") + std::to_string(values[i]);
  return out;
}

// The ranks by `key` of each (its boot id, its host, ...), in key order.
template <class KeyOf>
auto groupRanks(const json& ranks, KeyOf keyOf) {
  std::map<decltype(keyOf(ranks.front())), std::vector<const json*>> groups;
  for (const json& r : ranks) groups[keyOf(r)].push_back(&r);
  return groups;
}

std::string hostName(const topo::Graph& g, int host) {
  return "host " + std::to_string(host) +
         (host < static_cast<int>(g.hosts.size()) ? " (" + g.hosts[host] + ")" : std::string());
}

// What a host's link should carry on one connection: its fastest NIC in the topology, at what NCCL sustains
// on it; where the topology has no NIC for it, the fastest interface that is up as its rank's OS reports it.
struct LinkRate {
  std::string name;  // "eth0, 0.4 Gb/s in the topology"
  double gbps = 0;   // line rate, GB/s; 0: unknown
};

LinkRate linkRate(const topo::Graph& g, int host, const json& rankFacts) {
  LinkRate best;
  if (host < static_cast<int>(g.hosts.size()))
    for (int n : g.nodesOn(host, topo::NodeKind::Nic))
      if (g.nodes[n].bandwidth > best.gbps)
        best = {g.nodes[n].name + ", " + number(g.nodes[n].bandwidth * 8) + " Gb/s in the topology",
                g.nodes[n].bandwidth};
  if (best.gbps > 0 || rankFacts.is_null()) return best;
  for (const json& i : rankFacts.at("network").at("interfaces")) {
    const double gbps = i.at("speed_mbps").get<double>() / 8000;
    if (i.at("up") && gbps > best.gbps)
      best = {i.at("name").get<std::string>() + ", " + number(gbps * 8) +
                  " Gb/s as its OS reports it; no NIC in the topology",
              gbps};
  }
  return best;
}

void slowLinks(const json& sweep, const json& ranks, const topo::Graph& g, const CheckLimits& limits,
               std::vector<Finding>& out) {
  auto factsOf = [&](int rank) { return rank < static_cast<int>(ranks.size()) ? ranks[rank] : json(); };
  for (const json& link : sweep.value("links", json::array())) {
    const int from = link.at("from_host"), to = link.at("to_host");
    const LinkRate sender = linkRate(g, from, factsOf(link.at("from_rank"))),
                   receiver = linkRate(g, to, factsOf(link.at("to_rank")));
    if (sender.gbps <= 0 || receiver.gbps <= 0) continue;
    const double expected = planner::effectiveNicGBps(std::min(sender.gbps, receiver.gbps));
    const double measured = link.at("GBps"), share = measured / expected;
    if (share >= limits.slowLink) continue;
    out.push_back({"slow-link",
                   hostName(g, from) + "'s network link (" + sender.name + ") sends at " + number(measured) +
                       " GB/s to " + hostName(g, to) + ", " + number(100 * share, 2) + "% of the " + number(expected) +
                       " GB/s it should: check that port's negotiated speed, cable and switch port (or " +
                       hostName(g, to) + "'s receiving side)",
                   1 - share});
  }
}

void slowRanks(const json& ranks, const CheckLimits& limits, std::vector<Finding>& out) {
  for (const json& r : ranks) {
    if (!r.contains("compute_GBps")) return;
    std::vector<double> others;
    for (const json& o : ranks)
      if (o.at("rank") != r.at("rank")) others.push_back(o.at("compute_GBps"));
    if (others.empty()) return;
    std::sort(others.begin(), others.end());
    const double median = others[others.size() / 2], mine = r.at("compute_GBps"), share = mine / median;
    if (share >= limits.slowRank) continue;
    std::vector<int> cpus = r.at("placement").at("cpus");
    out.push_back({"slow-rank",
                   "rank " + std::to_string(r.at("rank").get<int>()) + " (host " +
                       std::to_string(r.at("host").get<int>()) + ", pid " + std::to_string(r.at("pid").get<long>()) +
                       ") computes at " + number(mine) + " GB/s, " + number(100 * share, 2) +
                       "% of the other ranks' median " + number(median) +
                       ": something else runs on its core (it may run on CPU " + listed(cpus) +
                       "); every collective waits for it",
                   1 - share});
  }
}

// Ranks that share a machine and a network namespace could share memory; the library put them on different
// hosts only because their host ids differ.
void socketsWithinAHost(const json& ranks, std::vector<Finding>& out) {
  const auto machines = groupRanks(ranks, [](const json& r) {
    return r.at("boot_id").get<std::string>() + " " + r.at("net_namespace").get<std::string>();
  });
  for (const auto& [machine, members] : machines) {
    std::set<int> hosts;
    for (const json* r : members) hosts.insert(r->at("host").get<int>());
    if (hosts.size() < 2) continue;
    std::vector<int> rankList;
    std::string ids;
    for (const json* r : members) {
      rankList.push_back(r->at("rank"));
      const std::string id = r->at("host_id");
      ids += (ids.empty() ? "" : ", ") + (id.empty() ? std::string("(none)") : "'" + id + "'");
    }
    out.push_back({"sockets-within-a-host",
                   "ranks " + listed(rankList) + " run on one machine (" +
                       members.front()->at("hostname").get<std::string>() +
                       ", same boot id and network namespace) but the library put them on " +
                       std::to_string(hosts.size()) + " hosts, because their host ids differ (BRAID_HOSTID " + ids +
                       "): they talk over sockets instead of shared memory. Give them one BRAID_HOSTID, or none",
                   0.9});
  }
}

void sharedCores(const json& ranks, std::vector<Finding>& out) {
  const auto machines = groupRanks(ranks, [](const json& r) { return r.at("boot_id").get<std::string>(); });
  for (const auto& [boot, members] : machines) {
    std::set<int> cpus;
    for (const json* r : members)
      for (int c : r->at("placement").at("cpus")) cpus.insert(c);
    if (cpus.empty() || members.size() <= cpus.size()) continue;
    std::vector<int> rankList;
    for (const json* r : members) rankList.push_back(r->at("rank"));
    out.push_back({"shared-cores",
                   std::to_string(members.size()) + " ranks (" + listed(rankList) + ") share " +
                       std::to_string(cpus.size()) + " CPUs on " + members.front()->at("hostname").get<std::string>() +
                       ": every hand-off between ranks may wait for the scheduler. Run at most one rank per core",
                   1 - static_cast<double>(cpus.size()) / static_cast<double>(members.size())});
  }
}

// What a communicator's shared-memory FIFOs take on a host of L ranks: one FIFO per ordered pair of ranks, of
// BRAID_SHM_SLOTS x BRAID_SHM_SLOT_BYTES (as the transport reads them here: 8 x 256 KiB by default), per channel.
void smallShm(const json& ranks, std::vector<Finding>& out) {
  const ShmFifoGeometry fifo = ShmFifoGeometry::fromEnv();
  const auto hosts = groupRanks(ranks, [](const json& r) { return r.at("host").get<int>(); });
  for (const auto& [host, members] : hosts) {
    const double local = static_cast<double>(members.size());
    if (members.size() < 2) continue;
    const double need = local * (local - 1) * static_cast<double>(fifo.slots * fifo.slotBytes);
    double free = -1;
    for (const json* r : members) {
      const double f = r->at("shm_free_bytes");
      if (f >= 0 && (free < 0 || f < free)) free = f;
    }
    if (free < 0 || free >= need) continue;
    out.push_back({"small-shm",
                   "/dev/shm on host " + std::to_string(host) + " has " + number(free / 1048576) +
                       " MiB free, less than the " + number(need / 1048576) + " MiB the FIFOs of its " +
                       std::to_string(members.size()) +
                       " ranks take: another communicator will not fit. Enlarge it (docker --shm-size, mount -o "
                       "remount,size=)",
                   0.8});
  }
}

// BRAID_SOCKET_IFNAME / NCCL_SOCKET_IFNAME names interfaces by prefix ("=eth0" exactly), "^" excluding.
void interfaceChoice(const json& ranks, bool severalHosts, std::vector<Finding>& out) {
  if (!severalHosts) return;
  std::set<std::string> said;
  for (const json& r : ranks) {
    const std::string wanted = r.at("network").at("socket_ifname");
    if (wanted.empty() || wanted[0] == '^' || !said.insert(r.at("hostname").get<std::string>() + wanted).second)
      continue;
    const bool exact = wanted[0] == '=';
    std::vector<std::string> prefixes;
    std::stringstream in(exact ? wanted.substr(1) : wanted);
    for (std::string p; std::getline(in, p, ',');) prefixes.push_back(p);
    long chosen = -1, fastest = -1;
    std::string fastestName;
    bool found = false;
    for (const json& i : r.at("network").at("interfaces")) {
      const std::string name = i.at("name");
      const long speed = i.at("speed_mbps");
      const bool up = i.at("up");
      const bool match = std::any_of(prefixes.begin(), prefixes.end(),
                                     [&](const std::string& p) { return exact ? name == p : name.rfind(p, 0) == 0; });
      if (match && up) found = true, chosen = std::max(chosen, speed);
      if (!match && up && speed > fastest) fastest = speed, fastestName = name;
    }
    const std::string rank = "rank " + std::to_string(r.at("rank").get<int>());
    if (!found) {
      out.push_back({"interface",
                     rank + ": BRAID_SOCKET_IFNAME/NCCL_SOCKET_IFNAME '" + wanted +
                         "' matches no interface that is up on " + r.at("hostname").get<std::string>(),
                     0.7});
    } else if (chosen > 0 && fastest > chosen) {
      out.push_back({"interface",
                     rank + ": BRAID_SOCKET_IFNAME/NCCL_SOCKET_IFNAME '" + wanted + "' picks " +
                         std::to_string(chosen) + " Mb/s while " + fastestName + " runs at " + std::to_string(fastest) +
                         " Mb/s",
                     1 - static_cast<double>(chosen) / static_cast<double>(fastest)});
    }
  }
}

void numaCrossing(const json& ranks, std::vector<Finding>& out) {
  for (const json& r : ranks) {
    std::vector<int> nodes = r.at("placement").at("numa_nodes");
    if (nodes.size() < 2) continue;
    out.push_back({"numa",
                   "rank " + std::to_string(r.at("rank").get<int>()) + " may run on NUMA nodes " + listed(nodes) +
                       ": its buffers and its peers' may sit across the socket link. Bind each rank "
                       "within one NUMA node (mpirun --bind-to numa, numactl)",
                   0.3});
  }
}

}  // namespace

std::vector<Finding> checkCauses(const json& sweep, const topo::Graph& topology, const CheckLimits& limits) {
  std::vector<Finding> out;
  const json ranks = sweep.value("ranks", json::array());
  std::set<int> hosts;
  for (const json& r : ranks) hosts.insert(r.at("host").get<int>());
  slowLinks(sweep, ranks, topology, limits, out);
  slowRanks(ranks, limits, out);
  socketsWithinAHost(ranks, out);
  sharedCores(ranks, out);
  smallShm(ranks, out);
  interfaceChoice(ranks, hosts.size() > 1, out);
  numaCrossing(ranks, out);
  std::stable_sort(out.begin(), out.end(), [](const Finding& a, const Finding& b) { return a.severity > b.severity; });
  return out;
}

}  // namespace braid::cli
