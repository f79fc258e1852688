// How far apart two cores are: two processes bounce one cache line (an atomic counter in shared memory) and
// report the round trip. On the CI VM it is 0.12-0.14 us in some periods and 0.5-0.55 us in others, which
// moves every small-message figure; run it next to a benchmark to know which period the benchmark saw.
// usage: cacheline_pingpong [ROUND_TRIPS=1000000]
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <new>

int main(int argc, char** argv) {
  const long trips = argc > 1 ? std::atol(argv[1]) : 1000000;
  void* shared = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) return 1;
  auto* ping = new (shared) std::atomic<long>(0);
  auto* pong = new (static_cast<char*>(shared) + 128) std::atomic<long>(0);  // its own cache line
  if (fork() == 0) {
    for (long i = 1; i <= trips; ++i) {
      while (ping->load(std::memory_order_acquire) != i) {
      }
      pong->store(i, std::memory_order_release);
    }
    _exit(0);
  }
  const auto start = std::chrono::steady_clock::now();
  for (long i = 1; i <= trips; ++i) {
    ping->store(i, std::memory_order_release);
    while (pong->load(std::memory_order_acquire) != i) {
    }
  }
  const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
  wait(nullptr);
  std::printf("cache-line round trip between two processes: %.3f us\n", us / static_cast<double>(trips));
  return 0;
}
