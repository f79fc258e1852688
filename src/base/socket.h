// TCP helpers for the bootstrap and the socket transport: addresses, listening, connecting and whole-message
// I/O with deadlines.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace braid {

// An IPv4 or IPv6 address with port, fixed size so it can travel inside messages and the unique id.
struct SocketAddress {
  union {
    sockaddr sa;
    sockaddr_in v4;
    sockaddr_in6 v6;
  };
  SocketAddress() : v6{} {}
  socklen_t length() const { return sa.sa_family == AF_INET ? sizeof(v4) : sizeof(v6); }
  uint16_t port() const;
  std::string toString() const;
  static SocketAddress parse(const std::string& hostPort);  // "1.2.3.4:5", "[::1]:5", "host:5"
};

using Deadline = std::chrono::steady_clock::time_point;
Deadline deadlineAfter(double seconds);

// The address of this host that peers should use: BRAID_SOCKET_IFNAME's interface, else the first non-loopback
// interface that is up (docker bridges last), else loopback.
SocketAddress localInterfaceAddress();

// An owned file descriptor.
class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) : fd_(fd) {}
  Socket(Socket&& other) noexcept : fd_(other.release()) {}
  Socket& operator=(Socket&& other) noexcept;
  ~Socket();
  int fd() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release();

  static Socket listenOn(SocketAddress& address);  // port 0 picks one; `address` gets the bound port
  // Retries refused connections until the deadline when `listenerMayStart` (a root that may not be up yet);
  // otherwise a refusal fails at once: the listener was up, so its process has gone. `beforeRetry` runs before
  // each retry and may throw to give up sooner (the process that would start the listener is known gone).
  static Socket connectTo(const SocketAddress& address, Deadline deadline, bool listenerMayStart = true,
                          const std::function<void()>& beforeRetry = {});

  void sendAll(const void* data, size_t bytes, Deadline deadline) const;
  void recvAll(void* data, size_t bytes, Deadline deadline) const;
  // Whether data (or the end of the stream) can be read before `until`.
  bool readableBefore(Deadline until) const;
  void setNonBlocking() const;
  // Marks what it sends with an IP type-of-service (IPv4) or traffic-class (IPv6) byte, 0-255.
  void setTrafficClass(int trafficClass) const;
  // What the kernel marks its packets with (for tests).
  int trafficClass() const;

 private:
  int fd_ = -1;
};

}  // namespace braid
