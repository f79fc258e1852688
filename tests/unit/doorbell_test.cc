// The doorbell a rank sleeps on: rings reach only announced sleepers, and a sleeper in another process wakes.
// How fast it wakes is a benchmark (perf/late_peer_wait), not a test.
#include "base/doorbell.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <new>

namespace braid {
namespace {

TEST(Doorbell, RingsOnlyWhenSomeoneAnnouncedSleep) {
  Doorbell bell;
  bell.ringIfSleeping();
  EXPECT_EQ(bell.rings.load(), 0u) << "a ring without sleepers must stay off the futex";
  const uint32_t seen = bell.announceSleep();
  bell.ringIfSleeping();
  EXPECT_EQ(bell.rings.load(), seen + 1);
  // The ring came after `seen`: sleep returns at once with the new count.
  EXPECT_EQ(bell.sleep(seen), seen + 1);
  bell.withdrawSleep();
  bell.ringIfSleeping();
  EXPECT_EQ(bell.rings.load(), seen + 1);
}

TEST(Doorbell, SleeperInAnotherProcessWakesOnItsPeersRing) {
  struct Shared {
    Doorbell bell;
    std::atomic<int> ready{0};  // what the sleeper waits for
  };
  void* memory = mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(memory, MAP_FAILED);
  auto* shared = new (memory) Shared;
  const pid_t sleeper = fork();
  ASSERT_GE(sleeper, 0);
  if (sleeper == 0) {
    uint32_t seen = shared->bell.announceSleep();
    while (shared->ready.load() == 0) seen = shared->bell.sleep(seen);
    shared->bell.withdrawSleep();
    _exit(seen >= 1 ? 0 : 1);  // it saw the ring that came with the data
  }
  while (shared->bell.sleepers.load() == 0) sched_yield();
  shared->ready.store(1);
  shared->bell.ringIfSleeping();
  int status = 0;
  ASSERT_EQ(waitpid(sleeper, &status, 0), sleeper);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(shared->bell.sleepers.load(), 0u);
  munmap(memory, sizeof(Shared));
}

}  // namespace
}  // namespace braid
