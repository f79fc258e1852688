// BRAID_TOPO_FILE / BRAID_TOPO_DUMP_FILE: ranks of two emulated hosts fuse one cluster view; a bad file fails
// init on every rank with the file, line and problem; rings follow the file's accelerators.
#include <gtest/gtest.h>

#include <unistd.h>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <vector>

#include "fork_ranks.h"
#include "nccl.h"
#include "runtime/communicator.h"
#include "topology/graph.h"
#include "topology/paths.h"
#include "topology/presets.h"

namespace braid {
namespace {

// Per-process names, so that concurrent runs of the suite (two checkouts, CI) never share files.
std::string scratchPath(const std::string& name) {
  return ::testing::TempDir() + "braid-" + std::to_string(getpid()) + "-" + name;
}

TEST(ClusterTopology, RanksOfTwoHostsFuseOneClusterAndRankZeroDumpsIt) {
  const std::string file = scratchPath("host.xml"), dump = scratchPath("cluster.xml");
  std::ofstream(file) << topo::writeXml(topo::presetTopology("cpu-node"));
  std::remove(dump.c_str());
  std::string failures = testing::forkRanks(4, [&](int rank, int nranks, const ncclUniqueId& id) {
    int problems = 0;
    setenv("BRAID_HOSTID", ("node" + std::to_string(rank / 2)).c_str(), 1);
    setenv("NCCL_TOPO_FILE", file.c_str(), 1);  // the NCCL alias works too
    setenv("BRAID_TOPO_DUMP_FILE", dump.c_str(), 1);
    ncclComm_t comm;
    RANK_EXPECT(ncclCommInitRank(&comm, nranks, id, rank) == ncclSuccess, "init: %s", ncclGetLastError(nullptr));
    ncclCommDestroy(comm);
    return problems;
  });
  ASSERT_EQ(failures, "");
  topo::XmlElement cluster = topo::loadXmlFile(dump);
  ASSERT_EQ(cluster.tag, "cluster");
  ASSERT_EQ(cluster.children.size(), 2u);
  topo::Graph g = topo::buildGraph(cluster, dump);
  topo::PathTable paths(g);
  int cpuHost0 = -1, cpuHost1 = -1;
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (g.nodes[i].kind == topo::NodeKind::Cpu) (g.nodes[i].host == 0 ? cpuHost0 : cpuHost1) = static_cast<int>(i);
  EXPECT_EQ(paths.between(cpuHost0, cpuHost1).pathClass, "NET");
}

TEST(ClusterTopology, BadFileFailsInitOnEveryRankWithFileAndLine) {
  const std::string file = scratchPath("bad-host.xml");
  std::ofstream(file) << "<system version=\"1\">\n  <cpu numaid=\"0\">\n    <pci busid=\"0000:01:00.0\" "
                         "link_width=\"-1\"/>\n  </cpu>\n</system>\n";
  std::string failures = testing::forkRanks(
      3,
      [&](int rank, int nranks, const ncclUniqueId& id) {
        int problems = 0;
        setenv("BRAID_TOPO_FILE", file.c_str(), 1);
        ncclComm_t comm;
        ncclResult_t r = ncclCommInitRank(&comm, nranks, id, rank);
        std::string message = ncclGetLastError(nullptr);
        RANK_EXPECT(r == ncclInvalidUsage, "init returned %d", r);
        RANK_EXPECT(message.find("bad-host.xml:3: <pci> link_width=\"-1\" is negative") != std::string::npos,
                    "message: %s", message.c_str());
        return problems;
      },
      60);
  EXPECT_EQ(failures, "");
}

// The ranks' ring order as rank 0's communicator holds it, after a ring AllReduce of `count` floats whose every
// element each rank checks.
std::vector<int> ringOrderWithTopologyFile(const std::string& file, int nranks, size_t count) {
  const std::string orderFile = scratchPath("ring-order");
  std::remove(orderFile.c_str());
  std::string failures = testing::forkRanks(nranks, [&](int rank, int n, const ncclUniqueId& id) {
    int problems = 0;
    setenv("BRAID_TOPO_FILE", file.c_str(), 1);
    setenv("BRAID_ALGO", "ring", 1);
    ncclComm_t comm;
    RANK_EXPECT(ncclCommInitRank(&comm, n, id, rank) == ncclSuccess, "init: %s", ncclGetLastError(nullptr));
    if (problems) return problems;
    std::vector<float> data(count);
    for (size_t i = 0; i < count; ++i) data[i] = static_cast<float>((rank + 1) * (i % 97));
    RANK_EXPECT(ncclAllReduce(data.data(), data.data(), count, ncclFloat, ncclSum, comm, nullptr) == ncclSuccess,
                "allreduce: %s", ncclGetLastError(comm));
    const float ranksSum = static_cast<float>(n * (n + 1) / 2);
    size_t wrong = 0;
    for (size_t i = 0; i < count; ++i) wrong += data[i] != ranksSum * static_cast<float>(i % 97);
    RANK_EXPECT(wrong == 0, "%zu of %zu elements wrong", wrong, count);
    if (rank == 0) {
      std::ofstream out(orderFile);
      for (int r : comm->nodes->ringOrder) out << r << ' ';
    }
    ncclCommDestroy(comm);
    return problems;
  });
  EXPECT_EQ(failures, "");
  std::vector<int> order;
  std::ifstream in(orderFile);
  for (int r; in >> r;) order.push_back(r);
  return order;
}

TEST(ClusterTopology, RingsFollowTheBestRingThroughTheFilesAccelerators) {
  // Two chips per MLU370-X8 card; the cards hang off two CPUs. `braid plan --preset mlu370-x8` prints the ring
  // MLU0 MLU1 MLU3 MLU2 MLU4 MLU5 MLU7 MLU6: local rank i drives MLUi.
  const std::string file = scratchPath("mlu370.xml");
  std::ofstream(file) << topo::writeXml(topo::presetTopology("mlu370-x8"));
  EXPECT_EQ(ringOrderWithTopologyFile(file, 8, 100003), (std::vector<int>{0, 1, 3, 2, 4, 5, 7, 6}));
}

TEST(ClusterTopology, HostWithoutAnAcceleratorPerRankKeepsTheRankOrder) {
  const std::string file = scratchPath("cpu-node.xml");
  std::ofstream(file) << topo::writeXml(topo::presetTopology("cpu-node"));
  EXPECT_EQ(ringOrderWithTopologyFile(file, 3, 1001), (std::vector<int>{0, 1, 2}));
}

}  // namespace
}  // namespace braid
