// The transport interface: one ordered byte stream per (channel, peer, direction), moved in chunks.
//
// Both ends of a stream issue the same sequence of messages (the schedules are symmetric), so no framing is
// needed: a stream is just bytes. Senders never block: trySend takes what fits in the bounded buffer slots.
// Receivers look at the next contiguous chunk in place (peek) and release it once used, so reductions read
// straight from the transport's buffer.
#pragma once

#include <cstddef>
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
  // Throws ncclRemoteError when the peer is known to be gone.
  virtual void checkPeer() = 0;
  // Pushes along sends already taken; true once none of them still needs this process. Message networks
  // (libfabric, plugins) may progress only when asked, so a finished schedule waits for this.
  virtual bool flush() { return true; }
};

class RecvConnection {
 public:
  virtual ~RecvConnection() = default;
  // The next bytes of the stream that have arrived (size 0 when none).
  virtual Chunk peek() = 0;
  // Marks the first `bytes` of the last peeked chunk as consumed.
  virtual void release(size_t bytes) = 0;
  virtual void checkPeer() = 0;
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
