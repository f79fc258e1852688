// The transport interface: one ordered byte stream per (channel, peer, direction), moved in chunks.
//
// Both ends of a stream issue the same sequence of messages (the schedules are symmetric), so no framing is
// needed: a stream is just bytes. Senders never block: trySend takes what fits in the bounded buffer slots.
// Receivers look at the next contiguous chunk in place (peek) and release it once used, so reductions read
// straight from the transport's buffer.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <vector>

namespace braid {

struct Chunk {
  const char* data = nullptr;
  size_t size = 0;
};

class SendConnection {
 public:
  virtual ~SendConnection() = default;
  // Copies up to `bytes` into the stream; returns how many were taken (0 when the buffer is full).
  virtual size_t trySend(const void* data, size_t bytes) = 0;
  // `prefixBytes` of `prefix`, then up to `bytes` of `data`, as if one trySend of both (one slot of a FIFO);
  // returns how many bytes of the two it took. This default stages them; transports with slots copy straight in.
  virtual size_t trySendAfter(const void* prefix, size_t prefixBytes, const void* data, size_t bytes) {
    staged_.resize(prefixBytes + bytes);
    std::memcpy(staged_.data(), prefix, prefixBytes);
    std::memcpy(staged_.data() + prefixBytes, data, bytes);
    return trySend(staged_.data(), staged_.size());
  }
  // Throws ncclRemoteError when the peer is known to be gone.
  virtual void checkPeer() = 0;
  // Pushes along sends already taken; true once none of them still needs this process. Message networks
  // (libfabric, plugins) may progress only when asked, so a finished schedule waits for this.
  virtual bool flush() { return true; }
  // Host memory this end of the connection holds (rings, slots, staging), for ncclCommMemStats.
  virtual size_t heldBytes() const = 0;

 private:
  std::vector<char> staged_;
};

class RecvConnection {
 public:
  virtual ~RecvConnection() = default;
  // The next bytes of the stream that have arrived (size 0 when none).
  virtual Chunk peek() = 0;
  // Marks the first `bytes` of the last peeked chunk as consumed.
  virtual void release(size_t bytes) = 0;
  virtual void checkPeer() = 0;
  // Host memory this end of the connection holds (rings, slots, staging), for ncclCommMemStats.
  virtual size_t heldBytes() const = 0;
};

// The connections of one channel of a communicator, indexed by peer rank (null for self). Shared pointers
// because one socket serves both directions.
struct ChannelConnections {
  std::vector<std::shared_ptr<SendConnection>> send;
  std::vector<std::shared_ptr<RecvConnection>> recv;
};

// A communicator's channels: collectives and point-to-point traffic never share a stream, so a group can mix
// them in any order on different ranks without deadlock.
enum class Channel : int { Collective = 0, PointToPoint = 1 };
constexpr int kChannelCount = 2;

}  // namespace braid
