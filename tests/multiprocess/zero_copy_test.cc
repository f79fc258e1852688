// Collectives in place in shared buffers (zero copy, src/exec/direct_run.h), from ncclMemAlloc or private pages
// that ncclCommRegister moved into shared memory: every collective that goes direct, in place and out of place,
// odd counts, fresh values each call; and the fall back to the FIFOs when one rank's
// buffers are private, all ranks alike.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ostream>
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

// Counts just over the 16 KiB threshold (shares that end mid-page), and large enough for several progress
// steps and for streaming stores (outputs of all ranks together over 8 MiB).
const std::vector<size_t> kCounts = {4096 + 3, 1100001};

int32_t* allocateShared(size_t elements) {
  void* p = nullptr;
  return ncclMemAlloc(&p, elements * sizeof(int32_t)) == ncclSuccess ? static_cast<int32_t*>(p) : nullptr;
}

enum class Memory { MemAlloc, RegisteredPages };
const char* nameOf(Memory m) { return m == Memory::MemAlloc ? "MemAlloc" : "RegisteredPages"; }
void PrintTo(Memory m, std::ostream* os) { *os << nameOf(m); }

// A buffer of `elements` from ncclMemAlloc, or whole pages from aligned_alloc that ncclCommRegister shares.
class SharedBuffer {
 public:
  SharedBuffer(Memory memory, size_t elements, ncclComm_t comm) : comm_(comm) {
    if (memory == Memory::MemAlloc) {
      data_ = allocateShared(elements);
      return;
    }
    const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    const size_t bytes = (elements * sizeof(int32_t) + page - 1) / page * page;
    data_ = static_cast<int32_t*>(std::aligned_alloc(page, bytes));
    data_[0] = 17;  // registration keeps what the pages hold
    if (ncclCommRegister(comm, data_, bytes, &handle_) != ncclSuccess || data_[0] != 17) {
      std::free(data_);
      data_ = nullptr;
    }
  }
  ~SharedBuffer() {
    if (!handle_) {
      ncclMemFree(data_);
      return;
    }
    ncclCommDeregister(comm_, handle_);
    std::free(data_);
  }
  int32_t* data() const { return data_; }

 private:
  ncclComm_t comm_;
  int32_t* data_ = nullptr;
  void* handle_ = nullptr;
};

int everyCollective(int rank, int nranks, const ncclUniqueId& id, Memory memory) {
  int problems = 0;
  ncclComm_t comm = nullptr;
  RANK_EXPECT(ncclCommInitRank(&comm, nranks, id, rank) == ncclSuccess, "init: %s", ncclGetLastError(nullptr));
  if (!comm) return problems;
  {
    const size_t elements = kCounts[1] * nranks;
    SharedBuffer send(memory, elements, comm), recv(memory, elements, comm);
    RANK_EXPECT(send.data() && recv.data(), "buffers: %s", ncclGetLastError(nullptr));
    if (send.data() && recv.data())
      problems += testing::runEveryKind(kCounts, 2, send.data(), recv.data(), comm, rank, nranks);
  }
  RANK_EXPECT(ncclCommDestroy(comm) == ncclSuccess, "destroy");
  return problems;
}

class ZeroCopyRanks : public ::testing::TestWithParam<std::tuple<int, Memory>> {};

TEST_P(ZeroCopyRanks, EveryCollectiveInPlaceAndOutOfPlace) {
  const Memory memory = std::get<1>(GetParam());
  EXPECT_EQ(
      testing::forkRanks(
          std::get<0>(GetParam()),
          [memory](int rank, int nranks, const ncclUniqueId& id) { return everyCollective(rank, nranks, id, memory); },
          300),
      "");
}

INSTANTIATE_TEST_SUITE_P(Ranks, ZeroCopyRanks,
                         ::testing::Combine(::testing::Values(2, 3, 4),
                                            ::testing::Values(Memory::MemAlloc, Memory::RegisteredPages)),
                         [](const ::testing::TestParamInfo<std::tuple<int, Memory>>& info) {
                           return std::to_string(std::get<0>(info.param)) + "ranks" + nameOf(std::get<1>(info.param));
                         });

