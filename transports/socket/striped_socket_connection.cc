#include "transports/socket/striped_socket_connection.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/error.h"

namespace braid {

namespace {
constexpr size_t kMirrorBytes = 8;  // the widest element: enough to read one across the ring's wrap
}

// One socket and where it is in its stripes (k = index, index + N, ...), for each direction.
struct StripedSocketConnection::Lane {
  Socket socket;
  uint64_t sendOffset, recvOffset;         // stream offsets, touched by the lane's helper only
  std::atomic<uint64_t> sentPosition;      // everything of this lane's stripes below it is sent
  std::atomic<uint64_t> receivedPosition;  // ... and received
  bool ended = false;                      // the peer closed this socket (helper only)
};

struct StripedSocketConnection::Helper {
  std::vector<Lane*> lanes;
  int wakeFd = -1;
  std::atomic<bool> sleeping{false};
  std::thread thread;
};

StripedSocketConnection::StripedSocketConnection(std::vector<Socket> sockets, int threads, int peer, size_t ringBytes)
    : peer_(peer),
      ringBytes_(std::max(ringBytes, 2 * kStripeBytes) / 8 * 8),
      sendRing_(new char[ringBytes_]),
      recvRing_(new char[ringBytes_ + kMirrorBytes]) {
  const uint64_t lanes = sockets.size();
  for (uint64_t j = 0; j < lanes; ++j) {
    sockets[j].setNonBlocking();
    const uint64_t start = j * kStripeBytes;
    lanes_.push_back(std::unique_ptr<Lane>(new Lane{std::move(sockets[j]), start, start, {start}, {start}}));
  }
  for (int t = 0; t < threads; ++t) {
    auto helper = std::make_unique<Helper>();
    for (uint64_t j = t; j < lanes; j += threads) helper->lanes.push_back(lanes_[j].get());
    helper->wakeFd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    helpers_.push_back(std::move(helper));
    if (helpers_.back()->wakeFd < 0) {
      const int error = errno;
      for (auto& h : helpers_)
        if (h->wakeFd >= 0) ::close(h->wakeFd);
      helpers_.clear();
      errno = error;
      failErrno("eventfd");
    }
  }
  for (auto& helper : helpers_) helper->thread = std::thread([this, h = helper.get()] { serve(*h); });
}

StripedSocketConnection::~StripedSocketConnection() {
  stop_ = true;
  wakeSleepers();
  for (auto& helper : helpers_) {
    if (helper->thread.joinable()) helper->thread.join();
    if (helper->wakeFd >= 0) ::close(helper->wakeFd);
  }
  helpers_.clear();
}

uint64_t StripedSocketConnection::sentPrefix() const {
  uint64_t prefix = UINT64_MAX;
  for (const auto& lane : lanes_) prefix = std::min(prefix, lane->sentPosition.load(std::memory_order_acquire));
  return prefix;
}

uint64_t StripedSocketConnection::receivedPrefix() const {
  uint64_t prefix = UINT64_MAX;
  for (const auto& lane : lanes_) prefix = std::min(prefix, lane->receivedPosition.load(std::memory_order_acquire));
  return prefix;
}

void StripedSocketConnection::failWith(const std::string& why) {
  std::lock_guard<std::mutex> lock(errorMutex_);
  if (error_.empty()) error_ = why;
  failed_ = true;
}

// Helpers poll with the sleeping flag set; the executor rings only those (the flag and the published counters
// are sequentially consistent, so a helper either sees the new work or is rung).
void StripedSocketConnection::wakeSleepers() {
  for (auto& helper : helpers_)
    if (helper->sleeping.load()) {
      uint64_t one = 1;
      [[maybe_unused]] ssize_t n = ::write(helper->wakeFd, &one, sizeof one);
    }
}

size_t StripedSocketConnection::trySend(const void* data, size_t bytes) {
  if (failed_) checkPeer();
  const uint64_t head = sendHead_.load(std::memory_order_relaxed);
  const size_t n = std::min<uint64_t>(bytes, ringBytes_ - (head - sentPrefix()));
  if (n == 0) return 0;
  const size_t at = head % ringBytes_, first = std::min(n, ringBytes_ - at);
  std::memcpy(sendRing_.get() + at, data, first);
  std::memcpy(sendRing_.get(), static_cast<const char*>(data) + first, n - first);
  sendHead_.store(head + n);
  wakeSleepers();
  return n;
}

bool StripedSocketConnection::flush() {
  if (failed_) checkPeer();
  return sentPrefix() == sendHead_.load(std::memory_order_relaxed);
}

Chunk StripedSocketConnection::peek() {
  if (failed_) checkPeer();
  const uint64_t consumed = recvConsumed_.load(std::memory_order_relaxed);
  const uint64_t available = receivedPrefix() - consumed;
  const size_t at = consumed % ringBytes_;
  // Up to kMirrorBytes past the wrap are readable in place: the helper copies the ring's first bytes there.
  const size_t contiguous = ringBytes_ - at < kMirrorBytes ? ringBytes_ + kMirrorBytes - at : ringBytes_ - at;
  return {recvRing_.get() + at, static_cast<size_t>(std::min<uint64_t>(available, contiguous))};
}

void StripedSocketConnection::release(size_t bytes) {
  recvConsumed_.store(recvConsumed_.load(std::memory_order_relaxed) + bytes);
  wakeSleepers();
}

void StripedSocketConnection::checkPeer() {
  if (failed_) {
    std::lock_guard<std::mutex> lock(errorMutex_);
    fail(ncclRemoteError, "connection to rank " + std::to_string(peer_) + " lost: " + error_);
  }
  if (closed_) fail(ncclRemoteError, "rank " + std::to_string(peer_) + " closed its connection");
}

bool StripedSocketConnection::pumpSend(Lane& lane) {
  const uint64_t lanes = lanes_.size();
  const uint64_t head = sendHead_.load();
  bool moved = false;
  for (;;) {
    const uint64_t stripeEnd = (lane.sendOffset / kStripeBytes + 1) * kStripeBytes;
    const uint64_t end = std::min(head, stripeEnd);
    if (lane.sendOffset >= end) break;
    const size_t at = lane.sendOffset % ringBytes_;
    const size_t length = std::min<uint64_t>(end - lane.sendOffset, ringBytes_ - at);
    ssize_t n = ::send(lane.socket.fd(), sendRing_.get() + at, length, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) failWith(std::strerror(errno));
      break;
    }
    lane.sendOffset += static_cast<uint64_t>(n);
    if (lane.sendOffset == stripeEnd) lane.sendOffset += (lanes - 1) * kStripeBytes;  // this lane's next stripe
    lane.sentPosition.store(lane.sendOffset);
    moved = true;
  }
  return moved;
}

