// Collectives on several channels (BRAID_MIN_NCHANNELS, src/exec/channels_run.h): AllReduce, Broadcast and
// Reduce of a megabyte and more split into parts that helper threads drive over their own FIFOs; the others
// keep one channel. Every kind, in place and not, with counts whose parts end mid-page, under the planner's
// choice and with each AllReduce algorithm forced; a communicator across hosts keeps one channel; and a peer
// that dies while helpers wait on it turns into an error, not a hang. Every element is checked.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "direct_collectives.h"
#include "fork_ranks.h"
#include "nccl.h"
#include "wiring.h"

namespace braid {
namespace {

const std::vector<size_t> kCounts = {1001, 300007, 1100001};  // one channel; 2 parts; up to 3 parts

struct ChannelsCase {
  int nranks;
  const char* channels;    // BRAID_MIN_NCHANNELS
  const char* algorithms;  // BRAID_ALGO, or nullptr
  testing::Wiring wiring;
  const char* name;
};

class Channels : public ::testing::TestWithParam<ChannelsCase> {};

TEST_P(Channels, EveryCollectiveInPlaceAndOutOfPlace) {
  const ChannelsCase c = GetParam();
  std::string failures = testing::forkRanks(
      c.nranks,
      [&c](int rank, int nranks, const ncclUniqueId& id) {
        int problems = 0;
        testing::useWiring(c.wiring, rank);
        setenv("BRAID_MIN_NCHANNELS", c.channels, 1);
        if (c.algorithms) setenv("BRAID_ALGO", c.algorithms, 1);
        ncclComm_t comm = nullptr;
        RANK_EXPECT(ncclCommInitRank(&comm, nranks, id, rank) == ncclSuccess, "init: %s", ncclGetLastError(nullptr));
        if (!comm) return problems;
        std::vector<int32_t> send(kCounts[2] * nranks), recv(kCounts[2] * nranks);
        // The second round reuses the helpers and their runs.
        problems += testing::runEveryKind(kCounts, 2, send.data(), recv.data(), comm, rank, nranks);
        RANK_EXPECT(ncclCommDestroy(comm) == ncclSuccess, "destroy");
        return problems;
      },
      600);
  EXPECT_EQ(failures, "");
}

INSTANTIATE_TEST_SUITE_P(
    Ranks, Channels,
    ::testing::Values(ChannelsCase{2, "2", nullptr, testing::Wiring::SharedMemory, "2ranks_2channels"},
                      ChannelsCase{3, "3", nullptr, testing::Wiring::SharedMemory, "3ranks_3channels"},
                      ChannelsCase{4, "2", "allreduce:tree;broadcast:tree;reduce:tree", testing::Wiring::SharedMemory,
                                   "4ranks_2channels_tree"},
                      ChannelsCase{3, "2", "allreduce:rd;broadcast:chain;reduce:chain", testing::Wiring::SharedMemory,
                                   "3ranks_2channels_rd"},
                      ChannelsCase{4, "3", "allreduce:rhd", testing::Wiring::SharedMemory, "4ranks_3channels_rhd"},
                      ChannelsCase{4, "2", nullptr, testing::Wiring::Mixed, "4ranks_two_hosts_one_channel"}),
    [](const ::testing::TestParamInfo<ChannelsCase>& info) { return std::string(info.param.name); });

// Rank 1 leaves after init: the others' channel 0 finds it gone, the launch stops the helpers that wait on it,
// and the call returns ncclRemoteError.
TEST(ChannelsFailure, DeadPeerStopsTheHelpersAndIsAnError) {
  std::string failures = testing::forkRanks(
      3,
      [](int rank, int nranks, const ncclUniqueId& id) {
        int problems = 0;
        setenv("BRAID_MIN_NCHANNELS", "3", 1);
        ncclComm_t comm = nullptr;
        if (ncclCommInitRank(&comm, nranks, id, rank) != ncclSuccess) return 1;
        if (rank == 1) _exit(0);
        std::vector<float> buffer(1 << 20, 1.0f);
        const auto start = std::chrono::steady_clock::now();
        const ncclResult_t r =
            ncclAllReduce(buffer.data(), buffer.data(), buffer.size(), ncclFloat32, ncclSum, comm, nullptr);
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        RANK_EXPECT(r == ncclRemoteError, "AllReduce with a dead peer returned %d (%s)", r, ncclGetLastError(comm));
        RANK_EXPECT(seconds < 10, "took %.1f s", seconds);
        ncclCommAbort(comm);
        return problems;
      },
      60);
  EXPECT_EQ(failures, "");
}

}  // namespace
}  // namespace braid
