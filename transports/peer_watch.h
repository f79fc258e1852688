// A remote peer's liveness, read from a TCP connection that carries no data: the kernel closes it when the
// peer's process exits. libfabric providers and network plugins may never report a dead peer to a receiver
// that only waits, so their connections ask this instead.
#pragma once

#include <memory>
#include <vector>

#include "base/socket.h"
#include "bootstrap/bootstrap.h"

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

// A watch on each of `peers` (on other hosts), indexed by rank, over connections from the bootstrap.
std::vector<std::shared_ptr<const PeerWatch>> peerWatches(Bootstrap& bootstrap, const std::vector<int>& peers);

}  // namespace braid
