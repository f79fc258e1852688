// The memory roofline the host collectives are measured against: memcpy bandwidth of one core, and of N
// processes copying at once (as N ranks do), best of several rounds; bytes copied (not read + written) per second.
// usage: memory_roofline [PROCESSES=2] [MIB=256] [ROUNDS=5]
#include <sched.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

namespace {

// Best copy rate over `rounds`, in GB/s; every process starts each round together (a shared counter).
double copyRate(size_t bytes, int rounds, std::atomic<int>* start, int processes) {
  std::vector<char> from(bytes, 1), to(bytes, 0);
  double best = 0;
  for (int round = 0; round < rounds; ++round) {
    start->fetch_add(1);
    while (start->load() < processes * (round + 1)) sched_yield();
    const auto begin = std::chrono::steady_clock::now();
    std::memcpy(to.data(), from.data(), bytes);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
    best = std::max(best, static_cast<double>(bytes) / seconds / 1e9);
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const int processes = argc > 1 ? std::atoi(argv[1]) : 2;
  const size_t bytes = (argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 256) << 20;
  const int rounds = argc > 3 ? std::atoi(argv[3]) : 5;
  auto* shared = static_cast<char*>(mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  if (shared == MAP_FAILED) return 1;
  auto* alone = new (shared) std::atomic<int>(0);
  std::printf("memcpy of %zu MiB, best of %d: one process %.1f GB/s\n", bytes >> 20, rounds,
              copyRate(bytes, rounds, alone, 1));
  auto* together = new (shared + 64) std::atomic<int>(0);
  auto* rates = reinterpret_cast<double*>(shared + 128);
  for (int p = 0; p < processes; ++p)
    if (fork() == 0) {
      rates[p] = copyRate(bytes, rounds, together, processes);
      _exit(0);
    }
  double sum = 0;
  for (int p = 0; p < processes; ++p) wait(nullptr);
  for (int p = 0; p < processes; ++p) sum += rates[p];
  std::printf("%d processes at once: %.1f GB/s each, %.1f GB/s together\n", processes, sum / processes, sum);
  return 0;
}
