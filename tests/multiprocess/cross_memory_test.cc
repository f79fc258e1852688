// Collectives by cross-memory attach (protocol CMA, BRAID_PROTO=CMA; src/exec/direct_run.h): every kind that
// has it, in place and out of place, over heap buffers (each peer's reached through the kernel) and with one
// rank's buffers from ncclMemAlloc among heap ones; counts of one element, of a share that ends mid-stretch and
// of several stretches and progress steps; and a rank that turns cross-memory attach off keeps every rank on
// the FIFOs. Each rank checks every element. (tests/planner/cross_memory_choice.sh checks that the planner
// takes CMA when asked.)
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <tuple>
#include <vector>

#include "direct_collectives.h"
#include "fork_ranks.h"
#include "nccl.h"

namespace braid {
namespace {

using testing::Kind;
using testing::kKinds;
using testing::runAndCheck;

const std::vector<size_t> kCounts = {1, 16384 + 3, 300007};

enum class Buffers { Heap, OneRankShared };
const char* nameOf(Buffers b) { return b == Buffers::Heap ? "Heap" : "OneRankShared"; }

int everyCollective(int rank, int nranks, const ncclUniqueId& id, Buffers buffers) {
  int problems = 0;
  setenv("BRAID_PROTO", "CMA", 1);
  ncclComm_t comm = nullptr;
  RANK_EXPECT(ncclCommInitRank(&comm, nranks, id, rank) == ncclSuccess, "init: %s", ncclGetLastError(nullptr));
  if (!comm) return problems;
  const size_t elements = kCounts[2] * nranks;
  std::vector<int32_t> heapSend(elements), heapRecv(elements);
  int32_t* send = heapSend.data();
  int32_t* recv = heapRecv.data();
  void* shared[2] = {};
  if (buffers == Buffers::OneRankShared && rank == 0) {
    RANK_EXPECT(
        ncclMemAlloc(&shared[0], elements * 4) == ncclSuccess && ncclMemAlloc(&shared[1], elements * 4) == ncclSuccess,
        "ncclMemAlloc: %s", ncclGetLastError(nullptr));
    send = static_cast<int32_t*>(shared[0]), recv = static_cast<int32_t*>(shared[1]);
  }
  if (send && recv) problems += testing::runEveryKind(kCounts, 1, send, recv, comm, rank, nranks);
  for (void* p : shared) ncclMemFree(p);
  RANK_EXPECT(ncclCommDestroy(comm) == ncclSuccess, "destroy");
  return problems;
}

class CrossMemoryRanks : public ::testing::TestWithParam<std::tuple<int, Buffers>> {};

TEST_P(CrossMemoryRanks, EveryCollectiveInPlaceAndOutOfPlace) {
  const Buffers buffers = std::get<1>(GetParam());
  EXPECT_EQ(testing::forkRanks(
                std::get<0>(GetParam()),
                [buffers](int rank, int nranks, const ncclUniqueId& id) {
                  return everyCollective(rank, nranks, id, buffers);
                },
                300),
            "");
}

INSTANTIATE_TEST_SUITE_P(Ranks, CrossMemoryRanks,
                         ::testing::Combine(::testing::Values(2, 3, 4),
                                            ::testing::Values(Buffers::Heap, Buffers::OneRankShared)),
                         [](const ::testing::TestParamInfo<std::tuple<int, Buffers>>& info) {
                           return std::to_string(std::get<0>(info.param)) + "ranks" + nameOf(std::get<1>(info.param));
                         });

// Rank 1 says no: all ranks agree at init that CMA is off, so BRAID_PROTO=CMA leaves every rank on Simple (a
// rank running CMA alone would wait for peers that never post).
TEST(CrossMemory, OneRankTurningItOffKeepsEveryRankOnTheFifos) {
  std::string failures = testing::forkRanks(
      3,
      [](int rank, int nranks, const ncclUniqueId& id) {
        int problems = 0;
        setenv("BRAID_PROTO", "CMA", 1);
        if (rank == 1) setenv("BRAID_CROSS_MEMORY", "0", 1);
        ncclComm_t comm = nullptr;
        RANK_EXPECT(ncclCommInitRank(&comm, nranks, id, rank) == ncclSuccess, "init: %s", ncclGetLastError(nullptr));
        if (!comm) return problems;
        const size_t count = 30011;
        std::vector<int32_t> send(count * nranks), recv(count * nranks);
        int call = 0;
        for (Kind kind : kKinds)
          problems += runAndCheck(kind, false, count, call++, send.data(), recv.data(), comm, rank, nranks);
        RANK_EXPECT(ncclCommDestroy(comm) == ncclSuccess, "destroy");
        return problems;
      },
      120);
  EXPECT_EQ(failures, "");
}

}  // namespace
}  // namespace braid
