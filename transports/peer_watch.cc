#include "transports/peer_watch.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "base/error.h"
#include "transports/network.h"

namespace braid {

void PeerWatch::check() const {
  char byte;
  ssize_t n = ::recv(socket_.fd(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0) fail(ncclRemoteError, "rank " + std::to_string(peer_) + " exited (its connection closed)");
  if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
    fail(ncclRemoteError, "connection to rank " + std::to_string(peer_) + " lost: " + std::strerror(errno));
}

std::vector<std::shared_ptr<const PeerWatch>> peerWatches(Bootstrap& bootstrap, const std::vector<int>& peers) {
  std::vector<std::shared_ptr<const PeerWatch>> watches(bootstrap.nranks());
  for (auto& [key, socket] : bootstrapConnections(bootstrap, peers, 1))
    watches[key.first] = std::make_shared<const PeerWatch>(std::move(socket), key.first);
  return watches;
}

}  // namespace braid
