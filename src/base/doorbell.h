// A rank's doorbell: where it sleeps once it has idled for a while, and where peers wake it. It lives in shared
// memory (one cache line per rank, in the rank's LL mailbox), so a sleeping rank costs no CPU and wakes within
// a futex wake-up of a peer's progress instead of polling on a timer.
//
// Waking must not cost the busy path a system call or a fence: a peer that made progress reads the sleeper
// count (a plain load of a line that stays shared while nobody sleeps) and only then bumps the futex word and
// calls FUTEX_WAKE. Without a fence between the peer's data store and that load, a wake-up can be missed in the
// instant a rank goes to sleep (its check of the data and the peer's store cross); sleeps are therefore bounded
// (kSleepLimit), which also keeps health checks and timeouts on their ~100 ms cadence.
#pragma once

#include <atomic>
#include <cstdint>

namespace braid {

struct alignas(64) Doorbell {
  static constexpr long kSleepLimitNanoseconds = 10 * 1000 * 1000;

  std::atomic<uint32_t> rings{0};     // the futex word: bumped by every wake-up
  std::atomic<uint32_t> sleepers{0};  // threads of the owner that announced they may sleep

  // The owner announces it may sleep, before its last look at the data; returns the ring count to sleep on.
  uint32_t announceSleep() {
    sleepers.fetch_add(1, std::memory_order_seq_cst);
    return rings.load(std::memory_order_acquire);
  }
  void withdrawSleep() { sleepers.fetch_sub(1, std::memory_order_relaxed); }
  // Sleeps unless a ring came after `seen` was read, at most kSleepLimitNanoseconds; returns the ring count now.
  uint32_t sleep(uint32_t seen);

  // A peer's progress: wakes the owner only if it announced sleep.
  void ringIfSleeping() {
    if (sleepers.load(std::memory_order_relaxed) != 0) wake();
  }
  void wake();
};
static_assert(sizeof(Doorbell) == 64, "a doorbell is one cache line");

}  // namespace braid
