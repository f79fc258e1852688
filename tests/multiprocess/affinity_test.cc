// BRAID_CPU_AFFINITY: ranks bound to cores of their own (core), to their core's NUMA node (numa), left alone
// (none, the default); a value Braid does not know fails init on every rank with the reason.
#include <gtest/gtest.h>
#include <sched.h>

#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "fork_ranks.h"
#include "nccl.h"

namespace braid {
namespace {

int allowedCpus() {
  cpu_set_t set;
  return sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 0;
}

int firstAllowedCpu() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return -1;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &set)) return c;
  return -1;
}

// Each rank reports the cpus it may run on after init through an AllGather.
std::string bindAndReport(const char* mode, int nranks, bool expectOneCpuEach) {
  const int before = allowedCpus();
  return testing::forkRanks(
      nranks,
      [&](int rank, int n, const ncclUniqueId& id) {
        int problems = 0;
        setenv("BRAID_CPU_AFFINITY", mode, 1);
        ncclComm_t comm;
        if (ncclCommInitRank(&comm, n, id, rank) != ncclSuccess) return 1;
        int mine[2] = {allowedCpus(), firstAllowedCpu()};
        std::vector<int> all(2 * n);
        RANK_EXPECT(ncclAllGather(mine, all.data(), 2, ncclInt32, comm, nullptr) == ncclSuccess, "allgather");
        for (int r = 0; r < n; ++r) {
          if (expectOneCpuEach) {
            RANK_EXPECT(all[2 * r] == 1, "rank %d may run on %d cpus", r, all[2 * r]);
            for (int q = 0; q < r; ++q)
              RANK_EXPECT(all[2 * q + 1] != all[2 * r + 1], "ranks %d and %d share a core", q, r);
          } else {
            RANK_EXPECT(all[2 * r] >= 1 && all[2 * r] <= before, "rank %d may run on %d cpus", r, all[2 * r]);
          }
        }
        ncclCommDestroy(comm);
        return problems;
      },
      60);
}

TEST(CpuAffinity, CoreGivesEachLocalRankACoreOfItsOwn) {
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  if (allowedCpus() < 2 || cores < 2) GTEST_SKIP() << "needs two cpus";
  // With SMT two cpus may be one core; hwloc counts cores, and binds only when each rank gets one.
  EXPECT_EQ(bindAndReport("core", 2, true), "");
}

TEST(CpuAffinity, NumaAndNoneKeepEveryRankRunnable) {
  EXPECT_EQ(bindAndReport("numa", 2, false), "");
  EXPECT_EQ(bindAndReport("none", 3, false), "");
}

TEST(CpuAffinity, UnknownValueFailsInitWithTheReason) {
  std::string failures = testing::forkRanks(
      2,
      [](int rank, int nranks, const ncclUniqueId& id) {
        int problems = 0;
        setenv("BRAID_CPU_AFFINITY", "socket", 1);
        ncclComm_t comm;
        ncclResult_t r = ncclCommInitRank(&comm, nranks, id, rank);
        RANK_EXPECT(r == ncclInvalidArgument, "init returned %d", r);
        std::string message = ncclGetLastError(nullptr);
        RANK_EXPECT(message.find("BRAID_CPU_AFFINITY=\"socket\": expected none, core or numa") != std::string::npos,
                    "message: %s", message.c_str());
        return problems;
      },
      60);
  EXPECT_EQ(failures, "");
}

}  // namespace
}  // namespace braid
