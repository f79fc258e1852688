// BRAID_TOPO_FILE / BRAID_TOPO_DUMP_FILE: ranks of two emulated hosts fuse one cluster view; a bad file fails
// init on every rank with the file, line and problem.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "fork_ranks.h"
#include "nccl.h"
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
  std::ofstream(file) << "<system version=\"1\">\n  <cpu numaid=\"0\">\n    <pci busid=\"0000:01:00.0\" link_width=\"-1\"/>\n  </cpu>\n</system>\n";
  std::string failures = testing::forkRanks(3, [&](int rank, int nranks, const ncclUniqueId& id) {
    int problems = 0;
    setenv("BRAID_TOPO_FILE", file.c_str(), 1);
    ncclComm_t comm;
    ncclResult_t r = ncclCommInitRank(&comm, nranks, id, rank);
    std::string message = ncclGetLastError(nullptr);
    RANK_EXPECT(r == ncclInvalidUsage, "init returned %d", r);
    RANK_EXPECT(message.find("bad-host.xml:3: <pci> link_width=\"-1\" is negative") != std::string::npos, "message: %s",
                message.c_str());
    return problems;
  }, 60);
  EXPECT_EQ(failures, "");
}

}  // namespace
}  // namespace braid
