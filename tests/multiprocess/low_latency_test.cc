// The LL protocol (shared-memory mailboxes, BRAID_PROTO): fresh values on every call, so that a line left over
// from an earlier collective in the same slot would show; LL and Simple collectives interleaved, LL ones alone
// and in groups (the two ways a launch runs them); and failures (dead, stalled and departed peers) that become
// errors instead of hangs.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "fork_ranks.h"
#include "nccl.h"

namespace braid {
namespace {

ncclComm_t joinWithLowLatency(int rank, int nranks, const ncclUniqueId& id) {
  setenv("BRAID_PROTO", "LL", 1);  // LL wherever it applies (up to 16 KiB per rank)
  ncclComm_t comm = nullptr;
  if (ncclCommInitRank(&comm, nranks, id, rank) != ncclSuccess) return nullptr;
  return comm;
}

// What rank r holds at element j of call i.
int32_t valueOf(int r, int i, size_t j) { return (r + 1) * 1000 + i * 7 + static_cast<int32_t>(j % 101); }

int freshValues(int rank, int nranks, const ncclUniqueId& id) {
  int problems = 0;
  ncclComm_t comm = joinWithLowLatency(rank, nranks, id);
  RANK_EXPECT(comm != nullptr, "init: %s", ncclGetLastError(nullptr));
  if (!comm) return problems;
  std::vector<int32_t> send, recv;
  for (int i = 0; i < 1500 && problems == 0; ++i) {
    // Counts cross line boundaries (14 int32 per line); every 13th call is too large for LL and goes Simple.
    const size_t count = i % 13 == 12 ? 40000 : 1 + (static_cast<size_t>(i) * 37) % 700;
    const int kind = i % 4;
    send.resize(kind == 3 ? count * nranks : count);
    for (size_t j = 0; j < send.size(); ++j) send[j] = valueOf(rank, i, j);
    recv.assign(kind == 2 ? count * nranks : count, -1);
    ncclResult_t r = ncclSuccess;
    const int root = i % nranks;
    // A call alone runs straight from this thread (executeAlone); one in a group goes through the work lists.
    const bool grouped = i % 3 == 1;
    if (grouped) ncclGroupStart();
    switch (kind) {
      case 0: r = ncclAllReduce(send.data(), recv.data(), count, ncclInt32, ncclSum, comm, nullptr); break;
      case 1: r = ncclBroadcast(send.data(), recv.data(), count, ncclInt32, root, comm, nullptr); break;
      case 2: r = ncclAllGather(send.data(), recv.data(), count, ncclInt32, comm, nullptr); break;
      case 3: r = ncclReduceScatter(send.data(), recv.data(), count, ncclInt32, ncclSum, comm, nullptr); break;
    }
    if (grouped && r == ncclSuccess) r = ncclGroupEnd();
    RANK_EXPECT(r == ncclSuccess, "call %d: %s", i, ncclGetLastError(comm));
    for (size_t j = 0; j < recv.size() && problems == 0; ++j) {
      int32_t expected = 0;
      switch (kind) {
        case 0:
          for (int p = 0; p < nranks; ++p) expected += valueOf(p, i, j);
          break;
        case 1: expected = valueOf(root, i, j); break;
        case 2: expected = valueOf(static_cast<int>(j / count), i, j % count); break;
        case 3:
          for (int p = 0; p < nranks; ++p) expected += valueOf(p, i, rank * count + j);
          break;
      }
      RANK_EXPECT(recv[j] == expected, "call %d (kind %d, count %zu): element %zu is %d, expected %d", i, kind, count,
                  j, recv[j], expected);
    }
  }
  RANK_EXPECT(ncclCommDestroy(comm) == ncclSuccess, "destroy");
  return problems;
}

class LowLatencyRanks : public ::testing::TestWithParam<int> {};

TEST_P(LowLatencyRanks, FreshValuesEveryCallInterleavedWithSimple) {
  EXPECT_EQ(testing::forkRanks(GetParam(), freshValues, 300), "");
}

INSTANTIATE_TEST_SUITE_P(Ranks, LowLatencyRanks, ::testing::Values(2, 3, 5),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return std::to_string(info.param) + "ranks";
                         });

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

TEST(LowLatency, DeadPeerBecomesRemoteError) {
  std::string failures = testing::forkRanks(
      3,
      [](int rank, int nranks, const ncclUniqueId& id) {
        int problems = 0;
        ncclComm_t comm = joinWithLowLatency(rank, nranks, id);
        if (!comm) return 1;
        if (rank == 1) _exit(0);  // leaves without taking part
        std::vector<float> x(100, 1.0f);
        auto start = std::chrono::steady_clock::now();
        ncclResult_t r = ncclAllReduce(x.data(), x.data(), x.size(), ncclFloat32, ncclSum, comm, nullptr);
        RANK_EXPECT(r == ncclRemoteError, "AllReduce with a dead peer returned %d (%s)", r, ncclGetLastError(comm));
        RANK_EXPECT(secondsSince(start) < 10, "took %.1f s", secondsSince(start));
        ncclCommAbort(comm);
        return problems;
      },
      60);
  EXPECT_EQ(failures, "");
}

TEST(LowLatency, StalledPeerTimesOutNamingIt) {
  std::string failures = testing::forkRanks(
      2,
      [](int rank, int nranks, const ncclUniqueId& id) {
        int problems = 0;
        setenv("BRAID_TIMEOUT", "2", 1);
        ncclComm_t comm = joinWithLowLatency(rank, nranks, id);
        if (!comm) return 1;
        if (rank == 1) {  // alive, but never joins the collective
          std::this_thread::sleep_for(std::chrono::seconds(5));
          ncclCommAbort(comm);
          return 0;
        }
        float x = 1;
        ncclResult_t r = ncclAllReduce(&x, &x, 1, ncclFloat32, ncclSum, comm, nullptr);
        RANK_EXPECT(r == ncclTimeout, "returned %d", r);
        std::string message = ncclGetLastError(comm);
        RANK_EXPECT(message.find("LL line 1 of 1 (from rank 1)") != std::string::npos, "message: '%s'",
                    message.c_str());
        ncclCommAbort(comm);
        return problems;
      },
      60);
  EXPECT_EQ(failures, "");
}

// A Broadcast root does not wait for its receivers, but it must not reuse a slot that a slow receiver still
// reads: every call's values differ, and receivers dawdle now and then.
TEST(LowLatency, RootRunningAheadNeverOverwritesWhatReceiversStillRead) {
  std::string failures = testing::forkRanks(
      3,
      [](int rank, int nranks, const ncclUniqueId& id) {
        int problems = 0;
        ncclComm_t comm = joinWithLowLatency(rank, nranks, id);
        if (!comm) return 1;
        std::vector<int32_t> x(300);
        for (int i = 0; i < 400 && problems == 0; ++i) {
          if (rank != 0 && i % 16 == rank) std::this_thread::sleep_for(std::chrono::milliseconds(2));
          for (size_t j = 0; j < x.size(); ++j) x[j] = rank == 0 ? i * 1000 + static_cast<int32_t>(j) : -1;
          RANK_EXPECT(ncclBroadcast(x.data(), x.data(), x.size(), ncclInt32, 0, comm, nullptr) == ncclSuccess,
                      "call %d", i);
          for (size_t j = 0; j < x.size() && problems == 0; ++j)
            RANK_EXPECT(x[j] == i * 1000 + static_cast<int32_t>(j), "call %d: element %zu is %d", i, j, x[j]);
        }
        ncclCommDestroy(comm);
        return problems;
      },
      120);
  EXPECT_EQ(failures, "");
}

// A root that has written its lines may leave before a slow rank has read them.
TEST(LowLatency, PeerThatDeliveredMayLeave) {
  std::string failures = testing::forkRanks(
      3,
      [](int rank, int nranks, const ncclUniqueId& id) {
        int problems = 0;
        ncclComm_t comm = joinWithLowLatency(rank, nranks, id);
        if (!comm) return 1;
        std::vector<float> x(500, rank == 0 ? 42.0f : 0.0f);
        if (rank == 0) {
          RANK_EXPECT(ncclBroadcast(x.data(), x.data(), x.size(), ncclFloat32, 0, comm, nullptr) == ncclSuccess,
                      "root");
          _exit(problems);
        }
        // Rank 2 announces itself, then reads the root's lines only after the root has gone.
        if (rank == 2) std::this_thread::sleep_for(std::chrono::milliseconds(300));
        ncclResult_t r = ncclBroadcast(x.data(), x.data(), x.size(), ncclFloat32, 0, comm, nullptr);
        RANK_EXPECT(r == ncclSuccess, "Broadcast returned %d (%s)", r, ncclGetLastError(comm));
        RANK_EXPECT(x.front() == 42.0f && x.back() == 42.0f, "received %g..%g", x.front(), x.back());
        ncclCommDestroy(comm);
        return problems;
      },
      60);
  EXPECT_EQ(failures, "");
}

}  // namespace
}  // namespace braid