bool StripedSocketConnection::pumpRecv(Lane& lane) {
  const uint64_t lanes = lanes_.size();
  bool moved = false;
  for (;;) {
    const uint64_t stripeEnd = (lane.recvOffset / kStripeBytes + 1) * kStripeBytes;
    const uint64_t end = std::min(stripeEnd, recvConsumed_.load() + ringBytes_);
    if (lane.ended || lane.recvOffset >= end) break;
    const size_t at = lane.recvOffset % ringBytes_;
    const size_t length = std::min<uint64_t>(end - lane.recvOffset, ringBytes_ - at);
    ssize_t n = ::recv(lane.socket.fd(), recvRing_.get() + at, length, MSG_DONTWAIT);
    if (n == 0) {
      lane.ended = true;
      closed_ = true;
      break;
    }
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) failWith(std::strerror(errno));
      break;
    }
    if (at < kMirrorBytes)
      std::memcpy(recvRing_.get() + ringBytes_ + at, recvRing_.get() + at,
                  std::min<size_t>(static_cast<size_t>(n), kMirrorBytes - at));
    lane.recvOffset += static_cast<uint64_t>(n);
    if (lane.recvOffset == stripeEnd) lane.recvOffset += (lanes - 1) * kStripeBytes;
    lane.receivedPosition.store(lane.recvOffset);
    moved = true;
  }
  return moved;
}

bool StripedSocketConnection::hasWork(const Lane& lane) const {
  const uint64_t stripeEnd = (lane.sendOffset / kStripeBytes + 1) * kStripeBytes;
  return lane.sendOffset < std::min(sendHead_.load(), stripeEnd);
}

void StripedSocketConnection::serve(Helper& helper) {
  std::vector<pollfd> fds(helper.lanes.size() + 1);
  while (!stop_ && !failed_) {
    bool moved = false;
    for (Lane* lane : helper.lanes) moved |= pumpSend(*lane) | pumpRecv(*lane);
    if (moved) continue;
    // Sleeping is announced before looking at the counters, so new work after this look rings the eventfd.
    helper.sleeping = true;
    for (size_t i = 0; i < helper.lanes.size(); ++i) {
      Lane& lane = *helper.lanes[i];
      const bool recvRoom = !lane.ended && lane.recvOffset < recvConsumed_.load() + ringBytes_;
      fds[i] = {lane.socket.fd(), static_cast<short>((recvRoom ? POLLIN : 0) | (hasWork(lane) ? POLLOUT : 0)), 0};
    }
    fds.back() = {helper.wakeFd, POLLIN, 0};
    if (!stop_) ::poll(fds.data(), fds.size(), 1000);
    helper.sleeping = false;
    uint64_t rings;
    [[maybe_unused]] ssize_t n = ::read(helper.wakeFd, &rings, sizeof rings);
  }
}

size_t StripedSocketConnection::heldBytes() const { return 2 * ringBytes_ + kMirrorBytes; }

}  // namespace braid
