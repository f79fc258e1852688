// The fork lock (base/fork_lock.h): fork() waits while a thread holds it, so a child never inherits what such
// a thread held half-way. (The bug it fixed: the bootstrap root, serving the first ranks in a launcher's
// process, grew a vector while the launcher forked the next rank; under AddressSanitizer that child inherited
// the allocator's lock taken and hung at its first allocation of that size.)
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <thread>

#include "base/fork_lock.h"

namespace braid {
namespace {

TEST(ForkLock, ForkWaitsUntilTheHolderLetsGo) {
  // Shared with a detached holder (a joinable one would be a leaked thread in the child, for ThreadSanitizer).
  struct Holder {
    std::atomic<bool> done{false};
    std::promise<void> held, finished;
  };
  auto holder = std::make_shared<Holder>();
  std::thread([holder] {
    {
      std::lock_guard<std::mutex> lock(forkLock());
      holder->held.set_value();
      // Long enough that a fork that did not wait would surely come first.
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      holder->done = true;
    }
    holder->finished.set_value();
  }).detach();
  holder->held.get_future().wait();
  const pid_t pid = fork();
  if (pid == 0) _exit(holder->done ? 0 : 1);  // what the child inherited: the holder's work finished
  const bool doneAtFork = holder->done;
  holder->finished.get_future().wait();
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(doneAtFork) << "fork() returned while another thread held the fork lock";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the child was forked before the holder let go";
}

TEST(ForkLock, IsFreeInTheChildAndInTheParentAfterAFork) {
  const pid_t pid = fork();
  if (pid == 0) _exit(forkLock().try_lock() ? 0 : 1);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the child inherited the fork lock taken";
  ASSERT_TRUE(forkLock().try_lock()) << "the parent kept the fork lock after fork()";
  forkLock().unlock();
}

}  // namespace
}  // namespace braid
