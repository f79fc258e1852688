#include "base/fork_lock.h"

#include <pthread.h>

namespace braid {
namespace {

std::mutex lock;

void beforeFork() { lock.lock(); }
// The forking thread took the lock in beforeFork; in the child it is that thread's copy that unlocks.
void afterFork() { lock.unlock(); }

// Registered when the library loads, before any thread that takes the lock exists.
const int registered = pthread_atfork(beforeFork, afterFork, afterFork);

}  // namespace

std::mutex& forkLock() {
  (void)registered;
  return lock;
}

}  // namespace braid
