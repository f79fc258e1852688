#include "runtime/one_sided.h"

#include <arpa/inet.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <random>

#include "base/error.h"
#include "base/log.h"
#include "transports/shm/cross_memory.h"

namespace braid {

// What travels on a one-sided connection: a header, and after a put's header its data.
struct OneSidedMesh::Message {
  static constexpr uint32_t kMagic = 0x31736f62;  // "bos1"
  enum Kind : uint32_t { Put = 1, Signal = 2, Fence = 3 };
  uint32_t magic = kMagic;
  uint32_t kind = 0;
  uint32_t context = 0;
  uint32_t reserved = 0;
  uint64_t window = 0;
  uint64_t offset = 0;
  uint64_t bytes = 0;
};

namespace {

// How a connecting rank proves it belongs: the token the target published over the (authenticated) bootstrap.
struct Hello {
  uint64_t token;
  int32_t rank;
  int32_t reserved;
};

struct Endpoint {
  uint64_t token;
  uint16_t port;
  uint16_t reserved[3];
};

// How long the rest of a message may take once its first byte has arrived.
constexpr double kMessageSeconds = 60;

void setPort(SocketAddress& address, uint16_t port) {
  if (address.sa.sa_family == AF_INET) address.v4.sin_port = htons(port);
  else address.v6.sin6_port = htons(port);
}

Deadline deadlineOf(double seconds) { return deadlineAfter(seconds > 0 ? seconds : 365.0 * 24 * 3600); }

}  // namespace

OneSidedMesh::OneSidedMesh(Bootstrap& bootstrap, const Options& options)
    : rank_(bootstrap.rank()),
      nranks_(bootstrap.nranks()),
      options_(options),
      received_(static_cast<size_t>(nranks_) * options.contexts),
      consumed_(received_.size()),
      fencesReceived_(nranks_),
      gone_(nranks_) {
  peers_.resize(nranks_);
  for (int p = 0; p < nranks_; ++p)
    if (p != rank_) {
      peers_[p] = std::make_unique<Peer>();
      peers_[p]->pid = bootstrap.peers()[p].pid;
    }
  connectPeers(bootstrap);
  BRAID_INFO("NET", "one-sided connections to %d peer(s); puts travel %s", nranks_ - 1,
             options_.crossMemory ? "by cross-memory attach, signals over TCP" : "over TCP");
  wakeFd_ = ::eventfd(0, EFD_CLOEXEC);
  if (wakeFd_ < 0) failErrno("eventfd for the one-sided service thread");
  service_ = std::thread([this] { serve(); });
}

OneSidedMesh::~OneSidedMesh() {
  const uint64_t one = 1;
  if (::write(wakeFd_, &one, sizeof one) != sizeof one) BRAID_WARN("NET", "could not wake the one-sided thread");
  service_.join();
  ::close(wakeFd_);
}

// Lower ranks connect to higher ones, on a listener each rank opens for this (the bootstrap's own listener
// serves status queries once the communicator is up).
void OneSidedMesh::connectPeers(Bootstrap& bootstrap) {
  SocketAddress mine = bootstrap.peers()[rank_].listen;
  setPort(mine, 0);
  Socket listener = Socket::listenOn(mine);
  std::vector<Endpoint> endpoints(nranks_);
  endpoints[rank_].token = (static_cast<uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}();
  endpoints[rank_].port = mine.port();
  bootstrap.allGather(endpoints.data(), sizeof(Endpoint));

  const Deadline deadline = deadlineAfter(bootstrap.timeoutSeconds());
  for (int p = rank_ + 1; p < nranks_; ++p) {
    SocketAddress address = bootstrap.peers()[p].listen;
    setPort(address, endpoints[p].port);
    Socket socket = Socket::connectTo(address, deadline, false);
    const Hello hello{endpoints[p].token, rank_, 0};
    socket.sendAll(&hello, sizeof hello, deadline);
    peers_[p]->socket = std::move(socket);
  }
  for (int waiting = rank_; waiting > 0;) {
    if (!listener.readableBefore(deadline))
      fail(ncclSystemError, "one-sided connections: " + std::to_string(waiting) +
                                " lower rank(s) never connected within BRAID_BOOTSTRAP_TIMEOUT");
    Socket socket(::accept4(listener.fd(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!socket.valid()) continue;
    try {
      Hello hello{};
      socket.recvAll(&hello, sizeof hello, deadlineAfter(5));
      if (hello.token != endpoints[rank_].token || hello.rank < 0 || hello.rank >= rank_ ||
          peers_[hello.rank]->socket.valid())
        continue;  // a stranger, or a duplicate: dropped
      peers_[hello.rank]->socket = std::move(socket);
      --waiting;
    } catch (const Error& e) {
      BRAID_WARN("NET", "rank %d dropped a one-sided connection attempt: %s", rank_, e.what());
    }
  }
  for (auto& peer : peers_)
    if (peer && options_.trafficClass >= 0) peer->socket.setTrafficClass(options_.trafficClass);
}

void OneSidedMesh::serve() {
  std::vector<pollfd> fds(1 + nranks_);
  fds[0] = {wakeFd_, POLLIN, 0};
  for (int p = 0; p < nranks_; ++p) fds[1 + p] = {peers_[p] ? peers_[p]->socket.fd() : -1, POLLIN, 0};
  for (;;) {
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      BRAID_WARN("NET", "rank %d: one-sided service thread stops: poll failed: %s", rank_, std::strerror(errno));
      return;
    }
    if (fds[0].revents) return;
    for (int p = 0; p < nranks_; ++p) {
      if (!fds[1 + p].revents) continue;
      try {
        receiveFrom(p);
      } catch (const Error& e) {
        // Served no more, and shut: a sender blocked on it fails instead of waiting out BRAID_TIMEOUT.
        ::shutdown(fds[1 + p].fd, SHUT_RDWR);
        fds[1 + p].fd = -1;
        std::lock_guard<std::mutex> lock(mutex_);
        gone_[p] = "rank " + std::to_string(p) + ": " + e.what();
        arrived_.notify_all();
      }
    }
  }
}

// One message from `peer`. Anything malformed ends the connection (the sender checks what it sends, so only a
// broken or hostile peer gets here) rather than writing anywhere.
void OneSidedMesh::receiveFrom(int peer) {
  const Socket& socket = peers_[peer]->socket;
  Message m;
  socket.recvAll(&m, sizeof m, deadlineAfter(kMessageSeconds));
  if (m.magic != Message::kMagic || m.kind < Message::Put || m.kind > Message::Fence ||
      m.context >= static_cast<uint32_t>(options_.contexts))
    fail(ncclSystemError, "sent a malformed one-sided message; its connection is closed");
  if (m.kind == Message::Put) {
    std::pair<char*, size_t> window{nullptr, 0};
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (auto w = windows_.find(m.window); w != windows_.end()) window = w->second;
    }
    if (!window.first || m.offset > window.second || m.bytes > window.second - m.offset)
      fail(ncclSystemError, "put " + std::to_string(m.bytes) + " bytes at offset " + std::to_string(m.offset) +
                                " of window " + std::to_string(m.window) + ", which this rank does not have " +
                                (window.first ? "that large" : "registered"));
    socket.recvAll(window.first + m.offset, m.bytes, deadlineAfter(kMessageSeconds));
  }
  std::lock_guard<std::mutex> lock(mutex_);
  apply(peer, m);
}

void OneSidedMesh::apply(int peer, const Message& m) {
  if (m.kind == Message::Fence) ++fencesReceived_[peer];
  else ++received_[static_cast<size_t>(peer) * options_.contexts + m.context];
  arrived_.notify_all();
}

uint64_t OneSidedMesh::addWindow(char* buffer, size_t size) {
  std::lock_guard<std::mutex> lock(mutex_);
  windows_[nextWindow_] = {buffer, size};
  return nextWindow_++;
}

void OneSidedMesh::removeWindow(uint64_t window) {
  std::lock_guard<std::mutex> lock(mutex_);
  windows_.erase(window);
}

void OneSidedMesh::send(int peer, const Message& message, const void* payload, size_t bytes) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!gone_[peer].empty()) fail(ncclRemoteError, "one-sided connection to " + gone_[peer]);
  }
  Peer& p = *peers_[peer];
  std::lock_guard<std::mutex> lock(p.sending);
  const Deadline deadline = deadlineOf(options_.timeoutSeconds);
  p.socket.sendAll(&message, sizeof message, deadline);
  if (bytes) p.socket.sendAll(payload, bytes, deadline);
}

