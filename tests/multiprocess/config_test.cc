// ncclConfig_t as NCCL 2.30 lays it out: every field is checked (a bad value is refused, naming the field), the
// fields a program's older NCCL version did not have are ignored, a split given no config inherits its parent's,
// and the fields that map onto Braid take effect: channel bounds, the network and traffic class between hosts,
// the name. Also ncclResetDebugInit, which re-reads the logging variables.
#define NCCL_OS_LINUX 1  // as in NCCL's header, ncclResetDebugInit is declared only then
#include <dirent.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "fork_ranks.h"

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"  // NCCL marks ncclResetDebugInit so for its callers

namespace braid {
namespace {

ncclConfig_t defaults() {
  ncclConfig_t c = NCCL_CONFIG_INITIALIZER;
  return c;
}

// Waits for a non-blocking communicator's init or split to finish; returns its outcome.
ncclResult_t settle(ncclComm_t comm) {
  ncclResult_t state = ncclInProgress;
  for (int i = 0; i < 20000 && state == ncclInProgress; ++i) {
    if (ncclCommGetAsyncError(comm, &state) != ncclSuccess) return ncclInternalError;
    if (state == ncclInProgress) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return state;
}

// An AllReduce of ints whose every element must come out as the sum of the ranks' values.
int allReduceWorks(ncclComm_t comm, int rank, int nranks) {
  int problems = 0;
  std::vector<int> data(1000, rank + 1);
  RANK_EXPECT(ncclAllReduce(data.data(), data.data(), data.size(), ncclInt32, ncclSum, comm, nullptr) == ncclSuccess,
              "AllReduce: %s", ncclGetLastError(comm));
  for (int v : data) RANK_EXPECT(v == nranks * (nranks + 1) / 2, "AllReduce element %d", v);
  return problems;
}

int threadsOfThisProcess() {
  int count = 0;
  if (DIR* d = opendir("/proc/self/task")) {
    while (dirent* e = readdir(d)) count += e->d_name[0] != '.';
    closedir(d);
  }
  return count;
}

std::string fileText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

struct BadField {
  const char* name;  // what the message must name
  std::function<void(ncclConfig_t&)> spoil;
};

TEST(Config, InvalidFieldsAreRefusedNamingThem) {
  const std::vector<BadField> cases = {
      {"NCCL_CONFIG_INITIALIZER", [](ncclConfig_t& c) { c.magic = 0; }},
      {"blocking", [](ncclConfig_t& c) { c.blocking = 2; }},
      {"cgaClusterSize", [](ncclConfig_t& c) { c.cgaClusterSize = -1; }},
      {"minCTAs", [](ncclConfig_t& c) { c.minCTAs = 0; }},
      {"maxCTAs", [](ncclConfig_t& c) { c.maxCTAs = -3; }},
      {"at most maxCTAs", [](ncclConfig_t& c) { c.minCTAs = 4, c.maxCTAs = 2; }},
      {"splitShare", [](ncclConfig_t& c) { c.splitShare = 5; }},
      {"trafficClass", [](ncclConfig_t& c) { c.trafficClass = 300; }},
      {"CollNet", [](ncclConfig_t& c) { c.collnetEnable = 1; }},
      {"collnetEnable", [](ncclConfig_t& c) { c.collnetEnable = 2; }},
      {"CTAPolicy", [](ncclConfig_t& c) { c.CTAPolicy = 8; }},
      {"shrinkShare", [](ncclConfig_t& c) { c.shrinkShare = 2; }},
      {"nvlsCTAs", [](ncclConfig_t& c) { c.nvlsCTAs = 0; }},
      {"nChannelsPerNetPeer", [](ncclConfig_t& c) { c.nChannelsPerNetPeer = 0; }},
      {"nvlinkCentricSched", [](ncclConfig_t& c) { c.nvlinkCentricSched = 3; }},
      {"graphUsageMode", [](ncclConfig_t& c) { c.graphUsageMode = 3; }},
      {"numRmaCtx", [](ncclConfig_t& c) { c.numRmaCtx = -1; }},
      {"maxP2pPeers", [](ncclConfig_t& c) { c.maxP2pPeers = 0; }},
      {"graphStreamOrdering", [](ncclConfig_t& c) { c.graphStreamOrdering = 2; }},
  };
  std::string failures = testing::forkRanks(1, [&](int rank, int nranks, const ncclUniqueId& id) {
    int problems = 0;
    for (const BadField& bad : cases) {
      ncclConfig_t config = defaults();
      bad.spoil(config);
      ncclComm_t comm = nullptr;
      const ncclResult_t r = ncclCommInitRankConfig(&comm, nranks, id, rank, &config);
      const std::string message = ncclGetLastError(nullptr);
      RANK_EXPECT(r == ncclInvalidArgument, "%s: result %d", bad.name, r);
      RANK_EXPECT(message.find(bad.name) != std::string::npos, "%s: message '%s'", bad.name, message.c_str());
    }
    // A split's own config is checked the same way.
    ncclComm_t comm, child = nullptr;
    RANK_EXPECT(ncclCommInitRank(&comm, nranks, id, rank) == ncclSuccess, "init");
    ncclConfig_t config = defaults();
    config.maxP2pPeers = -1;
    RANK_EXPECT(ncclCommSplit(comm, 0, 0, &child, &config) == ncclInvalidArgument, "split with a bad config");
    RANK_EXPECT(std::strstr(ncclGetLastError(comm), "maxP2pPeers"), "split message '%s'", ncclGetLastError(comm));
    RANK_EXPECT(ncclCommDestroy(comm) == ncclSuccess, "destroy");
    return problems;
  });
  EXPECT_EQ(failures, "");
}

// A config refused on one rank of a split fails every rank at once, naming the rank (none waits for it), alone
// and inside a group; the parent goes on.
TEST(Config, ARefusedSplitConfigOnOneRankFailsEveryRankAtOnce) {
  std::string failures = testing::forkRanks(
      3,
      [](int rank, int nranks, const ncclUniqueId& id) {
        int problems = 0;
        ncclComm_t comm, child = nullptr;
        RANK_EXPECT(ncclCommInitRank(&comm, nranks, id, rank) == ncclSuccess, "init");
        ncclConfig_t config = defaults();
        if (rank == 1) config.maxP2pPeers = -1;
        RANK_EXPECT(ncclCommSplit(comm, 0, rank, &child, &config) == ncclInvalidArgument, "split");
        RANK_EXPECT(std::strstr(ncclGetLastError(comm), rank == 1 ? "maxP2pPeers" : "rank 1 gave a config"),
                    "message '%s'", ncclGetLastError(comm));
        ncclGroupStart();
        ncclCommSplit(comm, 0, rank, &child, &config);
        RANK_EXPECT(ncclGroupEnd() == ncclInvalidArgument, "split in a group");
        problems += allReduceWorks(comm, rank, nranks);
        RANK_EXPECT(ncclCommDestroy(comm) == ncclSuccess, "destroy");
        return problems;
      },
      60);
  EXPECT_EQ(failures, "");
}

// A program built against NCCL 2.28 passes its struct's size and version: what lies beyond (or what 2.28 did not
// have) is never read, whatever it holds.
TEST(Config, OlderLayoutsAreReadByTheirSizeAndVersion) {
  std::string failures = testing::forkRanks(2, [](int rank, int nranks, const ncclUniqueId& id) {
    int problems = 0;
    ncclConfig_t byVersion = defaults();
    byVersion.version = NCCL_VERSION(2, 28, 0);
    byVersion.graphUsageMode = 7, byVersion.maxP2pPeers = -5, byVersion.graphStreamOrdering = 9;
    ncclComm_t comm;
    RANK_EXPECT(ncclCommInitRankConfig(&comm, nranks, id, rank, &byVersion) == ncclSuccess, "2.28 version: %s",
                ncclGetLastError(nullptr));
    problems += allReduceWorks(comm, rank, nranks);
    ncclConfig_t bySize = defaults();
    bySize.size = offsetof(ncclConfig_t, graphUsageMode);  // the 2.28 struct ends there
    bySize.numRmaCtx = -7;
    ncclComm_t child;
    RANK_EXPECT(ncclCommSplit(comm, 0, rank, &child, &bySize) == ncclSuccess, "2.28 size: %s", ncclGetLastError(comm));
    problems += allReduceWorks(child, rank, nranks);
    RANK_EXPECT(ncclCommDestroy(child) == ncclSuccess && ncclCommDestroy(comm) == ncclSuccess, "destroy");
    return problems;
  });
  EXPECT_EQ(failures, "");
}

// NCCL's rule: a NULL config inherits the parent's. Seen here through blocking: a non-blocking parent's child
// returns ncclInProgress from ncclCommSplit; a child given its own blocking config does not.
TEST(Config, SplitWithoutConfigInheritsTheParents) {
  std::string failures = testing::forkRanks(3, [](int rank, int nranks, const ncclUniqueId& id) {
    int problems = 0;
    ncclConfig_t config = defaults();
    config.blocking = 0;
    config.commName = "world";
    ncclComm_t comm, inherited, own;
    RANK_EXPECT(ncclCommInitRankConfig(&comm, nranks, id, rank, &config) == ncclInProgress, "non-blocking init");
    RANK_EXPECT(settle(comm) == ncclSuccess, "init: %s", ncclGetLastError(comm));
    RANK_EXPECT(ncclCommSplit(comm, 0, -rank, &inherited, nullptr) == ncclInProgress, "inherited non-blocking split");
    RANK_EXPECT(settle(inherited) == ncclSuccess, "split: %s", ncclGetLastError(inherited));
    ncclConfig_t blocking = defaults();
    blocking.blocking = 1;
    RANK_EXPECT(ncclCommSplit(comm, 0, rank, &own, &blocking) == ncclSuccess, "blocking split");
    int childRank = -1;
    RANK_EXPECT(ncclCommUserRank(inherited, &childRank) == ncclSuccess && childRank == nranks - 1 - rank,
                "key order: rank %d", childRank);
    problems += allReduceWorks(inherited, childRank, nranks);
    problems += allReduceWorks(own, rank, nranks);
    RANK_EXPECT(ncclCommDestroy(own) == ncclSuccess && ncclCommDestroy(inherited) == ncclSuccess &&
                    ncclCommDestroy(comm) == ncclSuccess,
                "destroy");
    return problems;
  });
  EXPECT_EQ(failures, "");
}

// minCTAs/maxCTAs bound a one-host communicator's collective channels, each beyond the first a helper thread.
TEST(Config, MinAndMaxCTAsBoundTheChannels) {
  std::string failures = testing::forkRanks(2, [](int rank, int nranks, const ncclUniqueId& id) {
    int problems = 0;
    auto channels = [](int n) {
      ncclConfig_t c = defaults();
      c.minCTAs = c.maxCTAs = n;
      return c;
    };
    ncclConfig_t one = channels(1), three = channels(3);
    ncclComm_t world, a, b;
    RANK_EXPECT(ncclCommInitRank(&world, nranks, id, rank) == ncclSuccess, "init");  // starts per-process threads
    const int before = threadsOfThisProcess();
    RANK_EXPECT(ncclCommSplit(world, 0, rank, &a, &one) == ncclSuccess, "split with one channel");
    const int withOne = threadsOfThisProcess();
    RANK_EXPECT(ncclCommSplit(world, 0, rank, &b, &three) == ncclSuccess, "split with three channels");
    const int withThree = threadsOfThisProcess();
    RANK_EXPECT(withThree - withOne == withOne - before + 2, "threads %d, %d with one channel, %d with three", before,
                withOne, withThree);
    problems += allReduceWorks(b, rank, nranks);
    RANK_EXPECT(
        ncclCommDestroy(b) == ncclSuccess && ncclCommDestroy(a) == ncclSuccess && ncclCommDestroy(world) == ncclSuccess,
        "destroy");
    return problems;
  });
  EXPECT_EQ(failures, "");
}

// Between emulated hosts: netName picks the network (a name no network has fails every rank, saying so), and
// trafficClass marks the sockets and goes to libfabric, whose tcp provider (here) says it takes no class.
TEST(Config, NetNameAndTrafficClassSteerTheNetwork) {
  const std::string log = "/tmp/braid_config_test." + std::to_string(getpid()) + ".%p.log";
  std::string failures = testing::forkRanks(2, [&](int rank, int nranks, const ncclUniqueId& id) {
    int problems = 0;
    setenv("BRAID_HOSTID", rank == 0 ? "config-host-a" : "config-host-b", 1);
    setenv("BRAID_DEBUG", "INFO", 1);
    setenv("BRAID_DEBUG_SUBSYS", "NET", 1);
    setenv("BRAID_DEBUG_FILE", log.c_str(), 1);
    setenv("FI_PROVIDER", "tcp", 1);
    ncclResetDebugInit();
    ncclConfig_t config = defaults();
    config.netName = "Socket";  // NCCL's spelling of its socket transport
    config.trafficClass = 40;
    ncclComm_t comm;
    RANK_EXPECT(ncclCommInitRankConfig(&comm, nranks, id, rank, &config) == ncclSuccess, "init: %s",
                ncclGetLastError(nullptr));
    problems += allReduceWorks(comm, rank, nranks);
    ncclConfig_t fabric = defaults();
    fabric.netName = "libfabric";
    fabric.trafficClass = 40;
    ncclComm_t overFabric = nullptr;
    RANK_EXPECT(ncclCommSplit(comm, 0, rank, &overFabric, &fabric) == ncclSuccess, "split over libfabric: %s",
                ncclGetLastError(comm));
    problems += allReduceWorks(overFabric, rank, nranks);
    RANK_EXPECT(ncclCommDestroy(overFabric) == ncclSuccess, "destroy the libfabric communicator");
    std::string path = log;
    path.replace(path.find("%p"), 2, std::to_string(getpid()));
    const std::string text = fileText(path);
    std::remove(path.c_str());
    RANK_EXPECT(text.find("sockets to other hosts carry traffic class 40") != std::string::npos, "log: %s",
                text.c_str());
    RANK_EXPECT(
        text.find("libfabric provider tcp;ofi_rxm takes no traffic class: config trafficClass 40") != std::string::npos,
        "log: %s", text.c_str());
    ncclConfig_t unknown = defaults();
    unknown.netName = "IB";
    ncclComm_t none = nullptr;
    RANK_EXPECT(ncclCommSplit(comm, 0, rank, &none, &unknown) == ncclInvalidUsage, "netName IB");
    RANK_EXPECT(std::strstr(ncclGetLastError(comm), "config netName IB"), "message '%s'", ncclGetLastError(comm));
    ncclCommDestroy(none);
    RANK_EXPECT(ncclCommDestroy(comm) == ncclSuccess, "destroy");
    return problems;
  });
  EXPECT_EQ(failures, "");
}

// ncclResetDebugInit: logging variables set after the first log line take effect.
TEST(Config, ResetDebugInitRereadsTheLoggingVariables) {
  const std::string path = "/tmp/braid_reset_debug_test." + std::to_string(getpid()) + ".log";
  std::string failures = testing::forkRanks(1, [&](int rank, int nranks, const ncclUniqueId& id) {
    int problems = 0;
    unsetenv("BRAID_DEBUG");
    unsetenv("NCCL_DEBUG");
    ncclResetDebugInit();
    ncclComm_t comm;
    ncclConfig_t config = defaults();
    config.commName = "named-in-the-log";
    RANK_EXPECT(ncclCommInitRankConfig(&comm, nranks, id, rank, &config) == ncclSuccess, "init");
    setenv("BRAID_DEBUG", "INFO", 1);
    setenv("BRAID_DEBUG_SUBSYS", "INIT", 1);
    setenv("BRAID_DEBUG_FILE", path.c_str(), 1);
    RANK_EXPECT(fileText(path).empty(), "logged before the reset");
    ncclResetDebugInit();
    ncclComm_t child;
    RANK_EXPECT(ncclCommSplit(comm, 0, 0, &child, &config) == ncclSuccess, "split");
    const std::string text = fileText(path);
    RANK_EXPECT(text.find("INFO INIT rank 0/1 of named-in-the-log ready") != std::string::npos, "log: %s",
                text.c_str());
    RANK_EXPECT(ncclCommDestroy(child) == ncclSuccess && ncclCommDestroy(comm) == ncclSuccess, "destroy");
    return problems;
  });
  std::remove(path.c_str());
  EXPECT_EQ(failures, "");
}

}  // namespace
}  // namespace braid
