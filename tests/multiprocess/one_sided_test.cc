// One-sided calls (ncclPutSignal, ncclSignal, ncclWaitSignal) over windows: NCCL's published patterns (all-to-all
// by puts, a barrier by signals, ping-pong) give exact data over shared memory (cross-memory puts), sockets
// between emulated hosts and a mix of both; a stream of puts to one place arrives in program order; bad arguments
// are refused naming what is wrong; a peer that dies turns a wait into an error, never a hang.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "braid/braid.h"
#include "fork_ranks.h"
#include "wiring.h"

namespace braid {
namespace {

bool messageHas(ncclComm_t comm, const char* text) { return std::strstr(ncclGetLastError(comm), text) != nullptr; }

std::vector<ncclWaitSignalDesc_t> oneFromEach(int nranks, int opCnt) {
  std::vector<ncclWaitSignalDesc_t> all;
  for (int r = 0; r < nranks; ++r) all.push_back({opCnt, r, 0, 0});
  return all;
}

class OneSided : public ::testing::TestWithParam<testing::Wiring> {};

TEST_P(OneSided, PutsSignalsAndWaitsGiveExactDataInProgramOrder) {
  const testing::Wiring wiring = GetParam();
  std::string failures = testing::forkRanks(4, [wiring](int rank, int nranks, const ncclUniqueId& id) {
    int problems = 0;
    testing::useWiring(wiring, rank);
    ncclComm_t comm;
    if (ncclCommInitRank(&comm, nranks, id, rank) != ncclSuccess) return 1;
    const size_t count = 100000;  // per peer: a put spans many socket buffers
    std::vector<int> window(count * nranks, -1), send(count * nranks);
    for (size_t i = 0; i < send.size(); ++i) send[i] = static_cast<int>(rank * 10000000 + i);
    ncclWindow_t win;
    RANK_EXPECT(ncclCommWindowRegister(comm, window.data(), window.size() * sizeof(int), &win,
                                       NCCL_WIN_COLL_SYMMETRIC) == ncclSuccess,
                "register: %s", ncclGetLastError(comm));

    // All-to-all by puts: block `peer` of this rank's send buffer lands at block `rank` of the peer's window.
    ncclGroupStart();
    for (int peer = 0; peer < nranks; ++peer)
      ncclPutSignal(send.data() + peer * count, count, ncclInt32, peer, win, rank * count * sizeof(int), 0, 0, 0, comm,
                    nullptr);
    RANK_EXPECT(ncclGroupEnd() == ncclSuccess, "puts: %s", ncclGetLastError(comm));
    std::vector<ncclWaitSignalDesc_t> each = oneFromEach(nranks, 1);
    RANK_EXPECT(ncclWaitSignal(nranks, each.data(), comm, nullptr) == ncclSuccess, "wait: %s", ncclGetLastError(comm));
    size_t wrong = 0;
    for (int from = 0; from < nranks; ++from)
      for (size_t i = 0; i < count; ++i)
        wrong += window[from * count + i] != static_cast<int>(from * 10000000 + rank * count + i);
    RANK_EXPECT(wrong == 0, "%zu wrong elements after the all-to-all", wrong);

    // A barrier by signals (NCCL's example), then the same place written ten times over by the previous rank:
    // the last write wins, and each signal counts one put whose data is in place. On a Braid host stream.
    auto barrier = [&] {
      ncclGroupStart();
      for (int peer = 0; peer < nranks; ++peer) ncclSignal(peer, 0, 0, 0, comm, nullptr);
      RANK_EXPECT(ncclGroupEnd() == ncclSuccess, "signals: %s", ncclGetLastError(comm));
      RANK_EXPECT(ncclWaitSignal(nranks, each.data(), comm, nullptr) == ncclSuccess, "barrier");
    };
    barrier();
    braidStream_t stream;
    RANK_EXPECT(braidStreamCreate(&stream) == ncclSuccess, "stream");
    const int next = (rank + 1) % nranks, prev = (rank + nranks - 1) % nranks;
    std::vector<std::vector<int>> rounds(10, std::vector<int>(count));
    for (int round = 0; round < 10; ++round) {
      for (size_t i = 0; i < count; ++i) rounds[round][i] = round * 1000 + rank;
      RANK_EXPECT(
          ncclPutSignal(rounds[round].data(), count, ncclInt32, next, win, 0, 0, 0, 0, comm, stream) == ncclSuccess,
          "put round %d", round);
    }
    ncclWaitSignalDesc_t fromPrev = {10, prev, 0, 0};
    RANK_EXPECT(ncclWaitSignal(1, &fromPrev, comm, stream) == ncclSuccess, "wait for ten");
    RANK_EXPECT(braidStreamSynchronize(stream) == ncclSuccess, "stream: %s", ncclGetLastError(comm));
    wrong = 0;
    for (size_t i = 0; i < count; ++i) wrong += window[i] != 9 * 1000 + prev;
    RANK_EXPECT(wrong == 0, "%zu elements not from the last of ten puts (first %d)", wrong, window[0]);

    // Ping-pong between ranks 0 and 1 (NCCL's example), a put to itself on the others.
    barrier();
    const int peer = rank < 2 ? 1 - rank : rank;
    ncclWaitSignalDesc_t fromPeer = {1, peer, 0, 0};
    int value = 42 + rank;
    if (rank == 0) RANK_EXPECT(ncclWaitSignal(1, &fromPeer, comm, nullptr) == ncclSuccess, "ping wait");
    RANK_EXPECT(ncclPutSignal(&value, 1, ncclInt32, peer, win, 0, 0, 0, 0, comm, nullptr) == ncclSuccess, "ping put");
    if (rank != 0) RANK_EXPECT(ncclWaitSignal(1, &fromPeer, comm, nullptr) == ncclSuccess, "pong wait");
    RANK_EXPECT(window[0] == 42 + peer, "ping-pong value %d", window[0]);
    RANK_EXPECT(braidStreamDestroy(stream) == ncclSuccess, "stream destroy");
    RANK_EXPECT(ncclCommWindowDeregister(comm, win) == ncclSuccess, "deregister: %s", ncclGetLastError(comm));
    RANK_EXPECT(ncclCommDestroy(comm) == ncclSuccess, "destroy");
    return problems;
  });
  EXPECT_EQ(failures, "");
}

INSTANTIATE_TEST_SUITE_P(Wirings, OneSided,
                         ::testing::Values(testing::Wiring::SharedMemory, testing::Wiring::Sockets,
                                           testing::Wiring::Mixed),
                         [](const ::testing::TestParamInfo<testing::Wiring>& info) {
                           return std::string(testing::wiringName(info.param));
                         });

TEST(OneSidedErrors, BadArgumentsAreRefusedNamingWhatIsWrong) {
  std::string failures = testing::forkRanks(3, [](int rank, int nranks, const ncclUniqueId& id) {
    int problems = 0;
    ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
    config.numRmaCtx = 2;
    ncclComm_t comm;
    if (ncclCommInitRankConfig(&comm, nranks, id, rank, &config) != ncclSuccess) return 1;
    int value = rank;
    RANK_EXPECT(ncclSignal(0, 0, 0, 0, comm, nullptr) == ncclInvalidUsage && messageHas(comm, "no window"),
                "signal before any window: %s", ncclGetLastError(comm));
    std::vector<int> window(16);
    ncclWindow_t win;
    RANK_EXPECT(ncclCommWindowRegister(comm, window.data(), 64, &win, NCCL_WIN_DEFAULT) == ncclSuccess, "register");
    auto put = [&](size_t count, int peer, size_t offset, int sigIdx, int ctx, unsigned flags) {
      return ncclPutSignal(&value, count, ncclInt32, peer, win, offset, sigIdx, ctx, flags, comm, nullptr);
    };
    RANK_EXPECT(put(1, nranks, 0, 0, 0, 0) == ncclInvalidArgument && messageHas(comm, "peer 3"), "peer");
    RANK_EXPECT(put(1, 0, 0, 1, 0, 0) == ncclInvalidArgument && messageHas(comm, "sigIdx"), "sigIdx");
    RANK_EXPECT(put(1, 0, 0, 0, 2, 0) == ncclInvalidArgument && messageHas(comm, "numRmaCtx"), "ctx");
    RANK_EXPECT(put(1, 0, 0, 0, 0, 1) == ncclInvalidArgument && messageHas(comm, "flags"), "flags");
    RANK_EXPECT(put(2, 0, 60, 0, 0, 0) == ncclInvalidArgument && messageHas(comm, "do not fit"), "beyond the window");
    RANK_EXPECT(put(SIZE_MAX / 2, 0, 0, 0, 0, 0) == ncclInvalidArgument, "overflowing count");
    ncclWaitSignalDesc_t bad = {-1, 0, 0, 0};
    RANK_EXPECT(ncclWaitSignal(1, &bad, comm, nullptr) == ncclInvalidArgument && messageHas(comm, "opCnt"), "opCnt");
    RANK_EXPECT(ncclWaitSignal(1, nullptr, comm, nullptr) == ncclInvalidArgument, "NULL descriptors");

    // Context 1 counts apart from context 0: each rank puts its rank to the next on context 1 and signals it
    // on context 0; the waits on each context see exactly their own.
    const int next = (rank + 1) % nranks, prev = (rank + nranks - 1) % nranks;
    RANK_EXPECT(put(1, next, 4 * sizeof(int), 0, 1, 0) == ncclSuccess, "put on context 1");
    RANK_EXPECT(ncclSignal(next, 0, 0, 0, comm, nullptr) == ncclSuccess, "signal on context 0");
    ncclWaitSignalDesc_t both[2] = {{1, prev, 0, 1}, {1, prev, 0, 0}};
    RANK_EXPECT(ncclWaitSignal(2, both, comm, nullptr) == ncclSuccess, "wait: %s", ncclGetLastError(comm));
    RANK_EXPECT(window[4] == prev, "context 1 put gave %d", window[4]);
    RANK_EXPECT(ncclCommWindowDeregister(comm, win) == ncclSuccess, "deregister");
    RANK_EXPECT(ncclCommDestroy(comm) == ncclSuccess, "destroy");
    return problems;
  });
  EXPECT_EQ(failures, "");
}

// Rank 2 exits after the registration. Rank 0's wait for its signal fails within a second or so (the
// connection ends), naming it; rank 1's puts to it fail likewise.
TEST(OneSidedErrors, ADeadPeerTurnsAWaitIntoAnError) {
  std::string failures = testing::forkRanks(3, [](int rank, int nranks, const ncclUniqueId& id) {
    int problems = 0;
    ncclComm_t comm;
    if (ncclCommInitRank(&comm, nranks, id, rank) != ncclSuccess) return 1;
    std::vector<int> window(16);
    ncclWindow_t win;
    RANK_EXPECT(ncclCommWindowRegister(comm, window.data(), 64, &win, NCCL_WIN_DEFAULT) == ncclSuccess, "register");
    if (rank == 2) ::_exit(0);
    const auto start = std::chrono::steady_clock::now();
    ncclWaitSignalDesc_t fromDead = {1, 2, 0, 0};
    if (rank == 0) {
      RANK_EXPECT(ncclWaitSignal(1, &fromDead, comm, nullptr) == ncclRemoteError, "wait on a dead peer");
      // Named by the wait itself, or by rank 1's failure notice when that came first.
      RANK_EXPECT(messageHas(comm, "rank 2") || messageHas(comm, "rank 1 told of its failure"), "message '%s'",
                  ncclGetLastError(comm));
    } else {
      ncclResult_t r = ncclSuccess;
      for (int i = 0; i < 1000 && r == ncclSuccess; ++i) {
        r = ncclPutSignal(window.data(), 16, ncclInt32, 2, win, 0, 0, 0, 0, comm, nullptr);
        usleep(1000);
      }
      RANK_EXPECT(r == ncclRemoteError, "puts to a dead peer: %d '%s'", r, ncclGetLastError(comm));
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    RANK_EXPECT(seconds < 10, "noticed after %.1f s", seconds);
    ncclCommAbort(comm);
    return problems;
  });
  EXPECT_EQ(failures, "");
}

}  // namespace
}  // namespace braid
