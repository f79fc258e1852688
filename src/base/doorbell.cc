#include "base/doorbell.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <climits>

namespace braid {
namespace {

// Shared (not FUTEX_PRIVATE): the word is in memory that other processes map.
long futex(std::atomic<uint32_t>* word, int op, uint32_t value, const timespec* timeout) {
  return syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), op, value, timeout, nullptr, 0);
}

}  // namespace

uint32_t Doorbell::sleep(uint32_t seen) {
  const timespec limit{0, kSleepLimitNanoseconds};
  futex(&rings, FUTEX_WAIT, seen, &limit);  // returns at once if rings != seen
  return rings.load(std::memory_order_acquire);
}

void Doorbell::wake() {
  rings.fetch_add(1, std::memory_order_release);
  futex(&rings, FUTEX_WAKE, INT_MAX, nullptr);
}

}  // namespace braid
