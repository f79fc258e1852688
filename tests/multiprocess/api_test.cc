// API behaviour beyond plain collectives: host streams, AlltoAllv, messages to self, init mismatches,
// bad handles and dead peers.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <numeric>
#include <thread>
#include <vector>

#include "braid/braid.h"
#include "fork_ranks.h"
#include "wiring.h"

namespace braid {
namespace {

TEST(HostStreams, QueuedCollectivesCompleteInOrder) {
  std::string failures = testing::forkRanks(3, [](int rank, int nranks, const ncclUniqueId& id) {
    int problems = 0;
    ncclComm_t comm;
    if (ncclCommInitRank(&comm, nranks, id, rank) != ncclSuccess) return 1;
    braidStream_t stream;
    RANK_EXPECT(braidStreamCreate(&stream) == ncclSuccess, "stream");
    std::vector<int> a(100000, rank + 1), b(100000);
    // Two dependent operations on one stream: the AllGather must see the AllReduce's result.
    RANK_EXPECT(ncclAllReduce(a.data(), a.data(), a.size(), ncclInt32, ncclSum, comm, stream) == ncclSuccess,
                "enqueue");
    RANK_EXPECT(ncclAllGather(a.data(), b.data(), 1, ncclInt32, comm, stream) == ncclSuccess, "enqueue");
    RANK_EXPECT(braidStreamSynchronize(stream) == ncclSuccess, "synchronize");
    for (int v : a) RANK_EXPECT(v == 6, "AllReduce result %d", v);
    for (int r = 0; r < nranks; ++r) RANK_EXPECT(b[r] == 6, "AllGather result %d", b[r]);
    RANK_EXPECT(braidStreamDestroy(stream) == ncclSuccess, "destroy");
    RANK_EXPECT(ncclCommDestroy(comm) == ncclSuccess, "comm destroy");
    return problems;
  });
  EXPECT_EQ(failures, "");
}

// A group whose calls were given two host streams runs after what each stream had queued before it, and what
// each queues after it runs after the group (NCCL orders a group on all of its streams). Stream B is held by a
// callback that writes the group's input only when released, 50 ms after the group was issued: run on stream A
// alone, the group would reduce the old input.
struct HeldStream {
  std::atomic<bool> released{false};
  std::vector<int>* input;
  int value;
};

TEST(HostStreams, GroupIsOrderedOnEveryStreamItTouches) {
  std::string failures = testing::forkRanks(3, [](int rank, int nranks, const ncclUniqueId& id) {
    int problems = 0;
    ncclComm_t comm;
    if (ncclCommInitRank(&comm, nranks, id, rank) != ncclSuccess) return 1;
    braidStream_t a, b;
    RANK_EXPECT(braidStreamCreate(&a) == ncclSuccess && braidStreamCreate(&b) == ncclSuccess, "streams");
    std::vector<int> input(4096, -1), output(4096, 0), other(16, rank), seen;
    HeldStream held{{false}, &input, rank + 1};
    auto holdThenWrite = [](ncclResult_t, void* data) {
      auto* h = static_cast<HeldStream*>(data);
      while (!h->released.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      std::fill(h->input->begin(), h->input->end(), h->value);
    };
    RANK_EXPECT(braidStreamAddCallback(b, holdThenWrite, &held) == ncclSuccess, "callback");
    ncclGroupStart();
    ncclAllReduce(input.data(), output.data(), input.size(), ncclInt32, ncclSum, comm, a);
    ncclAllReduce(other.data(), other.data(), other.size(), ncclInt32, ncclSum, comm, b);
    RANK_EXPECT(ncclGroupEnd() == ncclSuccess, "group");
    struct Copy {
      std::vector<int>* from;
      std::vector<int>* to;
    } copy{&output, &seen};
    // Queued on stream B after the group: must see the group's result.
    RANK_EXPECT(
        braidStreamAddCallback(
            b, [](ncclResult_t, void* data) { *static_cast<Copy*>(data)->to = *static_cast<Copy*>(data)->from; },
            &copy) == ncclSuccess,
        "callback after");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    held.released = true;
    RANK_EXPECT(braidStreamSynchronize(a) == ncclSuccess && braidStreamSynchronize(b) == ncclSuccess, "sync");
    const int want = nranks * (nranks + 1) / 2;
    const auto wrong = std::count_if(output.begin(), output.end(), [&](int v) { return v != want; });
    RANK_EXPECT(wrong == 0, "%zd elements of the group's result are not %d (%d: the input before stream B's callback)",
                static_cast<ssize_t>(wrong), want, -nranks);
    RANK_EXPECT(seen == output, "stream B's later work saw the result before the group finished");
    RANK_EXPECT(braidStreamDestroy(a) == ncclSuccess && braidStreamDestroy(b) == ncclSuccess, "destroy streams");
    RANK_EXPECT(ncclCommDestroy(comm) == ncclSuccess, "destroy");
    return problems;
  });
  EXPECT_EQ(failures, "");
}

// braidAlltoAllv with uneven counts (empty blocks too) and gaps between the blocks: direct within a host, and
// hierarchical (BRAID_ALGO=alltoallv:hier) over emulated nodes numbered node by node or interleaved, where
// the ranks first exchange the counts their rails forward; and in place (the output over the input).
struct AlltoAllvCase {
  int nranks;
  testing::Wiring wiring;
  const char* algorithm;  // BRAID_ALGO, or nullptr
  const char* name;
  bool inPlace = false;
};

class AlltoAllv : public ::testing::TestWithParam<AlltoAllvCase> {};

TEST_P(AlltoAllv, UnevenCountsAndDisplacements) {
  const AlltoAllvCase c = GetParam();
  std::string failures = testing::forkRanks(c.nranks, [&c](int rank, int nranks, const ncclUniqueId& id) {
    int problems = 0;
    testing::useWiring(c.wiring, rank);
    if (c.algorithm) setenv("BRAID_ALGO", c.algorithm, 1);
    ncclComm_t comm;
    if (ncclCommInitRank(&comm, nranks, id, rank) != ncclSuccess) return 1;
    auto countOf = [](int from, int to) {
      return (from + to) % 3 == 2 ? size_t(0) : static_cast<size_t>(from * 3 + to * 50000 + 1);
    };
    for (int call = 0; call < 2; ++call) {
      std::vector<size_t> sc(nranks), sd(nranks), rc(nranks), rd(nranks);
      size_t sendTotal = 0, recvTotal = 0;
      for (int p = 0; p < nranks; ++p) {
        sc[p] = countOf(rank, p) + call, sd[p] = sendTotal + 5, sendTotal += sc[p] + 5;  // gaps between blocks
        rc[p] = countOf(p, rank) + call, rd[p] = recvTotal, recvTotal += rc[p];
      }
      std::vector<int64_t> send(std::max(sendTotal, recvTotal)), separate(recvTotal, -1);
      int64_t* recv = c.inPlace ? send.data() : separate.data();
      auto value = [call](int from, int to, size_t i) {
        return from * 1000000 + to * 10000 + call * 5000 + static_cast<int64_t>(i % 4999);
      };
      for (int p = 0; p < nranks; ++p)
        for (size_t i = 0; i < sc[p]; ++i) send[sd[p] + i] = value(rank, p, i);
      RANK_EXPECT(braidAlltoAllv(send.data(), sc.data(), sd.data(), recv, rc.data(), rd.data(), ncclInt64, comm,
                                 nullptr) == ncclSuccess,
                  "AlltoAllv: %s", ncclGetLastError(comm));
      for (int p = 0; p < nranks; ++p)
        for (size_t i = 0; i < rc[p]; ++i)
          if (recv[rd[p] + i] != value(p, rank, i)) {
            RANK_EXPECT(false, "call %d: block from %d element %zu is %lld", call, p, i,
                        static_cast<long long>(recv[rd[p] + i]));
            break;
          }
    }
    ncclCommDestroy(comm);
    return problems;
  });
  EXPECT_EQ(failures, "");
}

INSTANTIATE_TEST_SUITE_P(
    Wirings, AlltoAllv,
    ::testing::Values(AlltoAllvCase{4, testing::Wiring::SharedMemory, nullptr, "direct_4"},
                      AlltoAllvCase{4, testing::Wiring::Mixed, "alltoallv:hier", "hier_2x2"},
                      AlltoAllvCase{6, testing::Wiring::Mixed, "alltoallv:hier", "hier_3x2"},
                      AlltoAllvCase{6, testing::Wiring::Interleaved, "alltoall:hier", "hier_2x3_interleaved"},
                      AlltoAllvCase{3, testing::Wiring::SharedMemory, nullptr, "direct_3_in_place", true},
                      AlltoAllvCase{4, testing::Wiring::Mixed, "alltoallv:hier", "hier_2x2_in_place", true}),
    [](const ::testing::TestParamInfo<AlltoAllvCase>& info) { return std::string(info.param.name); });

TEST(PointToPoint, SendToSelfNeedsAMatchingRecv) {
  std::string failures = testing::forkRanks(2, [](int rank, int nranks, const ncclUniqueId& id) {
    int problems = 0;
    ncclComm_t comm;
    if (ncclCommInitRank(&comm, nranks, id, rank) != ncclSuccess) return 1;
    float x = 7, y = 0;
    ncclGroupStart();
    ncclSend(&x, 1, ncclFloat32, rank, comm, nullptr);
    ncclRecv(&y, 1, ncclFloat32, rank, comm, nullptr);
    RANK_EXPECT(ncclGroupEnd() == ncclSuccess, "self send/recv");
    RANK_EXPECT(y == 7, "received %g", y);
    ncclGroupStart();
    ncclSend(&x, 1, ncclFloat32, rank, comm, nullptr);
    RANK_EXPECT(ncclGroupEnd() == ncclInvalidUsage, "unmatched send to self");
    y = 1;
    RANK_EXPECT(ncclAllReduce(&y, &y, 1, ncclFloat32, ncclSum, comm, nullptr) == ncclSuccess, "comm still usable");
    RANK_EXPECT(y == 2, "AllReduce after error gave %g", y);
    ncclCommDestroy(comm);
    return problems;
  });
  EXPECT_EQ(failures, "");
}

// NCCL's non-blocking finalize: ncclInProgress, then ncclSuccess from ncclCommGetAsyncError once the queued
// work has drained; no new work after it.
TEST(Lifecycle, NonBlockingFinalizeReportsInProgressThenSuccess) {
  std::string failures = testing::forkRanks(2, [](int rank, int nranks, const ncclUniqueId& id) {
    int problems = 0;
    ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
    config.blocking = 0;
    ncclComm_t comm;
    ncclResult_t state = ncclCommInitRankConfig(&comm, nranks, id, rank, &config);
    while (state == ncclInProgress) ncclCommGetAsyncError(comm, &state);
    RANK_EXPECT(state == ncclSuccess, "init %d", state);
    braidStream_t stream;
    RANK_EXPECT(braidStreamCreate(&stream) == ncclSuccess, "stream");
    std::vector<float> data(1 << 20, 1.0f);
    RANK_EXPECT(ncclAllReduce(data.data(), data.data(), data.size(), ncclFloat32, ncclSum, comm, stream) == ncclSuccess,
                "enqueue");
    RANK_EXPECT(ncclCommFinalize(comm) == ncclInProgress, "finalize of a non-blocking communicator");
    float x = 1;
    RANK_EXPECT(ncclAllReduce(&x, &x, 1, ncclFloat32, ncclSum, comm, nullptr) == ncclInvalidUsage, "work after");
    do ncclCommGetAsyncError(comm, &state);
    while (state == ncclInProgress);
    RANK_EXPECT(state == ncclSuccess, "finalized %d", state);
    RANK_EXPECT(braidStreamSynchronize(stream) == ncclSuccess, "the queued work");
    for (float v : data) RANK_EXPECT(v == nranks, "AllReduce %g", v);
    RANK_EXPECT(ncclCommDestroy(comm) == ncclSuccess && braidStreamDestroy(stream) == ncclSuccess, "destroy");
    return problems;
  });
  EXPECT_EQ(failures, "");
}

// A non-blocking init whose peer never comes would wait out the bootstrap timeout (120 s); ncclCommAbort ends it
// within a second.
TEST(Lifecycle, AbortEndsAPendingNonBlockingInitWithinASecond) {
  std::string failures = testing::forkRanks(1, [](int rank, int, const ncclUniqueId& id) {
    int problems = 0;
    ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
    config.blocking = 0;
    ncclComm_t comm;
    RANK_EXPECT(ncclCommInitRankConfig(&comm, 2, id, rank, &config) == ncclInProgress, "init");  // rank 1 never joins
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ncclResult_t state;
    RANK_EXPECT(ncclCommGetAsyncError(comm, &state) == ncclSuccess && state == ncclInProgress, "still joining");
    const auto start = std::chrono::steady_clock::now();
    RANK_EXPECT(ncclCommAbort(comm) == ncclSuccess, "abort");
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    RANK_EXPECT(seconds < 1.0, "abort took %.2f s", seconds);
    return problems;
  });
  EXPECT_EQ(failures, "");
}

// ncclCommSuspend/Resume and ncclCommMemStats: the memory held shows in the statistics; a suspend with
// NCCL_SUSPEND_MEM gives back what was allocated on demand and refuses work until resume; after it, collectives
// give exact results again. Over shared memory and over sockets between emulated hosts.
class Suspend : public ::testing::TestWithParam<testing::Wiring> {};

TEST_P(Suspend, GivesBackOnDemandMemoryAndRefusesWorkUntilResumed) {
  const testing::Wiring wiring = GetParam();
  std::string failures = testing::forkRanks(3, [wiring](int rank, int nranks, const ncclUniqueId& id) {
    int problems = 0;
    testing::useWiring(wiring, rank);
    ncclComm_t comm;
    if (ncclCommInitRank(&comm, nranks, id, rank) != ncclSuccess) return 1;
    auto stat = [&](ncclCommMemStat_t which) {
      uint64_t value = ~0ull;
      RANK_EXPECT(ncclCommMemStats(comm, which, &value) == ncclSuccess, "stat %d", static_cast<int>(which));
      return value;
    };
    std::vector<float> data(1 << 20, 1.0f);
    RANK_EXPECT(
        ncclAllReduce(data.data(), data.data(), data.size(), ncclFloat32, ncclSum, comm, nullptr) == ncclSuccess,
        "AllReduce");
    const uint64_t persist = stat(ncclStatGpuMemPersist);
    RANK_EXPECT(persist > 0, "persistent bytes %llu", static_cast<unsigned long long>(persist));
    RANK_EXPECT(stat(ncclStatGpuMemTotal) == persist + stat(ncclStatGpuMemSuspend), "total");
    RANK_EXPECT(stat(ncclStatGpuMemSuspended) == 0, "suspended before the suspend");
    RANK_EXPECT(ncclCommSuspend(comm, 0x10) == ncclInvalidArgument, "unknown flag");
    RANK_EXPECT(ncclCommSuspend(comm, NCCL_SUSPEND_MEM) == ncclSuccess, "suspend: %s", ncclGetLastError(comm));
    RANK_EXPECT(stat(ncclStatGpuMemSuspended) == 1, "suspended");
    RANK_EXPECT(stat(ncclStatGpuMemSuspend) == 0, "on-demand bytes left %llu",
                static_cast<unsigned long long>(stat(ncclStatGpuMemSuspend)));
    RANK_EXPECT(stat(ncclStatGpuMemPersist) == persist, "persistent bytes changed");
    RANK_EXPECT(
        ncclAllReduce(data.data(), data.data(), data.size(), ncclFloat32, ncclSum, comm, nullptr) == ncclInvalidUsage,
        "work while suspended");
    RANK_EXPECT(std::string(ncclGetLastError(comm)).find("ncclCommResume") != std::string::npos, "message '%s'",
                ncclGetLastError(comm));
    RANK_EXPECT(ncclCommResume(comm) == ncclSuccess, "resume");
    RANK_EXPECT(ncclCommResume(comm) == ncclInvalidUsage, "resume twice");
    RANK_EXPECT(stat(ncclStatGpuMemSuspended) == 0, "resumed");
    RANK_EXPECT(
        ncclAllReduce(data.data(), data.data(), data.size(), ncclFloat32, ncclSum, comm, nullptr) == ncclSuccess,
        "AllReduce after resume");
    const auto wrong = std::count_if(data.begin(), data.end(), [&](float v) { return v != nranks * nranks; });
    RANK_EXPECT(wrong == 0, "%zd wrong elements", static_cast<ssize_t>(wrong));
    RANK_EXPECT(ncclCommDestroy(comm) == ncclSuccess, "destroy");
    return problems;
  });
  EXPECT_EQ(failures, "");
}

INSTANTIATE_TEST_SUITE_P(Wirings, Suspend, ::testing::Values(testing::Wiring::SharedMemory, testing::Wiring::Sockets),
                         [](const ::testing::TestParamInfo<testing::Wiring>& info) {
                           return std::string(testing::wiringName(info.param));
                         });

TEST(Init, RankCountMismatchIsAClearError) {
  std::string failures = testing::forkRanks(
      3,
      [](int rank, int, const ncclUniqueId& id) {
        int problems = 0;
        ncclComm_t comm = nullptr;
        // Rank 2 believes the job has 4 ranks.
        ncclResult_t r = ncclCommInitRank(&comm, rank == 2 ? 4 : 3, id, rank);
        RANK_EXPECT(r == ncclInvalidUsage, "init returned %d", r);
        std::string message = ncclGetLastError(nullptr);
        RANK_EXPECT(message.find("nranks") != std::string::npos, "message '%s'", message.c_str());
        return problems;
      },
      60);
  EXPECT_EQ(failures, "");
}

TEST(Init, BadArgumentsAndHandles) {
  ncclComm_t comm;
  ncclUniqueId garbage{};
  EXPECT_EQ(ncclCommInitRank(&comm, 2, garbage, 0), ncclInvalidArgument);
  EXPECT_EQ(ncclCommInitRank(&comm, 2, garbage, 2), ncclInvalidArgument);
  EXPECT_EQ(ncclCommInitRank(nullptr, 2, garbage, 0), ncclInvalidArgument);
  int v;
  EXPECT_EQ(ncclCommCount(nullptr, &v), ncclInvalidArgument);
  EXPECT_NE(std::string(ncclGetLastError(nullptr)), "");
  EXPECT_EQ(braidStreamSynchronize(reinterpret_cast<braidStream_t>(&v)), ncclInvalidArgument);
  EXPECT_EQ(ncclGroupEnd(), ncclInvalidUsage);
  ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
  config.magic = 0;
  ncclUniqueId id;
  ASSERT_EQ(ncclGetUniqueId(&id), ncclSuccess);
  EXPECT_EQ(ncclCommInitRankConfig(&comm, 1, id, 0, &config), ncclInvalidArgument);
}

}  // namespace
}  // namespace braid
