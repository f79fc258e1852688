#include "transports/socket/socket_connection.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "base/error.h"

namespace braid {

SocketConnection::SocketConnection(Socket socket, int peer, size_t stagingBytes)
    : socket_(std::move(socket)), peer_(peer), staging_(stagingBytes) {
  socket_.setNonBlocking();
}

size_t SocketConnection::trySend(const void* data, size_t bytes) {
  ssize_t n = ::send(socket_.fd(), data, bytes, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n >= 0) return static_cast<size_t>(n);
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return 0;
  fail(ncclRemoteError, "connection to rank " + std::to_string(peer_) + " lost while sending: " + std::strerror(errno));
}

Chunk SocketConnection::peek() {
  if (tail_ == staging_.size() && head_ > 0) {
    // Slide the unconsumed bytes (at most a partial element) to the front to make room.
    std::memmove(staging_.data(), staging_.data() + head_, tail_ - head_);
    tail_ -= head_;
    head_ = 0;
  }
  if (tail_ < staging_.size() && !closed_) {
    ssize_t n = ::recv(socket_.fd(), staging_.data() + tail_, staging_.size() - tail_, MSG_DONTWAIT);
    if (n > 0) tail_ += static_cast<size_t>(n);
    else if (n == 0) closed_ = true;
    else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
      fail(ncclRemoteError,
           "connection to rank " + std::to_string(peer_) + " lost while receiving: " + std::strerror(errno));
  }
  return {staging_.data() + head_, tail_ - head_};
}

void SocketConnection::release(size_t bytes) {
  head_ += bytes;
  if (head_ == tail_) head_ = tail_ = 0;
}

void SocketConnection::checkPeer() {
  if (closed_) fail(ncclRemoteError, "rank " + std::to_string(peer_) + " closed its connection");
}

}  // namespace braid
