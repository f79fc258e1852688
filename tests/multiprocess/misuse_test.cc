// Misuse, careless or hostile, that once crashed, hung, took down the host or answered wrong as success (#26):
// each now fails with an NCCL error code and a message, on every rank that made the call, and leaves the
// communicator usable where NCCL would.
#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "braid/braid.h"
#include "fork_ranks.h"
#include "wiring.h"

namespace braid {
namespace {

bool lastErrorHas(ncclComm_t comm, const std::string& part) {
  const char* text = ncclGetLastError(comm);
  return text && std::string(text).find(part) != std::string::npos;
}

// Every rank's sum of rank + 1 over `count` ints, compared element by element: the communicator still works.
int allReduceStillRight(ncclComm_t comm, int rank, int nranks, size_t count = 100000) {
  int problems = 0;
  std::vector<int> data(count, rank + 1);
  RANK_EXPECT(ncclAllReduce(data.data(), data.data(), count, ncclInt32, ncclSum, comm, nullptr) == ncclSuccess, "%s",
              ncclGetLastError(comm));
  const int want = nranks * (nranks + 1) / 2;
  for (size_t i = 0; i < count; ++i) RANK_EXPECT(data[i] == want, "element %zu is %d, not %d", i, data[i], want);
  return problems;
}

// A problem unless `result` is ncclInvalidArgument and the message says `part`.
int refusedSaying(ncclComm_t comm, int rank, ncclResult_t result, const char* what, const char* part) {
  int problems = 0;
  RANK_EXPECT(result == ncclInvalidArgument, "%s returned %d", what, result);
  RANK_EXPECT(lastErrorHas(comm, part), "%s: %s", what, ncclGetLastError(comm));
  return problems;
}

// Item 1: ncclMemAlloc of more than the machine can hold fails at once, touching nothing; under `ulimit -f` it
// fails instead of the kernel killing the process with SIGXFSZ.
TEST(Misuse, MemAllocOfImpossibleSizesFailsWithoutTouchingTheHost) {
  std::string failures = testing::forkRanks(1, [](int rank, int, const ncclUniqueId&) {
    int problems = 0;
    void* p = nullptr;
    RANK_EXPECT(ncclMemAlloc(&p, size_t{1} << 50) == ncclSystemError, "1 PiB");
    RANK_EXPECT(lastErrorHas(nullptr, "cannot reserve") && lastErrorHas(nullptr, "memory"), "%s",
                ncclGetLastError(nullptr));
    RANK_EXPECT(ncclMemAlloc(&p, SIZE_MAX) == ncclInvalidArgument, "SIZE_MAX");
    RANK_EXPECT(ncclMemAlloc(&p, SIZE_MAX / 2 + 1) == ncclInvalidArgument, "beyond PTRDIFF_MAX");
    const rlimit small{1 << 20, 1 << 20};
    RANK_EXPECT(setrlimit(RLIMIT_FSIZE, &small) == 0, "setrlimit");
    RANK_EXPECT(ncclMemAlloc(&p, 8 << 20) == ncclSystemError, "8 MiB under ulimit -f 1024");
    RANK_EXPECT(lastErrorHas(nullptr, "ulimit -f"), "%s", ncclGetLastError(nullptr));
    RANK_EXPECT(ncclMemAlloc(&p, 256 << 10) == ncclSuccess, "256 KiB fits under the limit: %s",
                ncclGetLastError(nullptr));
    if (p) {
      static_cast<char*>(p)[(256 << 10) - 1] = 1;
      RANK_EXPECT(ncclMemFree(p) == ncclSuccess, "free");
    }
    return problems;
  });
  EXPECT_EQ(failures, "");
}

// Item 4: counts whose byte size overflows, or exceeds what a buffer can span, fail at once on every rank, for
// every collective and point-to-point call; the communicator then works.
TEST(Misuse, CountTimesSizeOverflowIsRefusedOnEveryRank) {
  std::string failures = testing::forkRanks(4, [](int rank, int nranks, const ncclUniqueId& id) {
    int problems = 0;
    ncclComm_t comm;
    if (ncclCommInitRank(&comm, nranks, id, rank) != ncclSuccess) return 1;
    std::vector<double> buffer(64);  // never touched by a refused call
    double* b = buffer.data();
    const size_t huge61 = size_t{1} << 61, huge62 = (size_t{1} << 62) + 1;
    auto refused = [&](ncclResult_t result, const char* what) {
      problems += refusedSaying(comm, rank, result, what, "overflow");
    };
    refused(ncclAllReduce(b, b, SIZE_MAX, ncclFloat32, ncclSum, comm, nullptr), "AllReduce SIZE_MAX");
    refused(ncclAllReduce(b, b, SIZE_MAX / 8 + 2, ncclFloat64, ncclSum, comm, nullptr), "AllReduce SIZE_MAX/8+2");
    refused(ncclAllReduce(b, b, huge62, ncclFloat32, ncclSum, comm, nullptr), "AllReduce 2^62+1");
    refused(ncclReduce(b, b, huge62, ncclFloat32, ncclSum, 0, comm, nullptr), "Reduce 2^62+1");
    refused(ncclBroadcast(b, b, huge62, ncclFloat32, 0, comm, nullptr), "Broadcast 2^62+1");
    refused(ncclAllGather(b, b, huge61, ncclFloat32, comm, nullptr), "AllGather 2^61");
    refused(ncclReduceScatter(b, b, huge61, ncclFloat32, ncclSum, comm, nullptr), "ReduceScatter 2^61");
    refused(ncclAlltoAll(b, b, huge61, ncclFloat32, comm, nullptr), "AlltoAll 2^61");
    refused(ncclGather(b, b, huge61, ncclFloat32, 0, comm, nullptr), "Gather 2^61");
    refused(ncclScatter(b, b, huge61, ncclFloat32, 0, comm, nullptr), "Scatter 2^61");
    refused(ncclSend(b, huge62, ncclFloat64, (rank + 1) % nranks, comm, nullptr), "Send 2^62+1");
    refused(ncclRecv(b, huge62, ncclFloat64, (rank + 1) % nranks, comm, nullptr), "Recv 2^62+1");
    std::vector<size_t> counts(nranks, 1), displs(nranks, 0);
    displs[nranks - 1] = SIZE_MAX;
    refused(braidAlltoAllv(b, counts.data(), displs.data(), b + 32, counts.data(), displs.data(), ncclFloat64, comm,
                           nullptr),
            "AlltoAllv with a displacement of SIZE_MAX");
    problems += allReduceStillRight(comm, rank, nranks);
    RANK_EXPECT(ncclCommDestroy(comm) == ncclSuccess, "destroy");
    return problems;
  });
  EXPECT_EQ(failures, "");
}

// Item 11: buffers that overlap without being in NCCL's in-place layout are refused (they used to answer wrong);
// the in-place layouts work, and AlltoAll takes any overlap (its input is copied aside).
TEST(Misuse, PartiallyOverlappingBuffersAreRefusedAndInPlaceStillWorks) {
  std::string failures = testing::forkRanks(4, [](int rank, int nranks, const ncclUniqueId& id) {
    int problems = 0;
    ncclComm_t comm;
    if (ncclCommInitRank(&comm, nranks, id, rank) != ncclSuccess) return 1;
    const size_t count = 300000;  // above the sizes (~400 KB) where the answers used to go wrong
    const size_t n = static_cast<size_t>(nranks);
    std::vector<int> buffer(count * n + 8);
    int* b = buffer.data();
    auto refused = [&](ncclResult_t result, const char* what) {
      problems += refusedSaying(comm, rank, result, what, "overlap");
    };
    refused(ncclAllReduce(b, b + 1, count, ncclInt32, ncclSum, comm, nullptr), "AllReduce");
    refused(ncclAllGather(b + count * rank + 1, b, count, ncclInt32, comm, nullptr), "AllGather");
    refused(ncclReduceScatter(b, b + count * rank + 1, count, ncclInt32, ncclSum, comm, nullptr), "ReduceScatter");
    // Rooted calls: the root's buffers are the ones that overlap; it alone fails, and the others, not having
    // made the call, are not disturbed.
    for (int root = 0; root < nranks; ++root) {
      if (rank != root) continue;
      refused(ncclBroadcast(b, b + 1, count, ncclInt32, root, comm, nullptr), "Broadcast");
      refused(ncclReduce(b + 1, b, count, ncclInt32, ncclSum, root, comm, nullptr), "Reduce");
      refused(ncclGather(b + count * root + 1, b, count, ncclInt32, root, comm, nullptr), "Gather");
      refused(ncclScatter(b, b + count * root + 1, count, ncclInt32, root, comm, nullptr), "Scatter");
    }
    // In place: AllGather's input is its own block of the output, ReduceScatter's output its block of the input.
    for (size_t i = 0; i < count; ++i) b[count * rank + i] = rank * 7 + static_cast<int>(i % 1000);
    RANK_EXPECT(ncclAllGather(b + count * rank, b, count, ncclInt32, comm, nullptr) == ncclSuccess, "AllGather");
    for (size_t r = 0; r < n; ++r)
      for (size_t i = 0; i < count; ++i)
        RANK_EXPECT(b[count * r + i] == static_cast<int>(r) * 7 + static_cast<int>(i % 1000), "AllGather [%zu][%zu]", r,
                    i);
    for (size_t i = 0; i < count * n; ++i) b[i] = rank + static_cast<int>(i % 100);
    RANK_EXPECT(ncclReduceScatter(b, b + count * rank, count, ncclInt32, ncclSum, comm, nullptr) == ncclSuccess,
                "ReduceScatter");
    for (size_t i = 0; i < count; ++i) {
      const int want = nranks * (nranks - 1) / 2 + nranks * static_cast<int>((count * rank + i) % 100);
      RANK_EXPECT(b[count * rank + i] == want, "ReduceScatter [%zu] %d, not %d", i, b[count * rank + i], want);
    }
    // AlltoAll with its output three elements past its input.
    const size_t block = count / 4;
    for (size_t i = 0; i < block * n; ++i) b[i] = rank * 1000000 + static_cast<int>(i);
    RANK_EXPECT(ncclAlltoAll(b, b + 3, block, ncclInt32, comm, nullptr) == ncclSuccess, "AlltoAll");
    for (size_t from = 0; from < n; ++from)
      for (size_t i = 0; i < block; ++i) {
        const int want = static_cast<int>(from) * 1000000 + static_cast<int>(block * rank + i);
        RANK_EXPECT(b[3 + block * from + i] == want, "AlltoAll [%zu][%zu]", from, i);
      }
    problems += allReduceStillRight(comm, rank, nranks);
    RANK_EXPECT(ncclCommDestroy(comm) == ncclSuccess, "destroy");
    return problems;
  });
  EXPECT_EQ(failures, "");
}

// Item 3: destroying or aborting a communicator between ncclGroupStart and ncclGroupEnd drops the calls the group
// recorded on it (NCCL's rule); ncclGroupEnd says so with ncclInvalidUsage and runs the rest of the group.
class DestroyInGroup : public ::testing::TestWithParam<bool> {};

TEST_P(DestroyInGroup, DropsItsCallsAndGroupEndSaysSo) {
  const bool abort = GetParam();
  std::string failures = testing::forkRanks(3, [abort](int rank, int nranks, const ncclUniqueId& id) {
    int problems = 0;
    ncclComm_t comm, other;
    if (ncclCommInitRank(&comm, nranks, id, rank) != ncclSuccess) return 1;
    if (ncclCommSplit(comm, 0, rank, &other, nullptr) != ncclSuccess) return 2;
    std::vector<int> a(50000, rank + 1), b(50000, rank + 1);
    RANK_EXPECT(ncclGroupStart() == ncclSuccess, "start");
    RANK_EXPECT(ncclAllReduce(a.data(), a.data(), a.size(), ncclInt32, ncclSum, comm, nullptr) == ncclSuccess, "a");
    RANK_EXPECT(ncclAllReduce(b.data(), b.data(), b.size(), ncclInt32, ncclSum, other, nullptr) == ncclSuccess, "b");
    RANK_EXPECT((abort ? ncclCommAbort(comm) : ncclCommDestroy(comm)) == ncclSuccess, "release inside the group");
    RANK_EXPECT(ncclGroupEnd() == ncclInvalidUsage, "ncclGroupEnd reports the dropped call");
    RANK_EXPECT(lastErrorHas(nullptr, "dropped 1 call"), "%s", ncclGetLastError(nullptr));
    for (int v : b) RANK_EXPECT(v == 6, "the other communicator's call ran: %d", v);
    problems += allReduceStillRight(other, rank, nranks);
    RANK_EXPECT(ncclCommDestroy(other) == ncclSuccess, "destroy");
    return problems;
  });
  EXPECT_EQ(failures, "");
}

INSTANTIATE_TEST_SUITE_P(Misuse, DestroyInGroup, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) { return info.param ? "Abort" : "Destroy"; });

// Item 2: a child forked after init does not own the communicator: its calls fail at once, and the parent and
// its peers go on in step.
TEST(Misuse, ForkedChildCannotUseItsParentsCommunicator) {
  std::string failures = testing::forkRanks(3, [](int rank, int nranks, const ncclUniqueId& id) {
    int problems = 0;
    ncclComm_t comm;
    if (ncclCommInitRank(&comm, nranks, id, rank) != ncclSuccess) return 1;
    problems += allReduceStillRight(comm, rank, nranks);
    if (rank == 1) {
      const pid_t child = fork();
      if (child == 0) {
        int childProblems = 0;
        std::vector<int> data(1000, 99);
        if (ncclAllReduce(data.data(), data.data(), data.size(), ncclInt32, ncclSum, comm, nullptr) != ncclInvalidUsage)
          ++childProblems;
        if (!lastErrorHas(comm, "forked")) ++childProblems;
        if (ncclSend(data.data(), 1, ncclInt32, 0, comm, nullptr) != ncclInvalidUsage) ++childProblems;
        _exit(childProblems);
      }
      int status = 0;
      waitpid(child, &status, 0);
      RANK_EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child's calls were refused (status %d)", status);
    }
    problems += allReduceStillRight(comm, rank, nranks);
    RANK_EXPECT(ncclCommDestroy(comm) == ncclSuccess, "destroy");
    return problems;
  });
  EXPECT_EQ(failures, "");
}

// Item 12: after ncclCommFinalize only ncclCommDestroy may follow.
TEST(Misuse, CollectivesAfterFinalizeAreRefused) {
  std::string failures = testing::forkRanks(2, [](int rank, int nranks, const ncclUniqueId& id) {
    int problems = 0;
    ncclComm_t comm;
    if (ncclCommInitRank(&comm, nranks, id, rank) != ncclSuccess) return 1;
    problems += allReduceStillRight(comm, rank, nranks);
    RANK_EXPECT(ncclCommFinalize(comm) == ncclSuccess, "finalize");
    int x = 1;
    RANK_EXPECT(ncclAllReduce(&x, &x, 1, ncclInt32, ncclSum, comm, nullptr) == ncclInvalidUsage, "after finalize");
    RANK_EXPECT(lastErrorHas(comm, "finalized"), "%s", ncclGetLastError(comm));
    RANK_EXPECT(ncclCommDestroy(comm) == ncclSuccess, "destroy");
    return problems;
  });
  EXPECT_EQ(failures, "");
}

// Item 5: a malformed bootstrap timeout is an error from ncclGetUniqueId, not a wait forever.
TEST(Misuse, MalformedBootstrapTimeoutFailsGetUniqueId) {
  std::string failures = testing::forkRanks(
      1,
      [](int rank, int, const ncclUniqueId&) {
        int problems = 0;
        setenv("BRAID_BOOTSTRAP_TIMEOUT", "abc", 1);
        ncclUniqueId id;
        RANK_EXPECT(ncclGetUniqueId(&id) == ncclInvalidArgument, "ncclGetUniqueId");
        RANK_EXPECT(lastErrorHas(nullptr, "BRAID_BOOTSTRAP_TIMEOUT=\"abc\""), "%s", ncclGetLastError(nullptr));
        return problems;
      },
      60);
  EXPECT_EQ(failures, "");
}

// A call that fails inside a group spoils the group, as in NCCL: ncclGroupEnd runs none of its calls (the valid
// send would otherwise reach a peer that expects nothing) and returns the error; the communicator goes on.
TEST(Misuse, ACallThatFailsInsideAGroupSpoilsTheGroup) {
  std::string failures = testing::forkRanks(2, [](int rank, int nranks, const ncclUniqueId& id) {
    int problems = 0;
    ncclComm_t comm;
    if (ncclCommInitRank(&comm, nranks, id, rank) != ncclSuccess) return 1;
    if (rank == 0) {
      int x = 1, y = 0;
      ncclGroupStart();
      RANK_EXPECT(ncclSend(&x, 1, ncclInt32, 1, comm, nullptr) == ncclSuccess, "send");
      RANK_EXPECT(ncclRecv(&y, 1, ncclInt32, 5, comm, nullptr) == ncclInvalidArgument, "receive from rank 5");
      RANK_EXPECT(ncclGroupEnd() == ncclInvalidArgument, "ncclGroupEnd of a spoiled group");
      RANK_EXPECT(lastErrorHas(comm, "none of the group's calls ran"), "%s", ncclGetLastError(comm));
    }
    problems += allReduceStillRight(comm, rank, nranks);
    ncclCommDestroy(comm);
    return problems;
  });
  EXPECT_EQ(failures, "");
}

// Item 8: shared-memory segments exist by name from their creation until every peer has mapped them; ranks
// killed in that window (SIGKILL during init) leave them in /dev/shm. Their names carry the creator's pid
// (/braid-<pid namespace>-<pid>-...), and the next init on the host removes those of processes that are gone.
std::vector<std::string> segmentsOf(const std::set<pid_t>& pids) {
  std::vector<std::string> found;
  DIR* dir = opendir("/dev/shm");
  if (!dir) return found;
  while (const dirent* entry = readdir(dir)) {
    uint64_t space = 0;
    int pid = 0;
    if (std::sscanf(entry->d_name, "braid-%" SCNu64 "-%d-", &space, &pid) == 2 && pids.count(pid))
      found.push_back(entry->d_name);
  }
  closedir(dir);
  return found;
}

TEST(Misuse, SharedMemoryOfRanksKilledDuringInitIsReclaimed) {
  const int nranks = 4;
  std::set<pid_t> killed;
  for (int round = 0; round < 3; ++round) {
    ncclUniqueId id;
    ASSERT_EQ(ncclGetUniqueId(&id), ncclSuccess);
    std::set<pid_t> ranks;
    for (int rank = 0; rank < nranks; ++rank) {
      const pid_t pid = fork();
      if (pid == 0) {
        ncclComm_t comm;
        _exit(ncclCommInitRank(&comm, nranks, id, rank) == ncclSuccess ? 0 : 1);
      }
      ranks.insert(pid);
    }
    // As soon as the first rank's segments exist, freeze every rank (none can have unlinked: that waits for all
    // to have mapped), then kill them all.
    std::vector<std::string> seen;
    for (int spin = 0; spin < 2000000 && seen.empty(); ++spin) seen = segmentsOf(ranks);
    for (pid_t pid : ranks) kill(pid, SIGSTOP);
    for (pid_t pid : ranks) kill(pid, SIGKILL);
    for (pid_t pid : ranks) waitpid(pid, nullptr, 0);
    // Seen, so killed inside the window. (An init of a test running alongside may already have removed them.)
    EXPECT_FALSE(seen.empty()) << "round " << round << ": no rank's segments were ever seen";
    killed.insert(ranks.begin(), ranks.end());
  }
  std::string failures = testing::forkRanks(2, [](int rank, int nranks, const ncclUniqueId& id) {
    ncclComm_t comm;
    if (ncclCommInitRank(&comm, nranks, id, rank) != ncclSuccess) return 1;
    return allReduceStillRight(comm, rank, nranks) + (ncclCommDestroy(comm) == ncclSuccess ? 0 : 1);
  });
  EXPECT_EQ(failures, "");
  const std::vector<std::string> left = segmentsOf(killed);
  EXPECT_TRUE(left.empty()) << left.size() << " segments of killed ranks survived the next init, e.g. /dev/shm/"
                            << (left.empty() ? "" : left.front());
}

// Item 9: errors that reached the other ranks only at the bootstrap timeout. Ranks on separate hosts (sockets)
// with too few file descriptors for their connections: the rank that runs out says so, naming the limit, and
// the others fail at once because it left (not 60 s later: the test's 30 s limit would call that a hang).
bool namesACause(const std::string& text) {
  for (const char* cause : {"ulimit -n", "left during init", "Connection refused", "reset by peer", "connection closed",
                            "Broken pipe", "connection lost", "left init"})
    if (text.find(cause) != std::string::npos) return true;
  return false;
}

TEST(Misuse, TooFewFileDescriptorsFailEveryRankAtOnce) {
  std::string failures = testing::forkRanks(
      8,
      [](int rank, int nranks, const ncclUniqueId& id) {
        int problems = 0;
        testing::useWiring(testing::Wiring::Sockets, rank);
        setenv("BRAID_BOOTSTRAP_TIMEOUT", "60", 1);
        // Room for the bootstrap (listener, root, ring) but not for a connection to each of the 7 other hosts.
        int open = 0;
        if (DIR* dir = opendir("/proc/self/fd")) {
          while (readdir(dir)) ++open;
          closedir(dir);
        }
        const rlimit few{static_cast<rlim_t>(open + 6), static_cast<rlim_t>(open + 6)};
        RANK_EXPECT(setrlimit(RLIMIT_NOFILE, &few) == 0, "setrlimit");
        ncclComm_t comm = nullptr;
        const ncclResult_t result = ncclCommInitRank(&comm, nranks, id, rank);
        RANK_EXPECT(result != ncclSuccess, "init succeeded with %d descriptors", open + 6);
        const std::string message = ncclGetLastError(nullptr);
        RANK_EXPECT(namesACause(message), "%s", message.c_str());
        return problems;
      },
      30);
  EXPECT_EQ(failures, "");
}

// A rank killed while the others split: they fail at once (a local member's pid names no process any more;
// the ranks that notice leave, and the root and the ring pass that on), not at the bootstrap timeout.
TEST(Misuse, RankKilledDuringSplitFailsTheOthersAtOnce) {
  const int nranks = 4;
  for (int delayUs : {0, 300, 600, 1000, 2000}) {
    SCOPED_TRACE("killed after " + std::to_string(delayUs) + " us");
    ncclUniqueId id;
    ASSERT_EQ(ncclGetUniqueId(&id), ncclSuccess);
    std::vector<pid_t> pids;
    for (int rank = 0; rank < nranks; ++rank) {
      const pid_t pid = fork();
      if (pid == 0) {
        setenv("BRAID_BOOTSTRAP_TIMEOUT", "60", 1);
        setenv("BRAID_TIMEOUT", "60", 1);
        ncclComm_t comm, part = nullptr;
        if (ncclCommInitRank(&comm, nranks, id, rank) != ncclSuccess) _exit(10);
        if (rank == nranks - 1)
          std::thread([delayUs] {
            usleep(delayUs);
            kill(getpid(), SIGKILL);
          }).detach();
        ncclResult_t result = ncclCommSplit(comm, 0, rank, &part, nullptr);
        if (result == ncclSuccess) {  // the split finished before the kill: the first collective fails instead
          std::vector<int> data(1000, 1);
          result = ncclAllReduce(data.data(), data.data(), data.size(), ncclInt32, ncclSum, part, nullptr);
        }
        if (rank == nranks - 1) pause();  // waits for its kill
        if (result == ncclSuccess) _exit(11);
        if (!namesACause(ncclGetLastError(nullptr)) && std::strstr(ncclGetLastError(nullptr), "exited") == nullptr &&
            std::strstr(ncclGetLastError(part), "exited") == nullptr) {
          std::fprintf(stderr, "rank %d: %s\n", rank, ncclGetLastError(nullptr));
          _exit(12);
        }
        _exit(0);
      }
      pids.push_back(pid);
    }
    for (int rank = 0; rank < nranks; ++rank) {
      int status = 0;
      int waitedMs = 0;
      while (waitpid(pids[rank], &status, WNOHANG) == 0 && waitedMs < 30000) usleep(1000), ++waitedMs;
      if (waitedMs >= 30000) {
        ADD_FAILURE() << "rank " << rank << " still waits after 30 s";
        for (pid_t p : pids) kill(p, SIGKILL);
        waitpid(pids[rank], &status, 0);
        continue;
      }
      if (rank == nranks - 1) EXPECT_TRUE(WIFSIGNALED(status)) << "the killed rank";
      else EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "rank " << rank << ": status " << status;
    }
  }
}

// Items 6, 7 and 12: configuration files without end (/dev/zero), directories and topology XML nested without
// limit fail init on every rank, naming the file (and the line), even when only one rank was given the file.
struct BadFileCase {
  const char* variable;
  std::string path;
  const char* expected;  // part of the message
  const char* name;
};

std::string deeplyNestedTopology(int depth) {
  const std::string path = "/tmp/braid-deep-topology-" + std::to_string(getpid()) + ".xml";
  std::ofstream out(path);
  out << "<system version=\"1\">\n";
  for (int i = 0; i < depth; ++i) out << "<cpu>\n";
  for (int i = 0; i < depth; ++i) out << "</cpu>\n";
  out << "</system>\n";
  return path;
}

class BadFile : public ::testing::TestWithParam<BadFileCase> {};

TEST_P(BadFile, FailsInitOnEveryRankNamingTheFile) {
  const BadFileCase c = GetParam();
  const std::string path = c.path == "deep" ? deeplyNestedTopology(100000) : c.path;
  std::string failures = testing::forkRanks(
      3,
      [&](int rank, int nranks, const ncclUniqueId& id) {
        int problems = 0;
        if (rank == 0) setenv(c.variable, path.c_str(), 1);
        ncclComm_t comm = nullptr;
        const ncclResult_t result = ncclCommInitRank(&comm, nranks, id, rank);
        RANK_EXPECT(result != ncclSuccess, "init succeeded");
        if (rank == 0) RANK_EXPECT(lastErrorHas(nullptr, path + c.expected), "%s", ncclGetLastError(nullptr));
        return problems;
      },
      60);
  if (c.path == "deep") unlink(path.c_str());
  EXPECT_EQ(failures, "");
}

INSTANTIATE_TEST_SUITE_P(
    Misuse, BadFile,
    ::testing::Values(BadFileCase{"BRAID_TUNE_FILE", "/dev/zero", ": is larger than 16 MiB", "TuneFileWithoutEnd"},
                      BadFileCase{"BRAID_TUNE_FILE", "/tmp", ": is a directory", "TuneDirectory"},
                      BadFileCase{"BRAID_TOPO_FILE", "/dev/zero", ": is larger than 16 MiB", "TopologyWithoutEnd"},
                      BadFileCase{"BRAID_TOPO_FILE", "deep", ":65: elements nested deeper", "TopologyNested100kDeep"}),
    [](const ::testing::TestParamInfo<BadFileCase>& info) { return info.param.name; });

// Item 13: ranks that make different calls (without BRAID_CHECK_COLLECTIVES) fail with ncclInvalidUsage naming
// the rank, instead of answering wrong as success or waiting until BRAID_TIMEOUT; the communicator then refuses
// further calls until it is aborted. Rank 2 differs; every way data travels carries the call's tag, and every
// rank that receives from rank 2 finds it.
struct MismatchCase {
  const char* name;
  testing::Wiring wiring;
  const char* protocol;  // BRAID_PROTO
  const char* expected;  // in rank 0's message
};

class MismatchedCall : public ::testing::TestWithParam<MismatchCase> {};

TEST_P(MismatchedCall, FailsTheRanksThatReceiveFromTheOddOneAndBreaksTheCommunicator) {
  const MismatchCase c = GetParam();
  std::string failures = testing::forkRanks(
      3,
      [&](int rank, int nranks, const ncclUniqueId& id) {
        int problems = 0;
        testing::useWiring(c.wiring, rank);
        setenv("BRAID_PROTO", c.protocol, 1);
        setenv("BRAID_ZERO_COPY", "0", 1);  // unshareable buffers would try zero copy before the FIFOs
        ncclComm_t comm = nullptr;
        if (ncclCommInitRank(&comm, nranks, id, rank) != ncclSuccess) return 1;
        const std::string name = c.name;
        const size_t count = name == "LLDatatype" ? 100 : 64 * 1024;  // LL: within a mailbox slot
        std::vector<float> data(count, 1.0f);
        float* d = data.data();
        const bool odd = rank == 2;
        ncclResult_t result = ncclSuccess;
        if (name == "LLDatatype")
          result = ncclAllReduce(d, d, count, odd ? ncclInt32 : ncclFloat32, ncclSum, comm, nullptr);
        else if (name == "CmaRoot") result = ncclReduce(d, d, count, ncclFloat32, ncclSum, odd ? 2 : 0, comm, nullptr);
        else if (name == "FifoCount")
          result = ncclAllReduce(d, d, odd ? count / 2 : count, ncclFloat32, ncclSum, comm, nullptr);
        else if (odd)  // SocketsKind: ReduceScatter of the same input
          result = ncclReduceScatter(d, d + rank * (count / 3), count / 3, ncclFloat32, ncclSum, comm, nullptr);
        else result = ncclAllReduce(d, d, count, ncclFloat32, ncclSum, comm, nullptr);
        // Rank 0 receives from rank 2 in every schedule and finds the mismatch. The others may instead fail with
        // ncclRemoteError: rank 1 once a rank that found the mismatch aborts, and rank 2 when rank 1's failure
        // notice reaches it before it finds the mismatch itself (under load).
        if (rank == 0) {
          RANK_EXPECT(result == ncclInvalidUsage, "the mismatched call returned %d: %s", result,
                      ncclGetLastError(comm));
          RANK_EXPECT(lastErrorHas(comm, "mismatched collective"), "%s", ncclGetLastError(comm));
        } else {
          RANK_EXPECT(result == ncclInvalidUsage || result == ncclRemoteError, "the call returned %d: %s", result,
                      ncclGetLastError(comm));
        }
        if (rank == 0) RANK_EXPECT(lastErrorHas(comm, c.expected), "%s", ncclGetLastError(comm));
        // The communicator's state is its first failure: the call's, or (ranks 1 and 2) a notice that came first.
        ncclResult_t state = ncclSuccess;
        RANK_EXPECT(ncclCommGetAsyncError(comm, &state) == ncclSuccess &&
                        (state == result || (rank != 0 && state == ncclRemoteError)),
                    "async error %d", state);
        RANK_EXPECT(ncclAllReduce(d, d, count, ncclFloat32, ncclSum, comm, nullptr) == state &&
                        lastErrorHas(comm, "must be aborted"),
                    "a later call: %s", ncclGetLastError(comm));
        // Ranks 1 and 2 leave late: a rank that aborts and exits is found dead by the others, and the failure
        // notice that follows must not reach rank 0 before it has found the mismatch itself.
        if (rank != 0) usleep(500000);
        RANK_EXPECT(ncclCommAbort(comm) == ncclSuccess, "abort");
        return problems;
      },
      60);
  EXPECT_EQ(failures, "");
}

// BRAID_CALL_TAGS=0 on one rank turns the tags off on all (the streams must agree on their bytes): collectives
// over the FIFOs, LL and sockets still add up everywhere.
TEST(Misuse, CallTagsOffOnOneRankTurnsThemOffOnAll) {
  for (const testing::Wiring wiring : {testing::Wiring::SharedMemory, testing::Wiring::Sockets}) {
    std::string failures = testing::forkRanks(3, [&](int rank, int nranks, const ncclUniqueId& id) {
      int problems = 0;
      testing::useWiring(wiring, rank);
      if (rank == 1) setenv("BRAID_CALL_TAGS", "0", 1);
      ncclComm_t comm = nullptr;
      if (ncclCommInitRank(&comm, nranks, id, rank) != ncclSuccess) return 1;
      for (const size_t count : {size_t{10}, size_t{100000}})
        problems += allReduceStillRight(comm, rank, nranks, count);
      RANK_EXPECT(ncclCommDestroy(comm) == ncclSuccess, "destroy");
      return problems;
    });
    EXPECT_EQ(failures, "") << testing::wiringName(wiring);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Misuse, MismatchedCall,
    ::testing::Values(MismatchCase{"LLDatatype", testing::Wiring::SharedMemory, "LL",
                                   "rank 2's AllReduce differs from this rank's in count, datatype"},
                      MismatchCase{"CmaRoot", testing::Wiring::SharedMemory, "CMA",
                                   "rank 2's Reduce differs from this rank's in count, datatype, op, root"},
                      MismatchCase{"FifoCount", testing::Wiring::SharedMemory, "Simple",
                                   "rank 2's AllReduce differs from this rank's in count"},
                      MismatchCase{"SocketsKind", testing::Wiring::Sockets, "Simple",
                                   "rank 2 called ReduceScatter where this rank called AllReduce"}),
    [](const ::testing::TestParamInfo<MismatchCase>& info) { return info.param.name; });

}  // namespace
}  // namespace braid