void OneSidedMesh::put(int peer, const PutTarget& target, const void* data, size_t bytes, int context) {
  Message m;
  m.context = static_cast<uint32_t>(context);
  if (peer == rank_) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto window = windows_.find(target.window);
    if (window == windows_.end()) fail(ncclInvalidUsage, "ncclPutSignal: the window was deregistered");
    std::memcpy(window->second.first + target.offset, data, bytes);
    m.kind = Message::Signal;
    return apply(peer, m);
  }
  if (options_.crossMemory && bytes) {
    cross_memory::write(peers_[peer]->pid, target.address + target.offset, data, bytes);
    return signal(peer, context);
  }
  m.kind = Message::Put;
  m.window = target.window;
  m.offset = target.offset;
  m.bytes = bytes;
  send(peer, m, data, bytes);
}

void OneSidedMesh::signal(int peer, int context) {
  Message m;
  m.kind = Message::Signal;
  m.context = static_cast<uint32_t>(context);
  if (peer != rank_) return send(peer, m, nullptr, 0);
  std::lock_guard<std::mutex> lock(mutex_);
  apply(peer, m);
}

void OneSidedMesh::fence() {
  uint64_t epoch;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    epoch = ++fencesSent_;
  }
  Message m;
  m.kind = Message::Fence;
  for (int p = 0; p < nranks_; ++p)
    if (p != rank_) send(p, m, nullptr, 0);
  const Deadline deadline = deadlineOf(options_.timeoutSeconds);
  std::unique_lock<std::mutex> lock(mutex_);
  for (int p = 0; p < nranks_; ++p) {
    while (p != rank_ && fencesReceived_[p] < epoch) {
      if (!gone_[p].empty()) fail(ncclRemoteError, "one-sided fence: " + gone_[p]);
      if (std::chrono::steady_clock::now() > deadline)
        fail(ncclSystemError, "one-sided fence: rank " + std::to_string(p) + " did not arrive within BRAID_TIMEOUT");
      arrived_.wait_for(lock, std::chrono::milliseconds(100));
    }
  }
}

