// The socket transport for fast networks: one (peer, channel) stream spread over several TCP connections
// (BRAID_SOCKET_NTHREADS helper threads x BRAID_NSOCKS_PERTHREAD sockets each), as NCCL's socket transport does,
// so that more than one core and more than one TCP flow carry it.
//
// Stripe k of the byte stream (64 KiB) travels on socket k mod N, in both directions. The executor only copies
// into a send ring and reads a receive ring in place; helper threads move the bytes and publish, per socket, how
// far they got. Everything below the smallest of those positions is sent (or received, contiguously). Helpers
// that have nothing to do sleep in poll() on their sockets and an eventfd that the executor rings.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/socket.h"
#include "transports/transport.h"

namespace braid {

class StripedSocketConnection : public SendConnection, public RecvConnection {
 public:
  // `sockets[j]` must be the same TCP connection as the peer's sockets[j]; `threads` divides sockets.size().
  StripedSocketConnection(std::vector<Socket> sockets, int threads, int peer, size_t ringBytes);
  ~StripedSocketConnection() override;

  size_t trySend(const void* data, size_t bytes) override;
  bool flush() override;
  Chunk peek() override;
  void release(size_t bytes) override;
  void checkPeer() override;
  size_t heldBytes() const override;  // the send ring and the receive ring

  static constexpr size_t kStripeBytes = 64 << 10;

 private:
  struct Lane;
  struct Helper;
  void serve(Helper& helper);
  bool pumpSend(Lane& lane);
  bool pumpRecv(Lane& lane);
  bool hasWork(const Lane& lane) const;
  void wakeSleepers();
  void failWith(const std::string& why);
  uint64_t sentPrefix() const;
  uint64_t receivedPrefix() const;

  int peer_;
  size_t ringBytes_;
  std::unique_ptr<char[]> sendRing_;
  std::unique_ptr<char[]> recvRing_;       // ringBytes_ + 8: the first bytes are mirrored past the end (see pumpRecv)
  std::atomic<uint64_t> sendHead_{0};      // bytes the executor has put into the send ring
  std::atomic<uint64_t> recvConsumed_{0};  // bytes the executor has released from the receive ring
  std::vector<std::unique_ptr<Lane>> lanes_;
  std::vector<std::unique_ptr<Helper>> helpers_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> failed_{false};
  std::atomic<bool> closed_{false};  // the peer closed a socket: it may have exited after its last send
  std::mutex errorMutex_;
  std::string error_;
};

}  // namespace braid
