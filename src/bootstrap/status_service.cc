#include "bootstrap/status_service.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "bootstrap/bootstrap_messages.h"
#include "runtime/communicator.h"
#include "base/env.h"
#include "base/error.h"
#include "base/log.h"

namespace braid {
namespace {

struct Service {
  std::mutex mutex;  // guards comms; held while the thread works on one of them
  std::vector<ncclComm*> comms;
  int wakePipe[2] = {-1, -1};  // written by the signal handler (dump) and by register/unregister (re-poll)
  std::thread thread;
};

Service& service() {
  static Service* s = new Service;  // never destroyed: the thread may outlive static destruction
  return *s;
}

void onSignal(int) {
  char dump = 'd';
  ssize_t ignored = ::write(service().wakePipe[1], &dump, 1);  // async-signal-safe
  (void)ignored;
}

StatusReply statusOf(ncclComm* comm) {
  StatusReply r{};
  r.rank = comm->rank;
  r.inCollective = comm->inLaunch.load() ? 1 : 0;
  r.issued = comm->collectivesIssued.load();
  r.completed = comm->collectivesCompleted.load();
  std::lock_guard<std::mutex> lock(comm->waitingMutex);
  std::snprintf(r.waiting, sizeof r.waiting, "%s", comm->waiting.c_str());
  return r;
}

void run() {
  Service& s = service();
  std::vector<pollfd> fds;
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(s.mutex);
      fds.assign(1, {s.wakePipe[0], POLLIN, 0});
      for (ncclComm* c : s.comms) fds.push_back({c->bootstrap->listenerFd(), POLLIN, 0});
    }
    if (::poll(fds.data(), fds.size(), -1) < 0) continue;
    std::lock_guard<std::mutex> lock(s.mutex);
    if (fds[0].revents) {
      char byte = 0;
      if (::read(s.wakePipe[0], &byte, 1) == 1 && byte == 'd') {
        BRAID_WARN("STATUS", "SIGUSR1: %zu communicator(s) in this process", s.comms.size());
        for (ncclComm* c : s.comms) BRAID_WARN("STATUS", "%s", describeStatus(c).c_str());
      }
    }
    for (size_t i = 1; i < fds.size(); ++i) {
      if (!fds[i].revents) continue;
      // The list may have changed since polling: find the communicator by its descriptor.
      for (ncclComm* c : s.comms)
        if (c->bootstrap->listenerFd() == fds[i].fd) c->bootstrap->answerStatusQuery(statusOf(c));
    }
  }
}

void startOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    Service& s = service();
    if (::pipe2(s.wakePipe, O_CLOEXEC | O_NONBLOCK) != 0) return;
    if (envInt("DUMP_SIGNAL", 1, false) != 0) {
      struct sigaction action {};
      action.sa_handler = onSignal;
      action.sa_flags = SA_RESTART;
      sigemptyset(&action.sa_mask);
      sigaction(SIGUSR1, &action, nullptr);
    }
    s.thread = std::thread(run);
    s.thread.detach();
  });
}

void wake() {
  char poke = 'w';
  ssize_t ignored = ::write(service().wakePipe[1], &poke, 1);
  (void)ignored;
}

}  // namespace

void registerForStatus(ncclComm* comm) {
  startOnce();
  {
    std::lock_guard<std::mutex> lock(service().mutex);
    service().comms.push_back(comm);
  }
  wake();
}

void unregisterForStatus(ncclComm* comm) {
  {
    std::lock_guard<std::mutex> lock(service().mutex);
    auto& comms = service().comms;
    comms.erase(std::remove(comms.begin(), comms.end(), comm), comms.end());
  }
  wake();
}

std::string describeStatus(ncclComm* comm) {
  StatusReply r = statusOf(comm);
  std::string line = "rank " + std::to_string(r.rank) + "/" + std::to_string(comm->nranks) + ": issued " +
                     std::to_string(r.issued) + " collectives, completed " + std::to_string(r.completed);
  if (r.inCollective && r.waiting[0]) line += ", waiting: " + std::string(r.waiting);
  return line;
}

std::string clusterSummary(ncclComm* comm) {
  const uint64_t mine = comm->collectivesIssued.load();
  std::string summary, missing;
  for (int p = 0; p < comm->nranks; ++p) {
    if (p == comm->rank) continue;
    std::string line;
    try {
      StatusReply r = comm->bootstrap->queryStatus(p, 1.0);
      line = "rank " + std::to_string(p) + ": issued " + std::to_string(r.issued) + ", completed " +
             std::to_string(r.completed) + (r.inCollective && r.waiting[0] ? ", waiting: " + std::string(r.waiting) : "");
      if (r.issued < mine) missing += (missing.empty() ? "" : ", ") + std::to_string(p);
    } catch (const Error& e) {
      line = "rank " + std::to_string(p) + ": no answer (" + e.what() + ")";
      missing += (missing.empty() ? "" : ", ") + std::to_string(p);
    }
    BRAID_WARN("STATUS", "cluster summary: %s", line.c_str());
    summary += "; " + line;
  }
  std::string head = "collective #" + std::to_string(mine) + " not reached by rank(s): " + (missing.empty() ? "none" : missing);
  BRAID_WARN("STATUS", "cluster summary: %s", head.c_str());
  return head;
}

}  // namespace braid
