// Going on without a dead rank: one rank is SIGKILLed in a stream of collectives; the survivors see the error,
// revoke, shrink with NCCL_SHRINK_ABORT and run 100 collectives with exact results over shared memory, sockets
// between emulated hosts and libfabric tcp, leaving no shared memory, descriptors or threads behind.
// NCCL_SHRINK_DEFAULT on a healthy communicator gives what a split gives; a second failure during the shrink is
// an error, never a hang; bad arguments are refused naming what is wrong; revoke unblocks a call on another
// thread. ncclCommGrow admits a new process.
#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "braid/braid.h"
#include "direct_collectives.h"
#include "fork_ranks.h"
#include "nccl.h"
#include "wiring.h"

namespace braid {
namespace {

bool lastErrorHas(ncclComm_t comm, const char* part) { return std::strstr(ncclGetLastError(comm), part) != nullptr; }

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int entriesIn(const char* dir) {
  int n = 0;
  if (DIR* d = opendir(dir)) {
    while (readdir(d)) ++n;
    closedir(d);
  }
  return n;
}

// The process's threads once those a finished communicator started have left: the count when it has not dropped
// for 100 ms (at most a second). A thread still on its way out when counted would read as one the test then lost
// (seen under ASan on a loaded machine: "4 threads, 5 before").
int settledThreadCount() {
  int count = entriesIn("/proc/self/task");
  for (int wait = 0; wait < 10; ++wait) {
    usleep(100000);
    const int now = entriesIn("/proc/self/task");
    if (now >= count) return now;
    count = now;
  }
  return count;
}

// What this process's descriptors point to ("3:socket:[123] 4:pipe:[45] ..."), for a failure message.
std::string descriptorTargets() {
  std::string text;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (const dirent* e = readdir(d)) {
      char target[256] = {};
      const std::string path = std::string("/proc/self/fd/") + e->d_name;
      if (e->d_name[0] != '.' && readlink(path.c_str(), target, sizeof target - 1) > 0)
        text += std::string(e->d_name) + ":" + target + " ";
    }
    closedir(d);
  }
  return text;
}

// Shared-memory segments this process created (transports/shm/segment_names.h: braid-<space>-<pid>-...).
int ownSegments() {
  int n = 0;
  DIR* dir = opendir("/dev/shm");
  if (!dir) return 0;
  while (const dirent* entry = readdir(dir)) {
    uint64_t space = 0;
    int pid = 0;
    if (std::sscanf(entry->d_name, "braid-%" SCNu64 "-%d-", &space, &pid) == 2 && pid == getpid()) ++n;
  }
  closedir(dir);
  return n;
}

// The new communicator's 100 AllReduces (sizes from 1 to 64 Ki elements, fresh values each) and then every
// collective kind once, each element compared.
int shrunkCommunicatorWorks(ncclComm_t comm, int rank, int nranks) {
  std::vector<int32_t> send(65536 * nranks), recv(65536 * nranks);
  int problems = 0;
  for (int call = 0; call < 100 && problems == 0; ++call) {
    const size_t count = size_t{1} << (call % 17);
    problems += testing::runAndCheck(testing::Kind::AllReduce, call % 2 == 1, count, call, send.data(), recv.data(),
                                     comm, rank, nranks);
  }
  problems += testing::runEveryKind({1000}, 1, send.data(), recv.data(), comm, rank, nranks);
  return problems;
}

enum class Stream { AllReduces, SendRecvGroups };

struct Case {
  testing::Wiring wiring;
  int nranks;
  int victim;
  Stream stream;
};

std::string nameOf(const ::testing::TestParamInfo<Case>& info) {
  const Case& c = info.param;
  return std::string(testing::wiringName(c.wiring)) + "_" + std::to_string(c.nranks) + "ranks_kill" +
         std::to_string(c.victim) + (c.stream == Stream::AllReduces ? "_inAllReduces" : "_inSendRecvGroup");
}

// One step of the stream, with values that change per step; returns what the call returned, and counts wrong
// elements as problems when it succeeded.
ncclResult_t streamStep(const Case& c, ncclComm_t comm, int rank, int nranks, int step, int& problems) {
  std::vector<int32_t> send(4096, rank + step), recv(4096, -1);
  if (c.stream == Stream::AllReduces) {
    ncclResult_t r = ncclAllReduce(send.data(), recv.data(), send.size(), ncclInt32, ncclSum, comm, nullptr);
    const int32_t want = nranks * (nranks - 1) / 2 + nranks * step;
    if (r == ncclSuccess && recv[0] != want) RANK_EXPECT(false, "step %d: %d, not %d", step, recv[0], want);
    return r;
  }
  // Each rank sends to the next and receives from the previous, in one group.
  // A send or receive refused inside the group (the communicator failed since the last step) spoils the group:
  // ncclGroupEnd runs nothing and returns that error.
  ncclGroupStart();
  ncclSend(send.data(), send.size(), ncclInt32, (rank + 1) % nranks, comm, nullptr);
  ncclRecv(recv.data(), recv.size(), ncclInt32, (rank + nranks - 1) % nranks, comm, nullptr);
  ncclResult_t r = ncclGroupEnd();
  const int32_t want = (rank + nranks - 1) % nranks + step;
  if (r == ncclSuccess && recv.back() != want) RANK_EXPECT(false, "step %d: %d, not %d", step, recv.back(), want);
  return r;
}

class ShrinkAfterKill : public ::testing::TestWithParam<Case> {};

TEST_P(ShrinkAfterKill, SurvivorsRevokeShrinkAndGoOn) {
  const Case c = GetParam();
  constexpr int kStepOfDeath = 5;
  std::string failures = testing::forkRanks(
      c.nranks,
      [c](int rank, int nranks, const ncclUniqueId& id) {
        int problems = 0;
        testing::useWiring(c.wiring, rank);
        // What a finished job leaves: a one-rank communicator starts the process's status service first.
        ncclComm_t warm;
        if (ncclCommInitAll(&warm, 1, nullptr) != ncclSuccess || ncclCommDestroy(warm) != ncclSuccess) return 1;
        const int threads = settledThreadCount(), fds = entriesIn("/proc/self/fd");

        ncclComm_t comm;
        if (ncclCommInitRank(&comm, nranks, id, rank) != ncclSuccess) return 1;
        ncclResult_t failed = ncclSuccess;
        int step = 0;
        for (; step < 200 && failed == ncclSuccess; ++step) {
          if (rank == c.victim && step == kStepOfDeath) raise(SIGKILL);
          failed = streamStep(c, comm, rank, nranks, step, problems);
        }
        const auto detected = std::chrono::steady_clock::now();
        RANK_EXPECT(failed == ncclRemoteError, "the stream ended at step %d with %d: %s", step, failed,
                    ncclGetLastError(comm));
        // Ranks that talk to the victim fail in the step it never reached; the others when a peer's failure
        // notice reaches them: a step or two later, or in the step before when they had not finished it yet.
        RANK_EXPECT(step - 1 >= kStepOfDeath - 1 && step - 1 <= kStepOfDeath + 2, "failed at step %d", step - 1);

        RANK_EXPECT(ncclCommRevoke(comm, NCCL_REVOKE_DEFAULT) == ncclSuccess, "revoke: %s", ncclGetLastError(comm));
        int x = 0;
        RANK_EXPECT(ncclAllReduce(&x, &x, 1, ncclInt32, ncclSum, comm, nullptr) == ncclInvalidUsage, "after revoke");
        RANK_EXPECT(lastErrorHas(comm, "ncclCommRevoke"), "%s", ncclGetLastError(comm));
        // Each survivor finds the dead rank on its own, asking every peer (live ones answer in ms; 5 s leaves room
        // for a loaded machine).
        std::vector<int> excluded(nranks);
        int gone = -1;
        RANK_EXPECT(braidCommFailedRanks(comm, 5.0, excluded.data(), &gone) == ncclSuccess, "%s",
                    ncclGetLastError(comm));
        RANK_EXPECT(gone == 1 && excluded[0] == c.victim, "%d ranks gone, the first %d", gone, excluded[0]);
        ncclComm_t shrunk = nullptr;
        ncclResult_t r = ncclCommShrink(comm, excluded.data(), gone, &shrunk, nullptr, NCCL_SHRINK_ABORT);
        RANK_EXPECT(r == ncclSuccess, "shrink: %s", ncclGetLastError(comm));
        if (r != ncclSuccess) return problems;
        int newRank = -1, newCount = -1;
        ncclCommUserRank(shrunk, &newRank);
        ncclCommCount(shrunk, &newCount);
        RANK_EXPECT(newCount == nranks - 1, "%d ranks", newCount);
        RANK_EXPECT(newRank == (rank < c.victim ? rank : rank - 1), "rank %d became %d", rank, newRank);
        problems += shrunkCommunicatorWorks(shrunk, newRank, newCount);
        std::fprintf(stderr, "rank %d: detected to 100 collectives done on %d ranks: %.2f s\n", rank, newCount,
                     secondsSince(detected));

        RANK_EXPECT(ncclCommDestroy(shrunk) == ncclSuccess, "destroy the shrunk communicator");
        RANK_EXPECT(ncclCommDestroy(comm) == ncclSuccess, "destroy the revoked one");
        RANK_EXPECT(ownSegments() == 0, "%d shared-memory segments left", ownSegments());
        // The derived root's thread leaves once its ranks have joined; allow it a moment.
        for (int wait = 0; wait < 50 && entriesIn("/proc/self/task") > threads; ++wait) usleep(20000);
        // Over libfabric's tcp (rxm) an endpoint whose sends are stuck behind the dead peer is left open on purpose
        // (libfabric 1.17 crashes closing it; transports/ofi/ofi_endpoint.cc): its descriptors stay.
        RANK_EXPECT(c.wiring == testing::Wiring::OfiTcp || entriesIn("/proc/self/fd") == fds,
                    "%d descriptors open, %d before: %s", entriesIn("/proc/self/fd"), fds, descriptorTargets().c_str());
        RANK_EXPECT(entriesIn("/proc/self/task") == threads, "%d threads, %d before", entriesIn("/proc/self/task"),
                    threads);
        return problems;
      },
      120);
  EXPECT_EQ(failures, "rank " + std::to_string(c.victim) + " died of signal 9; ");
}

INSTANTIATE_TEST_SUITE_P(Wirings, ShrinkAfterKill,
                         ::testing::Values(Case{testing::Wiring::SharedMemory, 4, 2, Stream::AllReduces},
                                           Case{testing::Wiring::SharedMemory, 4, 0, Stream::AllReduces},
                                           Case{testing::Wiring::SharedMemory, 8, 5, Stream::AllReduces},
                                           Case{testing::Wiring::SharedMemory, 4, 1, Stream::SendRecvGroups},
                                           Case{testing::Wiring::Sockets, 4, 2, Stream::AllReduces},
                                           Case{testing::Wiring::Sockets, 4, 0, Stream::AllReduces},
                                           Case{testing::Wiring::Sockets, 8, 3, Stream::AllReduces},
                                           Case{testing::Wiring::Sockets, 4, 3, Stream::SendRecvGroups},
                                           Case{testing::Wiring::OfiTcp, 4, 1, Stream::AllReduces},
                                           Case{testing::Wiring::OfiTcp, 8, 6, Stream::AllReduces}),
                         nameOf);

// NCCL_SHRINK_DEFAULT on a healthy communicator: the members get the ranks a split with the same members gives,
// and both communicators compute the same.
TEST(Shrink, DefaultOnAHealthyCommunicatorEqualsASplit) {
  std::string failures = testing::forkRanks(4, [](int rank, int nranks, const ncclUniqueId& id) {
    int problems = 0;
    ncclComm_t comm, split, shrunk = nullptr;
    if (ncclCommInitRank(&comm, nranks, id, rank) != ncclSuccess) return 1;
    const int leaving = 1;
    RANK_EXPECT(ncclCommSplit(comm, rank == leaving ? NCCL_SPLIT_NOCOLOR : 0, rank, &split, nullptr) == ncclSuccess,
                "split");
    if (rank != leaving) {
      int excluded[] = {leaving};
      RANK_EXPECT(ncclCommShrink(comm, excluded, 1, &shrunk, nullptr, NCCL_SHRINK_DEFAULT) == ncclSuccess, "%s",
                  ncclGetLastError(comm));
      int splitRank, shrunkRank, splitCount, shrunkCount;
      ncclCommUserRank(split, &splitRank);
      ncclCommUserRank(shrunk, &shrunkRank);
      ncclCommCount(split, &splitCount);
      ncclCommCount(shrunk, &shrunkCount);
      RANK_EXPECT(splitRank == shrunkRank && splitCount == shrunkCount, "split: rank %d of %d, shrink: %d of %d",
                  splitRank, splitCount, shrunkRank, shrunkCount);
      std::vector<float> a(1000), b(1000);
      for (size_t i = 0; i < a.size(); ++i) a[i] = b[i] = 0.1f * static_cast<float>(rank * 1000 + i);
      RANK_EXPECT(ncclAllReduce(a.data(), a.data(), a.size(), ncclFloat32, ncclSum, split, nullptr) == ncclSuccess,
                  "split AllReduce");
      RANK_EXPECT(ncclAllReduce(b.data(), b.data(), b.size(), ncclFloat32, ncclSum, shrunk, nullptr) == ncclSuccess,
                  "shrunk AllReduce");
      RANK_EXPECT(a == b, "the split and the shrunk communicator computed differently");
      // The parent stays usable after a default shrink.
      ncclCommDestroy(split);
      ncclCommDestroy(shrunk);
    }
    ncclCommDestroy(comm);
    return problems;
  });
  EXPECT_EQ(failures, "");
}

// The rank that would host the new root dies too, after the first death was seen: the others fail at once,
// saying whom they could not reach, instead of waiting for the bootstrap timeout.
TEST(Shrink, ASecondFailureDuringTheShrinkIsAnError) {
  std::string failures = testing::forkRanks(
      4,
      [](int rank, int nranks, const ncclUniqueId& id) {
        int problems = 0;
        testing::useWiring(testing::Wiring::Sockets, rank);
        ncclComm_t comm;
        if (ncclCommInitRank(&comm, nranks, id, rank) != ncclSuccess) return 1;
        if (rank == 3) raise(SIGKILL);
        int x = 1;
        RANK_EXPECT(ncclAllReduce(&x, &x, 1, ncclInt32, ncclSum, comm, nullptr) == ncclRemoteError, "%s",
                    ncclGetLastError(comm));
        if (rank == 0) raise(SIGKILL);  // would host the shrunk communicator's root
        int excluded[] = {3};
        ncclComm_t shrunk = nullptr;
        const auto start = std::chrono::steady_clock::now();
        ncclResult_t r = ncclCommShrink(comm, excluded, 1, &shrunk, nullptr, NCCL_SHRINK_ABORT);
        RANK_EXPECT(r != ncclSuccess, "shrink without the root's host succeeded");
        RANK_EXPECT(secondsSince(start) < 10, "failed after %.1f s", secondsSince(start));
        RANK_EXPECT(lastErrorHas(comm, "bootstrap root"), "%s", ncclGetLastError(comm));
        ncclCommDestroy(comm);
        return problems;
      },
      60);
  EXPECT_EQ(failures, "rank 0 died of signal 9; rank 3 died of signal 9; ");
}

TEST(Shrink, BadArgumentsAreRefusedNamingWhatIsWrong) {
  std::string failures = testing::forkRanks(2, [](int rank, int nranks, const ncclUniqueId& id) {
    int problems = 0;
    ncclComm_t comm, shrunk;
    if (ncclCommInitRank(&comm, nranks, id, rank) != ncclSuccess) return 1;
    int self[] = {rank}, outside[] = {7}, twice[] = {1 - rank, 1 - rank};
    auto refused = [&](ncclResult_t r, const char* part) {
      RANK_EXPECT(r == ncclInvalidArgument, "returned %d", r);
      RANK_EXPECT(lastErrorHas(comm, part), "wanted \"%s\": %s", part, ncclGetLastError(comm));
    };
    refused(ncclCommShrink(comm, self, 1, &shrunk, nullptr, NCCL_SHRINK_DEFAULT), "this rank (");
    refused(ncclCommShrink(comm, outside, 1, &shrunk, nullptr, NCCL_SHRINK_DEFAULT), "excludeRanksList[0] = 7");
    refused(ncclCommShrink(comm, twice, 2, &shrunk, nullptr, NCCL_SHRINK_DEFAULT), "excludeRanksCount 2");
    refused(ncclCommShrink(comm, nullptr, 1, &shrunk, nullptr, NCCL_SHRINK_DEFAULT), "excludeRanksList is NULL");
    refused(ncclCommShrink(comm, outside, 0, &shrunk, nullptr, 2), "shrinkFlags 2");
    refused(ncclCommRevoke(comm, 1), "NCCL_REVOKE_DEFAULT");
    // Refusals touch nothing: the communicator still works.
    int x = rank + 1;
    RANK_EXPECT(ncclAllReduce(&x, &x, 1, ncclInt32, ncclSum, comm, nullptr) == ncclSuccess && x == 3, "x = %d", x);
    ncclCommDestroy(comm);
    return problems;
  });
  EXPECT_EQ(failures, "");
}

// Revoke from another thread unblocks a call that waits on a live peer that will never take part (rank 1 idles),
// within a fraction of a second; then both ranks shrink without excluding anyone, rank 0 non-blocking
// (ncclInProgress until ncclCommGetAsyncError says ncclSuccess), and the new communicator works.
TEST(Revoke, UnblocksACallOnAnotherThreadAndShrinkFollows) {
  std::string failures = testing::forkRanks(2, [](int rank, int nranks, const ncclUniqueId& id) {
    int problems = 0;
    ncclComm_t comm, shrunk = nullptr;
    if (ncclCommInitRank(&comm, nranks, id, rank) != ncclSuccess) return 1;
    if (rank == 0) {
      std::thread revoker([&] {
        usleep(300000);
        RANK_EXPECT(ncclCommRevoke(comm, NCCL_REVOKE_DEFAULT) == ncclSuccess, "%s", ncclGetLastError(comm));
      });
      std::vector<float> x(1 << 16, 1.0f);
      const auto start = std::chrono::steady_clock::now();
      ncclResult_t r = ncclAllReduce(x.data(), x.data(), x.size(), ncclFloat32, ncclSum, comm, nullptr);
      RANK_EXPECT(r == ncclInvalidUsage, "the blocked AllReduce returned %d", r);
      RANK_EXPECT(secondsSince(start) < 2, "it returned after %.2f s", secondsSince(start));
      revoker.join();
      RANK_EXPECT(lastErrorHas(comm, "revoked"), "%s", ncclGetLastError(comm));
      ncclResult_t state = ncclInternalError;
      ncclCommGetAsyncError(comm, &state);
      RANK_EXPECT(state == ncclSuccess, "state after revoke: %d", state);
    } else {
      usleep(600000);  // alive, but never in rank 0's AllReduce
      RANK_EXPECT(ncclCommRevoke(comm, NCCL_REVOKE_DEFAULT) == ncclSuccess, "%s", ncclGetLastError(comm));
    }
    ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
    config.blocking = rank == 0 ? 0 : 1;
    ncclResult_t r = ncclCommShrink(comm, nullptr, 0, &shrunk, &config, NCCL_SHRINK_ABORT);
    RANK_EXPECT(r == (rank == 0 ? ncclInProgress : ncclSuccess), "shrink returned %d: %s", r, ncclGetLastError(comm));
    ncclResult_t state = ncclInProgress;
    while (shrunk && state == ncclInProgress) ncclCommGetAsyncError(shrunk, &state);
    RANK_EXPECT(state == ncclSuccess, "the shrunk communicator's state is %d", state);
    int x = rank + 1;
    RANK_EXPECT(ncclAllReduce(&x, &x, 1, ncclInt32, ncclSum, shrunk, nullptr) == ncclSuccess && x == 3, "x = %d", x);
    ncclCommDestroy(shrunk);
    ncclCommDestroy(comm);
    return problems;
  });
  EXPECT_EQ(failures, "");
}

// ncclCommGrow: a fourth process joins a 3-rank communicator (the id travels from rank 0 through a pipe, as a
// launcher would hand it over); all four run every collective kind with exact results, and the old communicator
// still works beside the new one.
TEST(Grow, ANewProcessJoinsAThreeRankCommunicator) {
  int pipeFds[2];
  ASSERT_EQ(pipe(pipeFds), 0);
  std::string failures = testing::forkRanks(4, [&pipeFds](int rank, int, const ncclUniqueId& id) {
    int problems = 0;
    ncclComm_t comm = nullptr, grown = nullptr;
    ncclUniqueId growId;
    if (rank == 3) {
      if (read(pipeFds[0], &growId, sizeof growId) != static_cast<ssize_t>(sizeof growId)) return 1;
      RANK_EXPECT(ncclCommGrow(nullptr, 4, &growId, 3, &grown, nullptr) == ncclSuccess, "%s",
                  ncclGetLastError(nullptr));
    } else {
      if (ncclCommInitRank(&comm, 3, id, rank) != ncclSuccess) return 1;
      if (rank == 0) {
        RANK_EXPECT(ncclCommGetUniqueId(comm, &growId) == ncclSuccess, "%s", ncclGetLastError(comm));
        if (write(pipeFds[1], &growId, sizeof growId) != static_cast<ssize_t>(sizeof growId)) return 1;
      }
      RANK_EXPECT(ncclCommGrow(comm, 4, rank == 0 ? &growId : nullptr, -1, &grown, nullptr) == ncclSuccess, "%s",
                  ncclGetLastError(comm));
    }
    if (!grown) return problems + 1;
    int newRank = -1, newCount = -1;
    ncclCommUserRank(grown, &newRank);
    ncclCommCount(grown, &newCount);
    RANK_EXPECT(newRank == rank && newCount == 4, "rank %d of %d", newRank, newCount);
    std::vector<int32_t> send(4 * 4096), recv(4 * 4096);
    problems += testing::runEveryKind({1, 4096}, 1, send.data(), recv.data(), grown, rank, 4);
    if (comm) {
      problems += testing::runEveryKind({100}, 1, send.data(), recv.data(), comm, rank, 3);
      ncclCommDestroy(comm);
    }
    ncclCommDestroy(grown);
    return problems;
  });
  close(pipeFds[0]);
  close(pipeFds[1]);
  EXPECT_EQ(failures, "");
}

// Grow refuses what it cannot serve, on every existing rank at once: two ranks giving an id, no rank giving one.
TEST(Grow, ExactlyOneExistingRankGivesTheId) {
  std::string failures = testing::forkRanks(2, [](int rank, int nranks, const ncclUniqueId& id) {
    int problems = 0;
    ncclComm_t comm, grown = nullptr;
    if (ncclCommInitRank(&comm, nranks, id, rank) != ncclSuccess) return 1;
    ncclUniqueId growId;
    RANK_EXPECT(ncclCommGetUniqueId(comm, &growId) == ncclSuccess, "%s", ncclGetLastError(comm));
    RANK_EXPECT(ncclCommGrow(comm, 3, &growId, -1, &grown, nullptr) == ncclInvalidArgument, "two ids");
    RANK_EXPECT(lastErrorHas(comm, "exactly one existing rank"), "%s", ncclGetLastError(comm));
    RANK_EXPECT(ncclCommGrow(comm, 3, nullptr, -1, &grown, nullptr) == ncclInvalidArgument, "no id");
    RANK_EXPECT(ncclCommGrow(comm, 2, nullptr, -1, &grown, nullptr) == ncclInvalidArgument, "not larger");
    RANK_EXPECT(lastErrorHas(comm, "must exceed"), "%s", ncclGetLastError(comm));
    RANK_EXPECT(ncclCommGrow(comm, 3, nullptr, 0, &grown, nullptr) == ncclInvalidArgument, "rank 0");
    ncclCommDestroy(comm);
    return problems;
  });
  EXPECT_EQ(failures, "");
}

}  // namespace
}  // namespace braid
