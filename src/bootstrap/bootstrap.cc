#include "bootstrap/bootstrap.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <future>
#include <mutex>
#include <thread>

#include "base/error.h"
#include "base/fork_lock.h"
#include "base/log.h"
#include "base/params.h"
#include "base/process_identity.h"
#include "bootstrap/bootstrap_messages.h"
#include "bootstrap/handshake_listener.h"
#include "bootstrap/host_identity.h"
#include "bootstrap/member_watch.h"

namespace braid {
namespace {

const param::Seconds kBootstrapTimeout{"BOOTSTRAP_TIMEOUT", param::kBraidOnly, 120, param::Seconds::kZeroRejected,
                                       "seconds to wait for all ranks at init"};
constexpr double kHandshakeSeconds = 5.0;  // how long one connection may take to introduce itself

// One communicator's root: gathers all hellos, then answers everyone (with the table, or with the error).
// `seconds`: the bootstrap timeout, read by the caller (where a bad value can fail the call).
// `forkPaused` holds the fork lock: released only while the root waits for connections (base/fork_lock.h).
void serveRoot(Socket listenerSocket, uint64_t secret, double seconds, std::promise<void>& ready,
               std::unique_lock<std::mutex>& forkPaused) {
  const Deadline deadline = deadlineAfter(seconds);
  struct Arrival {
    Socket socket;
    RootHello hello;
  };
  std::vector<Arrival> arrivals;
  int expected = -1;
  std::string error;
  ncclResult_t errorCode = ncclSuccess;
  auto reply = [&](const Socket& s, ncclResult_t status, const std::string& message, int nranks) {
    RootReply r{};
    r.header = makeHeader(kRootReply, secret);
    r.status = status;
    r.nranks = nranks;
    std::snprintf(r.message, sizeof r.message, "%s", message.c_str());
    try {
      s.sendAll(&r, sizeof r, deadlineAfter(kHandshakeSeconds));
    } catch (const Error& e) {  // a rank that has gone: the others still get their answer
      BRAID_WARN("BOOTSTRAP", "root could not answer a rank: %s", e.what());
    }
  };
  HandshakeListener<RootHello> listener(listenerSocket, kHandshakeSeconds);
  listener.releaseWhileWaiting(forkPaused);
  // Anything that speaks our protocol gets an answer; the rest is dropped silently.
  auto speaksBraid = [&](const RootHello& hello, const Socket& s) {
    if (!speaksProtocol(hello.header, kRootHello)) {
      BRAID_WARN("BOOTSTRAP", "root dropped a connection with a bad magic, version or kind");
      return false;
    }
    if (hello.header.secret != secret) {
      BRAID_WARN("BOOTSTRAP", "root rejected rank %d of another job (wrong secret)", hello.rank);
      reply(s, ncclInvalidUsage, "this bootstrap root serves another job (wrong secret in the unique id)", 0);
      return false;
    }
    return true;  // a member of this job: any problem with it is answered to every rank below
  };
  ready.set_value();
  while (expected < 0 || static_cast<int>(arrivals.size()) < expected) {
    HandshakeListener<RootHello>::Arrival arrival;
    try {
      arrival = listener.next(deadline, speaksBraid);
    } catch (const Error& e) {
      if (e.code() == ncclRemoteError) {  // an arrived rank closed its connection: it exited or failed
        errorCode = ncclRemoteError;
        error = std::string("communicator init failed: ") + e.what();
        for (Arrival& a : arrivals) reply(a.socket, errorCode, error, 0);
        arrivals.clear();
        listener.stopWatching();
        continue;  // keep answering late ranks with the error until the deadline
      }
      if (e.code() != ncclTimeout) {  // the root itself cannot go on (out of descriptors, ...)
        errorCode = e.code();
        error = std::string("communicator init failed: bootstrap root: ") + e.what();
      } else if (error.empty()) {
        errorCode = ncclTimeout;
        error = "bootstrap timed out: " + std::to_string(arrivals.size()) + " of " + std::to_string(expected) +
                " ranks arrived";
      }
      break;
    }
    const RootHello& hello = arrival.hello;
    if (!error.empty()) {
      reply(arrival.socket, errorCode, error, 0);
      continue;
    }
    std::string problem = checkRootHello(hello, secret);
    if (expected < 0 && problem.empty()) expected = hello.nranks;
    if (!problem.empty()) problem = "rank " + std::to_string(hello.rank) + " sent an unusable hello: " + problem;
    else if (hello.nranks != expected)
      problem = "rank " + std::to_string(hello.rank) + " was started with nranks=" + std::to_string(hello.nranks) +
                " but another rank with nranks=" + std::to_string(expected);
    else if (hello.rank < 0 || hello.rank >= expected)
      problem = "rank " + std::to_string(hello.rank) + " is out of range for nranks=" + std::to_string(expected);
    else if (std::any_of(arrivals.begin(), arrivals.end(),
                         [&](const Arrival& a) { return a.hello.rank == hello.rank; }))
      problem = "two processes claim rank " + std::to_string(hello.rank);
    if (!problem.empty()) {
      errorCode = ncclInvalidUsage;
      error = "communicator init failed: " + problem;
      reply(arrival.socket, errorCode, error, 0);
      for (Arrival& a : arrivals) reply(a.socket, errorCode, error, 0);
      arrivals.clear();
      listener.stopWatching();
      continue;  // keep answering late ranks with the error until the deadline
    }
    listener.failWhenClosed(arrival.socket.fd(), "rank " + std::to_string(hello.rank));
    arrivals.push_back({std::move(arrival.socket), hello});
  }
  if (!error.empty()) {
    for (Arrival& a : arrivals) reply(a.socket, errorCode, error, 0);
    return;
  }
  std::vector<PeerInfo> table(expected);
  for (const Arrival& a : arrivals) table[a.hello.rank] = a.hello.info;
  RootReply ok{};
  ok.header = makeHeader(kRootReply, secret);
  ok.status = ncclSuccess;
  ok.nranks = expected;
  ok.nonce = randomU64();
  for (Arrival& a : arrivals) {
    try {
      a.socket.sendAll(&ok, sizeof ok, deadlineAfter(kHandshakeSeconds));
      a.socket.sendAll(table.data(), table.size() * sizeof(PeerInfo), deadlineAfter(kHandshakeSeconds));
    } catch (const Error& e) {
      BRAID_WARN("BOOTSTRAP", "root could not answer rank %d: %s", a.hello.rank, e.what());
    }
  }
}

// Serves one communicator's init on `listener` from a thread of its own, for at most `seconds` (the bootstrap
// timeout, read by the caller, where a bad value can fail the call). Returns once the root holds the fork lock, so
// that a fork right after ncclGetUniqueId never copies a thread that is half-way through starting up.
void startRootOn(Socket listener, uint64_t secret, double seconds) {
  auto ready = std::make_shared<std::promise<void>>();
  std::future<void> started = ready->get_future();
  std::thread([l = std::move(listener), secret, seconds, ready]() mutable {
    std::unique_lock<std::mutex> forkPaused(forkLock());
    try {
      serveRoot(std::move(l), secret, seconds, *ready, forkPaused);
    } catch (const std::exception& e) {
      BRAID_WARN("BOOTSTRAP", "root failed: %s", e.what());
    }
  }).detach();
  started.wait();
}

// Mixes the words into one (splitmix64's finalizer per word): the derived communicator's secret.
uint64_t mix(std::initializer_list<uint64_t> words) {
  uint64_t h = 0x9e3779b97f4a7c15ull;
  for (uint64_t w : words) {
    h ^= w + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
    h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
    h ^= h >> 31;
  }
  return h;
}

}  // namespace

void startBootstrapRoot(SocketAddress& address, uint64_t secret) {
  const double seconds = kBootstrapTimeout.get();
  Socket listener = Socket::listenOn(address);
  BRAID_INFO("BOOTSTRAP", "root listening on %s", address.toString().c_str());
  startRootOn(std::move(listener), secret, seconds);
}

Bootstrap::Bootstrap(const UniqueIdContents& id, int rank, int nranks, MembersGone membersGone)
    : rank_(rank),
      nranks_(nranks),
      secret_(id.secret),
      timeoutSeconds_(kBootstrapTimeout.get()),
      membersGone_(std::move(membersGone)) {
  const Deadline deadline = deadlineAfter(timeoutSeconds_);
  if (id.rootOnRankZero && rank == 0) {
    SocketAddress rootAddress = id.root;
    startBootstrapRoot(rootAddress, secret_);
  }
  SocketAddress mine = localInterfaceAddress();
  mine.v4.sin_port = 0;
  SocketAddress spare = mine;  // the same interface, another port
  listener_ = Socket::listenOn(mine);
  spareRootListener_ = Socket::listenOn(spare);
  peerListener_ = std::make_unique<HandshakeListener<PeerHello>>(listener_, kHandshakeSeconds);
  peerListener_->checkWhileWaiting([this] { failIfMemberGone(); });

  RootHello hello{};
  hello.header = makeHeader(kRootHello, secret_);
  hello.rank = rank;
  hello.nranks = nranks;
  hello.info.hostHash = hostIdentityHash();
  hello.info.pid = getpid();
  hello.info.pidNamespace = pidNamespace();
  hello.info.rank = rank;
  hello.info.listen = mine;
  hello.info.spareRoot = spare;
  gethostname(hello.info.hostname, sizeof hello.info.hostname - 1);
  // A derived communicator's root runs in one of its members (Bootstrap::hostDerivedRoot): its connection
  // failing means that member has gone, which the error says.
  auto withRoot = [&](auto step) {
    try {
      step();
    } catch (const Error& e) {
      if (!id.rootListening) throw;
      fail(e.code(), "the member hosting the bootstrap root at " + id.root.toString() + " has gone: " + e.what());
    }
  };
  Socket root;
  withRoot([&] {
    // A split's root starts in its first member, which may fail before it does: a local member known gone ends the
    // wait instead of the deadline.
    root = Socket::connectTo(id.root, deadline, !id.rootListening, [this] { failIfMemberGone(); });
    root.sendAll(&hello, sizeof hello, deadline);
  });
  RootReply reply;
  awaitReadable(root, deadline);  // the reply waits for every rank: one known gone will never come
  withRoot([&] { root.recvAll(&reply, sizeof reply, deadline); });
  if (std::string problem = checkRootReply(reply, secret_, nranks); !problem.empty())
    fail(ncclSystemError, "bootstrap root at " + id.root.toString() + ": " + problem);
  if (reply.status != ncclSuccess) fail(static_cast<ncclResult_t>(reply.status), reply.message);
  nonce_ = reply.nonce;
  peers_.resize(nranks);
  root.recvAll(peers_.data(), peers_.size() * sizeof(PeerInfo), deadline);
  std::vector<int> everyone(static_cast<size_t>(nranks));
  for (int r = 0; r < nranks; ++r) everyone[r] = r;
  membersGone_ = watchLocalMembers(peers_, rank, everyone, "");  // from here on the table says who is local

  if (nranks > 1) {
    next_ = connectTo((rank + 1) % nranks, -1);
    const int prev = (rank - 1 + nranks) % nranks;
    prev_ = acceptWhere([prev](int peer, int channel) { return peer == prev && channel < 0; }).socket;
    // A neighbour that dies or fails from here on closes its ring connection: the waits for connections end
    // then, and this rank's own failure closes its connections in turn, so the news goes round the ring.
    peerListener_->failWhenClosed(next_.fd(), "rank " + std::to_string((rank + 1) % nranks));
    if (prev != (rank + 1) % nranks) peerListener_->failWhenClosed(prev_.fd(), "rank " + std::to_string(prev));
  }
  BRAID_INFO("BOOTSTRAP", "rank %d/%d joined (nonce %016llx)", rank, nranks, static_cast<unsigned long long>(nonce_));
}

void Bootstrap::failIfMemberGone() const {
  if (!membersGone_) return;
  if (std::string why = membersGone_(); !why.empty()) fail(ncclRemoteError, why);
}

void Bootstrap::awaitReadable(const Socket& socket, Deadline deadline) const {
  while (membersGone_ && std::chrono::steady_clock::now() < deadline &&
         !socket.readableBefore(std::min(deadline, deadlineAfter(HandshakeListener<PeerHello>::kCheckSeconds))))
    failIfMemberGone();
}

Socket Bootstrap::connectTo(int peer, int channel) { return introduce(peer, channel, deadlineAfter(timeoutSeconds_)); }

Socket Bootstrap::introduce(int peer, int channel, Deadline deadline) {
  // Peers listen before they join, so a refusal means the peer has gone: no retry until the deadline.
  Socket s;
  try {
    s = Socket::connectTo(peers_[peer].listen, deadline, false);
  } catch (const Error& e) {
    fail(e.code(), "connecting to rank " + std::to_string(peer) + ": " + e.what());
  }
  PeerHello hello{makeHeader(kPeerHello, secret_), nonce_, rank_, channel};
  s.sendAll(&hello, sizeof hello, deadline);
  return s;
}

// Accepts connections until one introduces itself with this job's secret and communicator nonce as a rank
// that `wanted` accepts; anything else is dropped without disturbing the ranks that are joining.
template <class Wanted>
Bootstrap::Accepted Bootstrap::acceptWhere(Wanted wanted) {
  auto valid = [&](const PeerHello& hello, const Socket&) {
    std::string problem = checkPeerHello(hello, secret_, nonce_, nranks_);
    if (problem.empty() && !wanted(hello.rank, hello.channel)) problem = "unexpected peer or channel";
    if (!problem.empty()) BRAID_WARN("BOOTSTRAP", "rank %d dropped a connection: %s", rank_, problem.c_str());
    return problem.empty();
  };
  auto arrival = peerListener_->next(deadlineAfter(timeoutSeconds_), valid);
  return {std::move(arrival.socket), arrival.hello.rank, arrival.hello.channel};
}

Bootstrap::~Bootstrap() = default;

UniqueIdContents Bootstrap::derivedId(int host, uint64_t sequence) const {
  UniqueIdContents id;
  id.root = peers_.at(host).spareRoot;
  id.secret = mix({secret_, nonce_, sequence});
  id.rootListening = true;
  return id;
}

void Bootstrap::hostDerivedRoot(uint64_t sequence) {
  // The root gets a duplicate: the spare listener stays open for the next derived communicator, and connections
  // that arrive before the root runs wait in its backlog.
  const int fd = ::fcntl(spareRootListener_.fd(), F_DUPFD_CLOEXEC, 0);
  if (fd < 0) fail(ncclSystemError, std::string("duplicating the spare root listener: ") + std::strerror(errno));
  startRootOn(Socket(fd), derivedId(rank_, sequence).secret, timeoutSeconds_);
}

std::vector<Bootstrap::Accepted> Bootstrap::acceptFrom(size_t count) {
  std::vector<Accepted> result;
  while (result.size() < count) result.push_back(acceptWhere([](int, int channel) { return channel >= 0; }));
  return result;
}

void Bootstrap::serveListener(const StatusReply& report, const FailureHandler& onFailure) {
  int fd = ::accept4(listener_.fd(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (fd < 0) return;
  Socket s(fd);
  try {
    // A short deadline: this runs on the status thread, which a silent stranger must not hold up for long.
    PeerHello hello;
    s.recvAll(&hello, sizeof hello, deadlineAfter(0.2));
    if (!checkPeerHello(hello, secret_, nonce_, nranks_).empty()) return;
    if (hello.channel == kStatusChannel) {
      StatusReply reply = report;
      reply.header = makeHeader(kStatusReply, secret_);
      s.sendAll(&reply, sizeof reply, deadlineAfter(0.2));
    } else if (hello.channel == kFailureChannel) {
      FailureNotice notice;
      s.recvAll(&notice, sizeof notice, deadlineAfter(0.2));
      if (std::string problem = checkFailureNotice(notice, secret_, hello.rank); !problem.empty())
        fail(ncclSystemError, problem);
      onFailure(notice.rank, notice.reason);
    }
  } catch (const Error& e) {
    BRAID_WARN("BOOTSTRAP", "rank %d dropped a status query or failure notice: %s", rank_, e.what());
  }
}

std::vector<int> Bootstrap::unreachablePeers(double seconds) {
  std::vector<int> gone;
  for (int peer = 0; peer < nranks_; ++peer) {
    if (peer == rank_) continue;
    try {
      queryStatus(peer, seconds);
    } catch (const Error& e) {
      BRAID_INFO("BOOTSTRAP", "rank %d finds rank %d gone: %s", rank_, peer, e.what());
      gone.push_back(peer);
    }
  }
  return gone;
}

void Bootstrap::tellPeersOfFailure(const std::string& reason) {
  FailureNotice notice{};
  notice.header = makeHeader(kFailureNotice, secret_);
  notice.rank = rank_;
  std::snprintf(notice.reason, sizeof notice.reason, "%s", reason.c_str());
  for (int peer = 0; peer < nranks_; ++peer) {
    if (peer == rank_) continue;
    try {
      const Deadline deadline = deadlineAfter(0.2);
      Socket s = introduce(peer, kFailureChannel, deadline);
      s.sendAll(&notice, sizeof notice, deadline);
    } catch (const Error& e) {
      BRAID_INFO("BOOTSTRAP", "rank %d could not tell rank %d of its failure: %s", rank_, peer, e.what());
    }
  }
}

StatusReply Bootstrap::queryStatus(int peer, double seconds) {
  const Deadline deadline = deadlineAfter(seconds);
  Socket s = introduce(peer, kStatusChannel, deadline);
  StatusReply reply;
  s.recvAll(&reply, sizeof reply, deadline);
  if (std::string problem = checkStatusReply(reply, secret_, peer); !problem.empty()) fail(ncclSystemError, problem);
  return reply;
}

void Bootstrap::allGather(void* data, size_t blockBytes) {
  char* blocks = static_cast<char*>(data);
  const Deadline deadline = deadlineAfter(timeoutSeconds_);
  for (int j = 0; j < nranks_ - 1; ++j) {
    int sendBlock = (rank_ - j + nranks_) % nranks_;
    int recvBlock = (rank_ - j - 1 + nranks_) % nranks_;
    next_.sendAll(blocks + static_cast<size_t>(sendBlock) * blockBytes, blockBytes, deadline);
    awaitReadable(prev_, deadline);  // a rank that failed half-way leaves the ring waiting behind it
    prev_.recvAll(blocks + static_cast<size_t>(recvBlock) * blockBytes, blockBytes, deadline);
  }
}

void Bootstrap::barrier() {
  std::vector<char> dummy(static_cast<size_t>(nranks_));
  allGather(dummy.data(), 1);
}

}  // namespace braid
