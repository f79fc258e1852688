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

#include "base/error.h"
#include "base/log.h"
#include "base/params.h"
#include "bootstrap/bootstrap.h"
#include "bootstrap/bootstrap_messages.h"

namespace braid {
namespace {

const param::Flag kDumpSignal{"DUMP_SIGNAL", param::kBraidOnly, true,
                              "0 leaves SIGUSR1 alone (by default `kill -USR1 <pid>` logs each communicator's state)"};

struct Member {
  Bootstrap* bootstrap;
  std::string name;
  StatusReporter report;
  Bootstrap::FailureHandler onFailure;
};

struct Service {
  std::mutex mutex;  // guards members; held while the thread works on one of them
  std::vector<Member> members;
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

void run() {
  Service& s = service();
  std::vector<pollfd> fds;
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(s.mutex);
      fds.assign(1, {s.wakePipe[0], POLLIN, 0});
      for (const Member& m : s.members) fds.push_back({m.bootstrap->listenerFd(), POLLIN, 0});
    }
    if (::poll(fds.data(), fds.size(), -1) < 0) continue;
    std::lock_guard<std::mutex> lock(s.mutex);
    if (fds[0].revents) {
      char byte = 0;
      if (::read(s.wakePipe[0], &byte, 1) == 1 && byte == 'd') {
        BRAID_WARN("STATUS", "SIGUSR1: %zu communicator(s) in this process", s.members.size());
        for (const Member& m : s.members)
          BRAID_WARN("STATUS", "%s%s", m.name.empty() ? "" : ("\"" + m.name + "\" ").c_str(),
                     describeStatus(m.report(), m.bootstrap->nranks()).c_str());
      }
    }
    for (size_t i = 1; i < fds.size(); ++i) {
      if (!fds[i].revents) continue;
      // The list may have changed since polling: find the member by its descriptor.
      for (const Member& m : s.members)
        if (m.bootstrap->listenerFd() == fds[i].fd) m.bootstrap->serveListener(m.report(), m.onFailure);
    }
  }
}

void startOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    Service& s = service();
    if (::pipe2(s.wakePipe, O_CLOEXEC | O_NONBLOCK) != 0) return;
    if (kDumpSignal.get()) {
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

void registerForStatus(Bootstrap* bootstrap, std::string name, StatusReporter reporter,
                       Bootstrap::FailureHandler onFailure) {
  startOnce();
  {
    std::lock_guard<std::mutex> lock(service().mutex);
    service().members.push_back({bootstrap, std::move(name), std::move(reporter), std::move(onFailure)});
  }
  wake();
}

void unregisterForStatus(Bootstrap* bootstrap) {
  {
    std::lock_guard<std::mutex> lock(service().mutex);
    auto& members = service().members;
    members.erase(
        std::remove_if(members.begin(), members.end(), [&](const Member& m) { return m.bootstrap == bootstrap; }),
        members.end());
  }
  wake();
}

std::string describeStatus(const StatusReply& r, int nranks) {
  std::string line = "rank " + std::to_string(r.rank) + "/" + std::to_string(nranks) + ": issued " +
                     std::to_string(r.issued) + " collectives, completed " + std::to_string(r.completed);
  if (r.inCollective && r.waiting[0]) line += ", waiting: " + std::string(r.waiting);
  return line;
}

std::string clusterSummary(Bootstrap& bootstrap, uint64_t mine) {
  std::string missing;
  for (int p = 0; p < bootstrap.nranks(); ++p) {
    if (p == bootstrap.rank()) continue;
    std::string line;
    try {
      StatusReply r = bootstrap.queryStatus(p, 1.0);
      line = "rank " + std::to_string(p) + ": issued " + std::to_string(r.issued) + ", completed " +
             std::to_string(r.completed) +
             (r.inCollective && r.waiting[0] ? ", waiting: " + std::string(r.waiting) : "");
      if (r.issued < mine) missing += (missing.empty() ? "" : ", ") + std::to_string(p);
    } catch (const Error& e) {
      line = "rank " + std::to_string(p) + ": no answer (" + e.what() + ")";
      missing += (missing.empty() ? "" : ", ") + std::to_string(p);
    }
    BRAID_WARN("STATUS", "cluster summary: %s", line.c_str());
  }
  std::string head =
      "collective #" + std::to_string(mine) + " not reached by rank(s): " + (missing.empty() ? "none" : missing);
  BRAID_WARN("STATUS", "cluster summary: %s", head.c_str());
  return head;
}

}  // namespace braid
