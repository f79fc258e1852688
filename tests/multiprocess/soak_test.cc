// Soak and scale: 100,000 small and 1,000 large collectives across 4 ranks with communicators created and
// destroyed in between, every result checked, memory and descriptors flat; 64 communicators alive at once; threads
// issuing on different communicators concurrently.
#include <dirent.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <thread>
#include <vector>

#include "fork_ranks.h"
#include "nccl.h"

namespace braid {
namespace {

long residentKiB() {
  long pages = 0, resident = 0;
  std::ifstream("/proc/self/statm") >> pages >> resident;
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

int openDescriptors() {
  int count = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (readdir(d)) ++count;
    closedir(d);
  }
  return count;
}

TEST(Soak, ManyCollectivesAndCommunicatorsKeepMemoryFlat) {
  std::string failures = testing::forkRanks(
      4,
      [](int rank, int nranks, const ncclUniqueId& id) {
        int problems = 0;
        ncclComm_t parent;
        if (ncclCommInitRank(&parent, nranks, id, rank) != ncclSuccess) return 1;
        const int rounds = 10, smallPerRound = 10000, largePerRound = 100;
        std::vector<float> large(1 << 18);  // 1 MiB
        long rssAfterFirst = 0;
        int fdsAfterFirst = 0;
        for (int round = 0; round < rounds && problems == 0; ++round) {
          ncclComm_t comm;
          RANK_EXPECT(ncclCommSplit(parent, 0, rank, &comm, nullptr) == ncclSuccess, "split");
          for (int i = 0; i < smallPerRound && problems == 0; ++i) {
            int64_t v = rank + i;
            RANK_EXPECT(ncclAllReduce(&v, &v, 1, ncclInt64, ncclSum, comm, nullptr) == ncclSuccess, "small %d", i);
            RANK_EXPECT(v == 4 * i + 6, "small AllReduce %d gave %lld", i, static_cast<long long>(v));
          }
          for (int i = 0; i < largePerRound && problems == 0; ++i) {
            for (size_t k = 0; k < large.size(); k += 4099) large[k] = static_cast<float>(rank + i);
            RANK_EXPECT(ncclAllReduce(large.data(), large.data(), large.size(), ncclFloat32, ncclMax, comm, nullptr) ==
                            ncclSuccess,
                        "large %d", i);
            for (size_t k = 0; k < large.size(); k += 4099)
              if (large[k] != static_cast<float>(3 + i)) {
                RANK_EXPECT(false, "large AllReduce %d element %zu is %g", i, k, large[k]);
                break;
              }
          }
          RANK_EXPECT(ncclCommDestroy(comm) == ncclSuccess, "destroy");
          if (round == 0) rssAfterFirst = residentKiB(), fdsAfterFirst = openDescriptors();
        }
        long rssGrowth = residentKiB() - rssAfterFirst;
        int fdGrowth = openDescriptors() - fdsAfterFirst;
        RANK_EXPECT(rssGrowth < 4096, "resident memory grew by %ld KiB over %d rounds", rssGrowth, rounds - 1);
        RANK_EXPECT(fdGrowth == 0, "open descriptors grew by %d", fdGrowth);
        ncclCommDestroy(parent);
        return problems;
      },
      600);
  EXPECT_EQ(failures, "");
}

TEST(Scale, SixtyFourCommunicatorsAndThreadsOnDifferentCommunicators) {
  std::string failures = testing::forkRanks(
      4,
      [](int rank, int nranks, const ncclUniqueId& id) {
        int problems = 0;
        ncclComm_t parent;
        if (ncclCommInitRank(&parent, nranks, id, rank) != ncclSuccess) return 1;
        std::vector<ncclComm_t> comms(64);
        for (int c = 0; c < 64; ++c) {
          // Alternate between the whole group and pairs, keys reversed on odd splits.
          int color = c % 2 == 0 ? 0 : rank / 2;
          RANK_EXPECT(ncclCommSplit(parent, color, c % 4 == 1 ? -rank : rank, &comms[c], nullptr) == ncclSuccess,
                      "split %d", c);
        }
        for (int c = 0; c < 64; ++c) {
          int size = 0, v = 1;
          ncclCommCount(comms[c], &size);
          RANK_EXPECT(ncclAllReduce(&v, &v, 1, ncclInt32, ncclSum, comms[c], nullptr) == ncclSuccess, "comm %d", c);
          RANK_EXPECT(v == size, "comm %d: %d != %d", c, v, size);
        }
        std::vector<std::thread> threads;
        std::vector<int> threadProblems(4, 0);
        for (int t = 0; t < 4; ++t)
          threads.emplace_back([&, t] {
            for (int i = 0; i < 200; ++i) {
              std::vector<int32_t> data(1000 + t * 777, t + i);
              ncclComm_t comm = comms[t * 2];  // whole-group communicators, one per thread
              if (ncclAllReduce(data.data(), data.data(), data.size(), ncclInt32, ncclSum, comm, nullptr) !=
                      ncclSuccess ||
                  data.front() != 4 * (t + i) || data.back() != 4 * (t + i))
                ++threadProblems[t];
            }
          });
        for (std::thread& th : threads) th.join();
        for (int t = 0; t < 4; ++t)
          RANK_EXPECT(threadProblems[t] == 0, "thread %d saw %d wrong results", t, threadProblems[t]);
        for (ncclComm_t c : comms) ncclCommDestroy(c);
        ncclCommDestroy(parent);
        return problems;
      },
      600);
  EXPECT_EQ(failures, "");
}

}  // namespace
}  // namespace braid
