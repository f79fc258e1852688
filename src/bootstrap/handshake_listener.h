// Accepts connections and reads one fixed-size introduction from each, many at a time. A client that sends
// nothing, too little or garbage costs the others nothing: it is dropped at its own deadline or on its first
// bad byte count, while well-behaved clients are served as soon as their introduction is complete.
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "base/error.h"
#include "base/log.h"
#include "base/socket.h"

namespace braid {

template <class Hello>
class HandshakeListener {
 public:
  HandshakeListener(const Socket& listener, double handshakeSeconds)
      : listener_(listener), handshakeSeconds_(handshakeSeconds) {
    listener_.setNonBlocking();
    pending_.reserve(kReserved);
    fds_.reserve(kReserved + 1 + kWatched);
  }

  // The caller holds `held` (base/fork_lock.h) except while this listener waits in poll().
  void releaseWhileWaiting(std::unique_lock<std::mutex>& held) { released_ = &held; }

  // Ends every later wait with ncclRemoteError as soon as `fd` is closed at its other end: a peer that exits or
  // fails while the others wait for its connections (who: "rank 3") fails them at once, not at the deadline.
  void failWhenClosed(int fd, std::string who) { watched_.push_back({fd, std::move(who)}); }
  void stopWatching() { watched_.clear(); }

  // Calls `check` at least every kCheckSeconds while waiting; it throws to end the wait (a member known gone).
  void checkWhileWaiting(std::function<void()> check) { check_ = std::move(check); }
  static constexpr double kCheckSeconds = 0.1;

  struct Arrival {
    Socket socket;
    Hello hello;
  };

  // The next connection whose complete introduction `approve(hello, socket)` accepts; rejected ones are dropped
  // (approve may answer them first). Throws ncclTimeout at `deadline`.
  template <class Approve>
  Arrival next(Deadline deadline, Approve approve) {
    for (;;) {
      for (size_t i = 0; i < pending_.size(); ++i) {
        if (pending_[i].received < sizeof(Hello)) continue;
        Pending done = std::move(pending_[i]);
        pending_.erase(pending_.begin() + static_cast<long>(i));
        if (approve(done.hello, done.socket)) return {std::move(done.socket), done.hello};
        --i;
      }
      waitAndRead(deadline);
    }
  }

 private:
  struct Pending {
    Socket socket;
    Deadline deadline;
    Hello hello;
    size_t received;
  };

  void waitAndRead(Deadline deadline) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) fail(ncclTimeout, "timed out waiting for peers to connect");
    Deadline wake = deadline;
    for (const Pending& p : pending_) wake = std::min(wake, p.deadline);
    if (check_) wake = std::min(wake, deadlineAfter(kCheckSeconds));
    std::vector<pollfd>& fds = fds_;
    fds.assign(1, {listener_.fd(), POLLIN, 0});
    for (const Pending& p : pending_) fds.push_back({p.socket.fd(), POLLIN, 0});
    for (const Watched& w : watched_) fds.push_back({w.fd, POLLRDHUP, 0});  // not POLLIN: data may be waiting
    int ms = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(wake - now).count()) + 1;
    if (released_) released_->unlock();
    const int ready = ::poll(fds.data(), fds.size(), ms);
    const int pollError = errno;
    if (released_) released_->lock();
    errno = pollError;
    if (ready < 0 && errno != EINTR) failErrno("poll");
    if (check_) check_();
    for (size_t w = 0; w < watched_.size(); ++w)
      if (fds[1 + pending_.size() + w].revents & (POLLRDHUP | POLLHUP | POLLERR))
        fail(ncclRemoteError, watched_[w].who +
                                  " left during init: its bootstrap connection closed (it exited, or failed and "
                                  "says why in its own error)");
    for (size_t i = pending_.size(); i >= 1; --i) {
      if (!fds[i].revents) continue;
      Pending& p = pending_[i - 1];
      ssize_t n = ::recv(p.socket.fd(), reinterpret_cast<char*>(&p.hello) + p.received, sizeof(Hello) - p.received,
                         MSG_DONTWAIT);
      if (n > 0) p.received += static_cast<size_t>(n);
      else if (n == 0 || (errno != EAGAIN && errno != EINTR)) drop(i - 1, "closed before introducing itself");
    }
    if (fds[0].revents) acceptAll();
    const auto later = std::chrono::steady_clock::now();
    for (size_t i = pending_.size(); i-- > 0;)
      if (pending_[i].received < sizeof(Hello) && later >= pending_[i].deadline)
        drop(i, "did not introduce itself in time");
  }

  void acceptAll() {
    for (;;) {
      int fd = ::accept4(listener_.fd(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      // Out of descriptors, the connection would wait unaccepted until the deadline: fail now, saying why.
      if (fd < 0 && (errno == EMFILE || errno == ENFILE)) failErrno("accepting a peer's connection");
      if (fd < 0) return;  // EAGAIN: no more waiting connections
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      pending_.push_back({Socket(fd), deadlineAfter(handshakeSeconds_), Hello{}, 0});
    }
  }

  void drop(size_t index, const char* why) {
    BRAID_WARN("BOOTSTRAP", "dropped a connection that %s", why);
    pending_.erase(pending_.begin() + static_cast<long>(index));
  }

  struct Watched {
    int fd;
    std::string who;
  };

  static constexpr size_t kReserved = 64;
  static constexpr size_t kWatched = 2;  // room reserved for the bootstrap ring's neighbours
  const Socket& listener_;
  double handshakeSeconds_;
  std::vector<Pending> pending_;
  std::vector<pollfd> fds_;
  std::vector<Watched> watched_;
  std::function<void()> check_;
  std::unique_lock<std::mutex>* released_ = nullptr;
};

}  // namespace braid
