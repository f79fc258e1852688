#include "runtime/cluster_topology.h"

#include <algorithm>
#include <fstream>
#include <vector>

#include "base/error.h"
#include "base/log.h"
#include "base/params.h"
#include "runtime/communicator.h"
#include "topology/discovery.h"
#include "topology/graph.h"
#include "topology/ring_order.h"

namespace braid {
namespace {

const param::Text kTopoFile{"TOPO_FILE",
                            param::kNcclAlias,
                            "path",
                            "a readable topology XML file",
                            param::readableFile,
                            "/nonexistent/topo.xml",
                            "read this host's topology from a file (NCCL's format or Braid's "
                            "superset); rings then follow its accelerators"};
const param::Text kTopoDumpFile{"TOPO_DUMP_FILE",
                                param::kNcclAlias,
                                "path",
                                "a file to write",
                                param::writablePath,
                                "/nonexistent/topo.xml",
                                "rank 0 writes the fused cluster topology there"};

// This rank's host, as "OK" + XML, or "ER" + what went wrong (so that every rank learns of a bad file).
std::string describeHost() {
  try {
    auto file = kTopoFile.get();
    topo::XmlElement system = file ? topo::loadXmlFile(*file) : topo::discoverHost();
    topo::buildGraph(system, file ? *file : "discovery");  // checks it before anyone relies on it
    return "OK" + topo::writeXml(system);
  } catch (const topo::TopologyError& e) {
    return std::string("ER") + e.what();
  }
}

}  // namespace

bool clusterTopologyRequested() { return kTopoFile.get() || kTopoDumpFile.get(); }

std::shared_ptr<const topo::XmlElement> buildClusterTopology(ncclComm* comm) {
  Bootstrap& b = *comm->bootstrap;
  const std::string mine = describeHost();
  std::vector<uint64_t> lengths(comm->nranks);
  lengths[comm->rank] = mine.size();
  b.allGather(lengths.data(), sizeof(uint64_t));
  const size_t block = *std::max_element(lengths.begin(), lengths.end());
  std::vector<char> all(block * comm->nranks);
  std::copy(mine.begin(), mine.end(), all.begin() + static_cast<long>(block * comm->rank));
  b.allGather(all.data(), block);

  auto cluster = std::make_shared<topo::XmlElement>(topo::XmlElement{"cluster", {{"version", "1"}}, {}, 0});
  std::vector<uint64_t> hostsSeen;
  for (int r = 0; r < comm->nranks; ++r) {
    std::string text(all.data() + block * r, lengths[r]);
    if (text.compare(0, 2, "ER") == 0)
      fail(ncclInvalidUsage, "topology of rank " + std::to_string(r) + ": " + text.substr(2));
    const PeerInfo& peer = b.peers()[r];
    if (std::find(hostsSeen.begin(), hostsSeen.end(), peer.hostHash) != hostsSeen.end()) continue;
    hostsSeen.push_back(peer.hostHash);
    topo::XmlElement system = topo::parseXml(text.substr(2), "rank " + std::to_string(r));
    system.set("name", peer.hostname);
    system.set("first_rank", std::to_string(r));
    cluster->children.push_back(std::move(system));
  }
  if (comm->rank == 0) {
    if (auto dump = kTopoDumpFile.get()) {
      std::ofstream out(*dump);
      out << topo::writeXml(cluster->children.size() == 1 ? cluster->children.front() : *cluster);
      if (!out) BRAID_WARN("GRAPH", "cannot write the topology to %s", dump->c_str());
    }
  }
  BRAID_INFO("GRAPH", "cluster topology: %zu host(s)", cluster->children.size());
  return cluster;
}

int acceleratorRingPosition(const topo::XmlElement& cluster, int firstRank, int localIndex, int localRanks) {
  for (const topo::XmlElement& system : cluster.children) {
    if (system.get("first_rank") != std::to_string(firstRank)) continue;
    const std::vector<int> positions =
        topo::acceleratorRingPositions(topo::buildGraph(system, "topology of " + system.get("name")));
    return static_cast<int>(positions.size()) >= localRanks ? positions[localIndex] : -1;
  }
  return -1;
}

}  // namespace braid
