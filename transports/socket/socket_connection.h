// Socket transport: one non-blocking TCP connection per (channel, peer) carries both directions. Sends go
// straight from the caller's buffer into the kernel; receives land in a bounded staging buffer that peek()
// exposes in place.
#pragma once

#include <vector>

#include "base/socket.h"
#include "transports/transport.h"

namespace braid {

class SocketConnection : public SendConnection, public RecvConnection {
 public:
  SocketConnection(Socket socket, int peer, size_t stagingBytes);
  size_t trySend(const void* data, size_t bytes) override;
  Chunk peek() override;
  void release(size_t bytes) override;
  void checkPeer() override;
  size_t heldBytes() const override { return staging_.capacity(); }  // sends go straight from the caller's buffer

 private:
  Socket socket_;
  int peer_;
  std::vector<char> staging_;
  size_t head_ = 0;  // first unconsumed byte
  size_t tail_ = 0;  // end of received bytes
  bool closed_ = false;
};

}  // namespace braid
