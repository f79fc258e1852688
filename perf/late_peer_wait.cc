// What waiting for a late peer costs: rank 1 arrives DELAY_MS late at each of ROUNDS small AllReduces; rank 0
// is already waiting. Reports how long after rank 1's arrival rank 0 returns (the wake-up latency, median and
// max) and how much CPU rank 0 burned while it waited (a rank that sleeps should cost close to nothing).
// usage: late_peer_wait [DELAY_MS=50] [ROUNDS=20]
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "nccl.h"

namespace {

double nowMicroseconds() {  // CLOCK_MONOTONIC: one clock for both processes
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double cpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

bool ok(ncclResult_t r, const char* what) {
  if (r == ncclSuccess) return true;
  std::fprintf(stderr, "%s: %s (%s)\n", what, ncclGetErrorString(r), ncclGetLastError(nullptr));
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  const int delayMs = argc > 1 ? std::atoi(argv[1]) : 50;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 20;
  ncclUniqueId id;
  if (!ok(ncclGetUniqueId(&id), "ncclGetUniqueId")) return 1;
  // Rank 1's arrival time per round, for rank 0 to subtract.
  void* shared = mmap(nullptr, sizeof(double) * rounds, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) return 1;
  auto* arrivals = static_cast<volatile double*>(shared);
  const pid_t child = fork();
  const int rank = child == 0 ? 1 : 0;
  ncclComm_t comm;
  if (!ok(ncclCommInitRank(&comm, 2, id, rank), "ncclCommInitRank")) return 1;
  float value = 1;
  std::vector<double> latencies;
  double waited = 0, burned = 0;
  for (int round = 0; round < rounds; ++round) {
    if (rank == 1) {
      std::this_thread::sleep_for(std::chrono::milliseconds(delayMs));
      arrivals[round] = nowMicroseconds();
    }
    const double cpuBefore = cpuSeconds(), wallBefore = nowMicroseconds();
    if (!ok(ncclAllReduce(&value, &value, 1, ncclFloat, ncclSum, comm, nullptr), "ncclAllReduce")) return 1;
    const double done = nowMicroseconds();
    if (rank == 0) {
      latencies.push_back(done - arrivals[round]);
      burned += cpuSeconds() - cpuBefore;
      waited += (done - wallBefore) * 1e-6;
    }
  }
  ncclCommDestroy(comm);
  if (rank == 1) _exit(0);
  int status = 0;
  waitpid(child, &status, 0);
  std::sort(latencies.begin(), latencies.end());
  std::printf(
      "peer %d ms late, %d rounds: rank 0 returns %.1f us (median; max %.1f) after the peer arrives, "
      "and used %.1f%% of a core while it waited\n",
      delayMs, rounds, latencies[latencies.size() / 2], latencies.back(), 100 * burned / waited);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