// Why the signals `descriptors` wait for can no longer all come ("" while they can).
std::string OneSidedMesh::problemWaiting(const std::vector<ncclWaitSignalDesc_t>& descriptors) const {
  for (const ncclWaitSignalDesc_t& d : descriptors) {
    const size_t i = static_cast<size_t>(d.peer) * options_.contexts + d.ctx;
    if (received_[i] - consumed_[i] < static_cast<uint64_t>(d.opCnt) && !gone_[d.peer].empty())
      return "ncclWaitSignal: " + std::to_string(d.opCnt) + " signal(s) awaited from " + gone_[d.peer];
  }
  return "";
}

void OneSidedMesh::wait(const std::vector<ncclWaitSignalDesc_t>& descriptors) {
  // What to consume per (peer, context): descriptors may name one twice.
  std::map<size_t, uint64_t> wanted;
  for (const ncclWaitSignalDesc_t& d : descriptors)
    wanted[static_cast<size_t>(d.peer) * options_.contexts + d.ctx] += static_cast<uint64_t>(d.opCnt);
  const auto start = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    bool ready = true;
    for (const auto& [i, count] : wanted) ready = ready && received_[i] - consumed_[i] >= count;
    if (ready) break;
    if (std::string problem = problemWaiting(descriptors); !problem.empty()) fail(ncclRemoteError, problem);
    if (options_.stopping && options_.stopping->load())
      fail(ncclInvalidUsage, "the communicator was aborted or revoked during ncclWaitSignal");
    const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (options_.timeoutSeconds > 0 && waited > options_.timeoutSeconds) {
      std::string missing;
      for (const auto& [i, count] : wanted)
        if (received_[i] - consumed_[i] < count)
          missing += (missing.empty() ? "" : ", ") + std::to_string(count - (received_[i] - consumed_[i])) +
                     " from rank " + std::to_string(i / options_.contexts) + " (context " +
                     std::to_string(i % options_.contexts) + ")";
      fail(ncclSystemError, "ncclWaitSignal: waited longer than BRAID_TIMEOUT (" +
                                std::to_string(static_cast<int>(options_.timeoutSeconds)) +
                                " s); signals missing: " + missing);
    }
    arrived_.wait_for(lock, std::chrono::milliseconds(100));
  }
  for (const auto& [i, count] : wanted) consumed_[i] += count;
}

}  // namespace braid
