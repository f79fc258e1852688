// API behaviour beyond plain collectives: host streams, AlltoAllv, messages to self, init mismatches,
// bad handles and dead peers.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
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
