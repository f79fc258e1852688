#include "fork_ranks.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

namespace braid::testing {

std::string forkRanks(int nranks, const std::function<int(int, int, const ncclUniqueId&)>& rankMain,
                      int timeoutSeconds) {
  ncclUniqueId id;
  if (ncclGetUniqueId(&id) != ncclSuccess) return "ncclGetUniqueId failed";
  return forkRanksWithId(id, nranks, rankMain, timeoutSeconds);
}

std::string forkRanksWithId(const ncclUniqueId& id, int nranks,
                            const std::function<int(int, int, const ncclUniqueId&)>& rankMain, int timeoutSeconds) {
  std::fflush(stdout);
  std::fflush(stderr);
  std::vector<pid_t> pids;
  for (int r = 0; r < nranks; ++r) {
    pid_t pid = fork();
    if (pid == 0) {
      int problems = 1;
      try {
        problems = rankMain(r, nranks, id);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "rank %d: exception: %s\n", r, e.what());
      }
      std::fflush(stdout);
      std::fflush(stderr);
      _exit(problems == 0 ? 0 : 1);
    }
    pids.push_back(pid);
  }
  std::string failures;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeoutSeconds);
  for (int r = 0; r < nranks; ++r) {
    int status = 0;
    // Poll so that a hung rank becomes a failure instead of a hung test.
    while (waitpid(pids[r], &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        for (pid_t p : pids) kill(p, SIGKILL);
        waitpid(pids[r], &status, 0);
        failures += "rank " + std::to_string(r) + " hung (killed after " + std::to_string(timeoutSeconds) + " s); ";
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0) failures += "rank " + std::to_string(r) + " reported problems; ";
    else if (WIFSIGNALED(status) && failures.find("hung") == std::string::npos)
      failures += "rank " + std::to_string(r) + " died of signal " + std::to_string(WTERMSIG(status)) + "; ";
  }
  return failures;
}

}  // namespace braid::testing
