// Braid's extensions to the NCCL API (braid/braid.h) that the PyTorch backend and the tools build on: stream
// callbacks, per-communicator timeouts and collective checks, receives from any source, and which host a rank is on.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "braid/braid.h"
#include "fork_ranks.h"

namespace braid {
namespace {

struct CallbackLog {
  std::vector<ncclResult_t> statuses;
  float observed = 0;  // the AllReduce result as the first callback saw it
  const float* result = nullptr;
};

void recordStatus(ncclResult_t status, void* user) {
  auto* log = static_cast<CallbackLog*>(user);
  if (log->statuses.empty()) log->observed = *log->result;
  log->statuses.push_back(status);
}

TEST(StreamCallback, RunsAfterTheWorkQueuedBeforeIt) {
  std::string failures = testing::forkRanks(
      2,
      [](int rank, int nranks, const ncclUniqueId& id) {
        int problems = 0;
        ncclComm_t comm;
        if (ncclCommInitRank(&comm, nranks, id, rank) != ncclSuccess) return 1;
        braidStream_t stream;
        if (braidStreamCreate(&stream) != ncclSuccess) return 1;
        std::vector<float> x(1 << 18, 1.0f);
        CallbackLog log;
        log.result = x.data();
        RANK_EXPECT(ncclAllReduce(x.data(), x.data(), x.size(), ncclFloat32, ncclSum, comm, stream) == ncclSuccess,
                    "issue");
        RANK_EXPECT(braidStreamAddCallback(stream, recordStatus, &log) == ncclSuccess, "add callback");
        RANK_EXPECT(braidStreamSynchronize(stream) == ncclSuccess, "synchronize");
        RANK_EXPECT(log.statuses.size() == 1 && log.statuses[0] == ncclSuccess, "callback status");
        RANK_EXPECT(log.observed == 2.0f, "the callback ran before the AllReduce finished (saw %g)", log.observed);
        RANK_EXPECT(braidStreamAddCallback(stream, nullptr, nullptr) == ncclInvalidArgument, "NULL callback accepted");
        RANK_EXPECT(braidStreamAddCallback(nullptr, recordStatus, &log) == ncclInvalidArgument, "NULL stream accepted");
        ncclCommDestroy(comm);
        braidStreamDestroy(stream);
        return problems;
      },
      60);
  EXPECT_EQ(failures, "");
}

TEST(HostOf, NumbersHostsInTheOrderOfTheirLowestRanks) {
  // Ranks 0 and 2 on one emulated host, 1 and 3 on another, 4 alone: hosts 0, 1, 0, 1, 2 on every rank.
  std::string failures = testing::forkRanks(5, [](int rank, int nranks, const ncclUniqueId& id) {
    int problems = 0;
    setenv("BRAID_HOSTID", (rank == 4 ? std::string("c") : rank % 2 ? "b" : "a").c_str(), 1);
    ncclComm_t comm;
    if (ncclCommInitRank(&comm, nranks, id, rank) != ncclSuccess) return 1;
    const int expected[] = {0, 1, 0, 1, 2};
    for (int r = 0; r < nranks; ++r) {
      int host = -1;
      RANK_EXPECT(braidCommHostOf(comm, r, &host) == ncclSuccess && host == expected[r], "rank %d: host %d", r, host);
    }
    int host = 0;
    RANK_EXPECT(braidCommHostOf(comm, nranks, &host) == ncclInvalidArgument, "a rank past the end accepted");
    RANK_EXPECT(std::string(ncclGetLastError(comm)).find("is not in 0..4") != std::string::npos, "message: %s",
                ncclGetLastError(comm));
    RANK_EXPECT(braidCommHostOf(comm, 0, nullptr) == ncclInvalidArgument, "NULL host accepted");
    ncclCommDestroy(comm);
    return problems;
  });
  EXPECT_EQ(failures, "");
}

TEST(CommTimeout, StalledPeerTimesOutAfterTheCommunicatorsOwnTimeout) {
  std::string failures = testing::forkRanks(
      2,
      [](int rank, int nranks, const ncclUniqueId& id) {
        int problems = 0;
        ncclComm_t comm;
        if (ncclCommInitRank(&comm, nranks, id, rank) != ncclSuccess) return 1;
        RANK_EXPECT(braidCommSetTimeout(comm, -1) == ncclInvalidArgument, "negative timeout accepted");
        RANK_EXPECT(braidCommSetTimeout(comm, 1.0) == ncclSuccess, "set timeout");
        if (rank == 1) {
          std::this_thread::sleep_for(std::chrono::seconds(4));  // alive, but never joins the AllReduce
          ncclCommAbort(comm);
          return problems;
        }
        std::vector<float> x(16, 1.0f);
        auto start = std::chrono::steady_clock::now();
        ncclResult_t r = ncclAllReduce(x.data(), x.data(), x.size(), ncclFloat32, ncclSum, comm, nullptr);
        double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        RANK_EXPECT(r == ncclTimeout, "AllReduce returned %d", r);
        RANK_EXPECT(seconds < 10, "the 1 s timeout took %.1f s", seconds);  // an error, not a hang
        ncclCommAbort(comm);
        return problems;
      },
      60);
  EXPECT_EQ(failures, "");
}

TEST(CheckCollectives, LateRankIsWaitedForLongerThanTheBootstrapTimeout) {
  std::string failures = testing::forkRanks(
      2,
      [](int rank, int nranks, const ncclUniqueId& id) {
        int problems = 0;
        // Long enough for init on a loaded machine, shorter than the late rank's delay.
        setenv("BRAID_BOOTSTRAP_TIMEOUT", "4", 1);
        ncclComm_t comm;
        ncclResult_t init = ncclCommInitRank(&comm, nranks, id, rank);
        RANK_EXPECT(init == ncclSuccess, "init: %s", ncclGetLastError(nullptr));
        if (init != ncclSuccess) return problems;
        RANK_EXPECT(braidCommSetCheckCollectives(comm, 1) == ncclSuccess, "enable checks");
        if (rank == 1) std::this_thread::sleep_for(std::chrono::milliseconds(5500));
        std::vector<int> x(8, rank + 1);
        ncclResult_t r = ncclAllReduce(x.data(), x.data(), x.size(), ncclInt32, ncclSum, comm, nullptr);
        RANK_EXPECT(r == ncclSuccess, "checked AllReduce with a late peer returned %d (%s)", r, ncclGetLastError(comm));
        RANK_EXPECT(x[7] == 3, "result %d", x[7]);
        ncclCommDestroy(comm);
        return problems;
      },
      60);
  EXPECT_EQ(failures, "");
}

// Two ranks whose per-process overrides differ (set by `overrides(rank)`) run a checked AllReduce of `count`
// floats: both must fail with ncclInvalidUsage and a message containing `expected`, instead of hanging.
std::string differingOverridesAreTold(void (*overrides)(int rank), size_t count, const std::string& expected) {
  return testing::forkRanks(
      2,
      [&](int rank, int nranks, const ncclUniqueId& id) {
        int problems = 0;
        setenv("BRAID_CHECK_COLLECTIVES", "1", 1);
        overrides(rank);
        ncclComm_t comm;
        if (ncclCommInitRank(&comm, nranks, id, rank) != ncclSuccess) return 1;
        std::vector<float> x(count, 1.0f);
        ncclResult_t r = ncclAllReduce(x.data(), x.data(), x.size(), ncclFloat32, ncclSum, comm, nullptr);
        std::string message = ncclGetLastError(comm);
        RANK_EXPECT(r == ncclInvalidUsage, "AllReduce returned %d", r);
        RANK_EXPECT(message.find(expected) != std::string::npos, "message: %s", message.c_str());
        ncclCommAbort(comm);
        return problems;
      },
      60);
}

TEST(CheckCollectives, RanksWhoseOverridesDifferAreToldInsteadOfHanging) {
  EXPECT_EQ(differingOverridesAreTold(
                [](int rank) { setenv("BRAID_ALGO", rank == 0 ? "allreduce:rd" : "allreduce:ring", 1); }, 1024,
                "float, sum, rd) but rank 1 calls AllReduce(count 1024, float, sum, ring)"),
            "");
}

TEST(CheckCollectives, RanksWhoseProtocolsDifferAreTold) {
  EXPECT_EQ(differingOverridesAreTold(
                [](int rank) {
                  setenv("BRAID_PROTO", rank == 0 ? "LL" : "Simple", 1);
                  setenv("BRAID_ALGO", "allreduce:mesh", 1);
                },
                16, "float, sum, mesh/LL) but rank 1 calls AllReduce(count 16, float, sum, mesh)"),
            "");
}

TEST(RecvAnySource, ReceivesFromEachSenderAndNamesIt) {
  std::string failures = testing::forkRanks(
      4,
      [](int rank, int nranks, const ncclUniqueId& id) {
        int problems = 0;
        ncclComm_t comm;
        if (ncclCommInitRank(&comm, nranks, id, rank) != ncclSuccess) return 1;
        const size_t count = 100000;  // larger than a shared-memory slot: the receive continues past the probe
        if (rank != 0) {
          std::vector<int> data(count, rank * 1000);
          RANK_EXPECT(ncclSend(data.data(), count, ncclInt32, 0, comm, nullptr) == ncclSuccess, "send");
        } else {
          braidStream_t stream;
          braidStreamCreate(&stream);
          std::set<int> sources;
          for (int i = 1; i < nranks; ++i) {
            std::vector<int> data(count, -1);
            int source = -1;
            RANK_EXPECT(braidRecvAnySource(data.data(), count, ncclInt32, &source, comm, stream) == ncclSuccess,
                        "recv");
            RANK_EXPECT(braidStreamSynchronize(stream) == ncclSuccess, "recv failed: %s", ncclGetLastError(comm));
            RANK_EXPECT(source > 0 && source < nranks, "source %d", source);
            RANK_EXPECT(data.front() == source * 1000 && data.back() == source * 1000, "data %d..%d from %d",
                        data.front(), data.back(), source);
            sources.insert(source);
          }
          RANK_EXPECT(static_cast<int>(sources.size()) == nranks - 1, "%zu distinct sources", sources.size());
          int source;
          std::vector<int> data(1);
          RANK_EXPECT(braidRecvAnySource(data.data(), 0, ncclInt32, &source, comm, nullptr) == ncclInvalidArgument,
                      "zero count accepted");
          ncclGroupStart();
          RANK_EXPECT(braidRecvAnySource(data.data(), 1, ncclInt32, &source, comm, nullptr) == ncclInvalidUsage,
                      "accepted inside a group");
          ncclGroupEnd();
          braidStreamDestroy(stream);
        }
        ncclCommDestroy(comm);
        return problems;
      },
      60);
  EXPECT_EQ(failures, "");
}

TEST(RecvAnySource, DeadSendersBecomeAnError) {
  std::string failures = testing::forkRanks(
      2,
      [](int rank, int nranks, const ncclUniqueId& id) {
        int problems = 0;
        ncclComm_t comm;
        if (ncclCommInitRank(&comm, nranks, id, rank) != ncclSuccess) return 1;
        if (rank == 1) _exit(0);
        int data, source;
        ncclResult_t r = braidRecvAnySource(&data, 1, ncclInt32, &source, comm, nullptr);
        RANK_EXPECT(r == ncclRemoteError, "receive from a dead peer returned %d (%s)", r, ncclGetLastError(comm));
        ncclCommAbort(comm);
        return problems;
      },
      60);
  EXPECT_EQ(failures, "");
}

}  // namespace
}  // namespace braid