// Rank 0's buffers are private (registered, but not whole pages) for the first calls: every rank must take the FIFOs
// for those (a rank going direct alone would wait forever or write where nobody reads). Then all buffers are shared,
// and the ranks go back to the direct way once their back-off ends; every call is checked throughout.
TEST(ZeroCopy, OnePrivateBufferSendsEveryRankThroughTheFifos) {
  std::string failures = testing::forkRanks(
      3,
      [](int rank, int nranks, const ncclUniqueId& id) {
        int problems = 0;
        ncclComm_t comm = nullptr;
        RANK_EXPECT(ncclCommInitRank(&comm, nranks, id, rank) == ncclSuccess, "init: %s", ncclGetLastError(nullptr));
        if (!comm) return problems;
        const size_t count = 20000, elements = count * nranks;
        std::vector<int32_t> privateSend(elements), privateRecv(elements);
        // Registered, yet private: a malloc buffer does not cover whole pages, so it stays where it is.
        void* handles[2] = {};
        RANK_EXPECT(ncclCommRegister(comm, privateSend.data(), elements * 4, &handles[0]) == ncclSuccess &&
                        ncclCommRegister(comm, privateRecv.data(), elements * 4, &handles[1]) == ncclSuccess,
                    "register: %s", ncclGetLastError(comm));
        int32_t* send = allocateShared(elements);
        int32_t* recv = allocateShared(elements);
        RANK_EXPECT(send && recv, "ncclMemAlloc: %s", ncclGetLastError(nullptr));
        for (int call = 0; call < 150 && problems == 0 && send && recv; ++call) {
          const bool ownPrivate = rank == 0 && call < 40;
          const Kind kind = kKinds[call % 6];
          problems += runAndCheck(kind, call % 2 == 1, count, call, ownPrivate ? privateSend.data() : send,
                                  ownPrivate ? privateRecv.data() : recv, comm, rank, nranks);
        }
        ncclMemFree(send);
        ncclMemFree(recv);
        for (void* handle : handles) ncclCommDeregister(comm, handle);
        RANK_EXPECT(ncclCommDestroy(comm) == ncclSuccess, "destroy");
        return problems;
      },
      300);
  EXPECT_EQ(failures, "");
}

TEST(ZeroCopy, DeadPeerBecomesRemoteError) {
  std::string failures = testing::forkRanks(
      3,
      [](int rank, int nranks, const ncclUniqueId& id) {
        int problems = 0;
        ncclComm_t comm = nullptr;
        if (ncclCommInitRank(&comm, nranks, id, rank) != ncclSuccess) return 1;
        if (rank == 1) _exit(0);  // leaves without taking part
        int32_t* buffer = allocateShared(1 << 18);
        if (!buffer) return 1;
        const auto start = std::chrono::steady_clock::now();
        ncclResult_t r = ncclAllReduce(buffer, buffer, 1 << 18, ncclInt32, ncclSum, comm, nullptr);
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        RANK_EXPECT(r == ncclRemoteError, "AllReduce with a dead peer returned %d (%s)", r, ncclGetLastError(comm));
        RANK_EXPECT(seconds < 10, "took %.1f s", seconds);
        ncclCommAbort(comm);
        ncclMemFree(buffer);
        return problems;
      },
      60);
  EXPECT_EQ(failures, "");
}

TEST(ZeroCopy, MemFreeRejectsWhatMemAllocDidNotHandOut) {
  std::vector<char> heap(64);
  EXPECT_EQ(ncclMemFree(heap.data()), ncclInvalidArgument);
  EXPECT_NE(std::string(ncclGetLastError(nullptr)).find("ncclMemAlloc"), std::string::npos);
  EXPECT_EQ(ncclMemFree(nullptr), ncclSuccess);
  void* p = nullptr;
  ASSERT_EQ(ncclMemAlloc(&p, 12345), ncclSuccess);
  std::memset(p, 1, 12345);
  EXPECT_EQ(ncclMemFree(p), ncclSuccess);
}

}  // namespace
}  // namespace braid
