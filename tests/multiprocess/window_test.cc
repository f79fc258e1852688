// Memory windows (ncclCommWindowRegister, ncclCommWindowDeregister, ncclWinGetUserPtr): collective registration
// of heap and ncclMemAlloc buffers that collectives then use in place; a mismatch between ranks (flags, or
// sizes of symmetric windows) or bad arguments on one rank fail every rank at once, never a hang, and the
// communicator goes on.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "fork_ranks.h"

namespace braid {
namespace {

bool messageHas(ncclComm_t comm, const char* text) { return std::strstr(ncclGetLastError(comm), text) != nullptr; }

TEST(Windows, RegisteredBuffersServeCollectivesInPlace) {
  std::string failures = testing::forkRanks(3, [](int rank, int nranks, const ncclUniqueId& id) {
    int problems = 0;
    ncclComm_t comm;
    if (ncclCommInitRank(&comm, nranks, id, rank) != ncclSuccess) return 1;
    const size_t count = 1 << 18;
    void* allocated = nullptr;
    RANK_EXPECT(ncclMemAlloc(&allocated, count * sizeof(float)) == ncclSuccess, "ncclMemAlloc");
    std::vector<float> heap(count);
    for (float* buffer : {static_cast<float*>(allocated), heap.data()}) {
      for (size_t i = 0; i < count; ++i) buffer[i] = static_cast<float>(rank + i % 7);
      ncclWindow_t win = nullptr;
      RANK_EXPECT(
          ncclCommWindowRegister(comm, buffer, count * sizeof(float), &win, NCCL_WIN_COLL_SYMMETRIC) == ncclSuccess,
          "register: %s", ncclGetLastError(comm));
      void* user = nullptr;
      RANK_EXPECT(ncclWinGetUserPtr(comm, win, &user) == ncclSuccess && user == buffer, "user pointer %p", user);
      RANK_EXPECT(ncclAllReduce(buffer, buffer, count, ncclFloat32, ncclSum, comm, nullptr) == ncclSuccess,
                  "AllReduce");
      size_t wrong = 0;
      for (size_t i = 0; i < count; ++i)
        wrong += buffer[i] != static_cast<float>(nranks * (nranks - 1) / 2 + 3 * (i % 7));
      RANK_EXPECT(wrong == 0, "%zu wrong elements", wrong);
      RANK_EXPECT(ncclCommWindowDeregister(comm, win) == ncclSuccess, "deregister: %s", ncclGetLastError(comm));
    }
    RANK_EXPECT(ncclMemFree(allocated) == ncclSuccess, "free");
    RANK_EXPECT(ncclCommDestroy(comm) == ncclSuccess, "destroy");
    return problems;
  });
  EXPECT_EQ(failures, "");
}

TEST(Windows, MismatchesAndBadArgumentsFailEveryRankAtOnce) {
  std::string failures = testing::forkRanks(3, [](int rank, int nranks, const ncclUniqueId& id) {
    int problems = 0;
    ncclComm_t comm;
    if (ncclCommInitRank(&comm, nranks, id, rank) != ncclSuccess) return 1;
    std::vector<char> buffer(8192);
    ncclWindow_t win = nullptr;
    // Symmetric windows of different sizes: rank 2 registers half.
    const size_t size = rank == 2 ? 4096 : 8192;
    RANK_EXPECT(ncclCommWindowRegister(comm, buffer.data(), size, &win, NCCL_WIN_COLL_SYMMETRIC) == ncclInvalidUsage,
                "symmetric sizes differ");
    RANK_EXPECT(messageHas(comm, "same size on every rank"), "message '%s'", ncclGetLastError(comm));
    // Different flags.
    RANK_EXPECT(ncclCommWindowRegister(comm, buffer.data(), 8192, &win,
                                       rank == 0 ? NCCL_WIN_DEFAULT : NCCL_WIN_STRICT_ORDERING) == ncclInvalidUsage,
                "flags differ");
    RANK_EXPECT(messageHas(comm, "winFlags"), "message '%s'", ncclGetLastError(comm));
    // NULL on rank 1 only: it is told why, the others which rank.
    const ncclResult_t r =
        ncclCommWindowRegister(comm, rank == 1 ? nullptr : buffer.data(), 8192, &win, NCCL_WIN_DEFAULT);
    RANK_EXPECT(r == (rank == 1 ? ncclInvalidArgument : ncclInvalidUsage), "NULL on rank 1: %d", r);
    RANK_EXPECT(messageHas(comm, rank == 1 ? "must not be NULL" : "rank 1 passed invalid arguments"), "message '%s'",
                ncclGetLastError(comm));
    RANK_EXPECT(ncclCommWindowRegister(comm, buffer.data(), 8192, &win, 0x80) == ncclInvalidArgument, "flags 0x80");
    ncclGroupStart();
    RANK_EXPECT(ncclCommWindowRegister(comm, buffer.data(), 8192, &win, 0) == ncclInvalidUsage, "inside a group");
    ncclGroupEnd();
    void* user = nullptr;
    RANK_EXPECT(ncclWinGetUserPtr(comm, reinterpret_cast<ncclWindow_t>(buffer.data()), &user) == ncclInvalidArgument,
                "a window that is none");
    // The communicator goes on.
    RANK_EXPECT(ncclCommWindowRegister(comm, buffer.data(), 8192, &win, NCCL_WIN_DEFAULT) == ncclSuccess,
                "register after the failures: %s", ncclGetLastError(comm));
    int x = 1;
    RANK_EXPECT(ncclAllReduce(&x, &x, 1, ncclInt32, ncclSum, comm, nullptr) == ncclSuccess && x == nranks,
                "AllReduce %d", x);
    RANK_EXPECT(ncclCommWindowDeregister(comm, win) == ncclSuccess, "deregister");
    RANK_EXPECT(ncclCommDestroy(comm) == ncclSuccess, "destroy");
    return problems;
  });
  EXPECT_EQ(failures, "");
}

}  // namespace
}  // namespace braid
