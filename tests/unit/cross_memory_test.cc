// Cross-memory attach against a real forked process: reads and writes land whole, the probe tells a
// reachable peer from one that is gone, and failures are NCCL errors that name the peer.
#include "transports/shm/cross_memory.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "base/error.h"

namespace braid {
namespace {

// A child that keeps a copy of this process's memory (fork) and waits until told to go.
class Child {
 public:
  Child() {
    if (::pipe(go_) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      char c;
      ssize_t ignored = ::read(go_[0], &c, 1);
      (void)ignored;
      _exit(0);
    }
  }
  ~Child() { finish(); }
  void finish() {
    if (pid_ <= 0) return;
    ssize_t ignored = ::write(go_[1], "x", 1);
    (void)ignored;
    ::waitpid(pid_, nullptr, 0);
    pid_ = -pid_;  // remembered, so tests can name a process that is gone
  }
  pid_t pid() const { return pid_ < 0 ? -pid_ : pid_; }

 private:
  int go_[2] = {-1, -1};
  pid_t pid_ = 0;
};

uint64_t addressOf(const void* p) { return reinterpret_cast<uintptr_t>(p); }

TEST(CrossMemory, ReadsAndWritesAPeersMemoryWhole) {
  std::vector<int32_t> buffer(300007);
  for (size_t i = 0; i < buffer.size(); ++i) buffer[i] = static_cast<int32_t>(i * 7);
  Child child;  // holds the same values at the same address
  ASSERT_GT(child.pid(), 0);
  EXPECT_TRUE(cross_memory::readable(child.pid(), addressOf(buffer.data()), buffer.data(), 64));
  std::vector<int32_t> copy(buffer.size(), -1);
  cross_memory::read(child.pid(), addressOf(buffer.data()), copy.data(), copy.size() * 4);
  EXPECT_EQ(copy, buffer);
  // Written into the child's copy, read back from there; this process's own stays as it was.
  std::vector<int32_t> other(buffer.size());
  for (size_t i = 0; i < other.size(); ++i) other[i] = -static_cast<int32_t>(i);
  cross_memory::write(child.pid(), addressOf(buffer.data()), other.data(), other.size() * 4);
  cross_memory::read(child.pid(), addressOf(buffer.data()), copy.data(), copy.size() * 4);
  EXPECT_EQ(copy, other);
  EXPECT_EQ(buffer[5], 35);
  EXPECT_FALSE(cross_memory::readable(child.pid(), addressOf(buffer.data()), buffer.data(), 64))
      << "the child's copy now differs";
}

TEST(CrossMemory, FailuresAreErrorsThatNameThePeer) {
  int32_t word = 42;
  Child child;
  ASSERT_GT(child.pid(), 0);
  try {
    cross_memory::read(child.pid(), 16, &word, sizeof word);  // no page there
    FAIL() << "read from an unmapped address";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ncclSystemError);
    EXPECT_NE(std::string(e.what()).find("pid " + std::to_string(child.pid())), std::string::npos) << e.what();
  }
  child.finish();
  EXPECT_FALSE(cross_memory::readable(child.pid(), addressOf(&word), &word, sizeof word));
  try {
    cross_memory::write(child.pid(), addressOf(&word), &word, sizeof word);
    FAIL() << "wrote to a process that is gone";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ncclRemoteError) << e.what();
  }
}

}  // namespace
}  // namespace braid
