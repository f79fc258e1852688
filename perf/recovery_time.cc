// How long a job is down when a rank dies: NRANKS ranks run small AllReduces; at step 5 the last rank notes the
// time and SIGKILLs itself; each survivor sees the error, revokes, shrinks with NCCL_SHRINK_ABORT and runs one
// AllReduce on the shrunk communicator. Per round: the time from the kill to the last survivor's first
// successful collective, and its parts (kill to last error seen, revoke + shrink, first collective). Prints the
// median over ROUNDS rounds. WIRING: shm (one host) or sockets (one emulated host per rank, BRAID_HOSTID).
// MODE reinit is the way without shrink, for comparison: the survivors abort and join a fresh communicator
// through an id made before the job started (what a job must otherwise do, minus restarting its processes).
// usage: recovery_time [shm|sockets] [NRANKS=4] [ROUNDS=10] [shrink|reinit]
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "nccl.h"

namespace {

double nowMs() {  // CLOCK_MONOTONIC: one clock for every process
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct Shared {  // one round's times, written by the ranks (MAP_SHARED)
  double killed;
  double errorSeen[64];
  double shrunk[64];
  double firstCollective[64];
};

int runRank(int rank, int nranks, const ncclUniqueId& id, const ncclUniqueId& spareId, bool sockets, bool reinit,
            Shared* times) {
  if (sockets) setenv("BRAID_HOSTID", ("host" + std::to_string(rank)).c_str(), 1);
  ncclComm_t comm, shrunk;
  if (ncclCommInitRank(&comm, nranks, id, rank) != ncclSuccess) return 1;
  const int victim = nranks - 1;
  int x = 1;
  for (int step = 0;; ++step) {
    if (rank == victim && step == 5) {
      times->killed = nowMs();
      raise(SIGKILL);
    }
    if (ncclAllReduce(&x, &x, 1, ncclInt32, ncclSum, comm, nullptr) != ncclSuccess) break;
  }
  times->errorSeen[rank] = nowMs();
  int excluded[] = {victim};
  if (reinit) {
    ncclCommAbort(comm);
    comm = nullptr;
    if (ncclCommInitRank(&shrunk, nranks - 1, spareId, rank) != ncclSuccess) {
      std::fprintf(stderr, "rank %d: %s\n", rank, ncclGetLastError(nullptr));
      return 1;
    }
  } else if (ncclCommRevoke(comm, NCCL_REVOKE_DEFAULT) != ncclSuccess ||
             ncclCommShrink(comm, excluded, 1, &shrunk, nullptr, NCCL_SHRINK_ABORT) != ncclSuccess) {
    std::fprintf(stderr, "rank %d: %s\n", rank, ncclGetLastError(comm));
    return 1;
  }
  times->shrunk[rank] = nowMs();
  if (ncclAllReduce(&x, &x, 1, ncclInt32, ncclSum, shrunk, nullptr) != ncclSuccess) return 1;
  times->firstCollective[rank] = nowMs();
  ncclCommDestroy(shrunk);
  if (comm) ncclCommDestroy(comm);
  return 0;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const bool sockets = argc > 1 && std::strcmp(argv[1], "sockets") == 0;
  const int nranks = argc > 2 ? std::atoi(argv[2]) : 4;
  const int rounds = argc > 3 ? std::atoi(argv[3]) : 10;
  const bool reinit = argc > 4 && std::strcmp(argv[4], "reinit") == 0;
  if (nranks < 2 || nranks > 64 || rounds < 1) {
    std::fprintf(stderr, "usage: recovery_time [shm|sockets] [NRANKS=4 (2..64)] [ROUNDS=10] [shrink|reinit]\n");
    return 2;
  }
  auto* times =
      static_cast<Shared*>(mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  std::vector<double> total, detect, shrink, first;
  for (int round = 0; round < rounds; ++round) {
    std::memset(times, 0, sizeof *times);
    ncclUniqueId id, spareId;
    if (ncclGetUniqueId(&id) != ncclSuccess || ncclGetUniqueId(&spareId) != ncclSuccess) return 1;
    std::vector<pid_t> pids;
    for (int r = 0; r < nranks; ++r) {
      const pid_t pid = fork();
      if (pid == 0) _exit(runRank(r, nranks, id, spareId, sockets, reinit, times));
      pids.push_back(pid);
    }
    int failed = 0;
    for (int r = 0; r < nranks; ++r) {
      int status = 0;
      waitpid(pids[r], &status, 0);
      if (r != nranks - 1 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) ++failed;
    }
    if (failed) {
      std::fprintf(stderr, "round %d: %d survivor(s) failed\n", round, failed);
      return 1;
    }
    double lastError = 0, lastShrink = 0, lastFirst = 0, longestShrink = 0;
    for (int r = 0; r < nranks - 1; ++r) {
      lastError = std::max(lastError, times->errorSeen[r]);
      lastShrink = std::max(lastShrink, times->shrunk[r]);
      lastFirst = std::max(lastFirst, times->firstCollective[r]);
      longestShrink = std::max(longestShrink, times->shrunk[r] - times->errorSeen[r]);
    }
    total.push_back(lastFirst - times->killed);
    detect.push_back(lastError - times->killed);
    shrink.push_back(longestShrink);
    first.push_back(lastFirst - lastShrink);
  }
  const char* way = reinit ? "abort + fresh init" : "revoke + shrink";
  std::printf(
      "%s, %s, %d ranks, one killed, median of %d rounds (ms): kill to first collective %.1f; kill to the "
      "last survivor's error %.1f; %s %.1f; first collective %.2f\n",
      way, sockets ? "sockets" : "shm", nranks, rounds, median(total), median(detect), way, median(shrink),
      median(first));
  return 0;
}
