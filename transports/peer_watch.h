// A remote peer's liveness, read from a TCP connection that carries no data: the kernel closes it when the
// peer's process exits. libfabric providers and network plugins may never report a dead peer to a receiver
// that only waits, so their connections ask this instead.
#pragma once

#include "base/socket.h"

namespace braid {

class PeerWatch {
 public:
  PeerWatch(Socket socket, int peer) : socket_(std::move(socket)), peer_(peer) {}
  // Throws ncclRemoteError once the peer's end of the connection is closed or reset.
  void check() const;

 private:
  Socket socket_;
  int peer_;
};

}  // namespace braid
