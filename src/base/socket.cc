#include "base/socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

#include "base/error.h"
#include "base/params.h"
#include "base/text.h"

namespace braid {

namespace {

int remainingMs(Deadline deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

// Whether fd becomes ready for `events` before `until`; `what` names the wait in errors.
bool readyBefore(int fd, short events, Deadline until, const char* what) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int rc = ::poll(&p, 1, remainingMs(until));
    if (rc >= 0) return rc > 0;
    if (errno != EINTR) failErrno(what);
  }
}

// Waits until fd is ready for `events`; throws ncclTimeout past the deadline.
void waitReady(int fd, short events, Deadline deadline, const char* what) {
  if (!readyBefore(fd, events, deadline, what)) fail(ncclTimeout, std::string("timed out while ") + what);
}

// NCCL_SOCKET_IFNAME syntax: "eth" prefix match, "=eth0" exact, "^docker" excludes; comma separated.
std::string checkInterfaceList(const std::string& spec) {
  std::string list = !spec.empty() && spec[0] == '^' ? spec.substr(1) : spec;
  if (!list.empty() && list[0] == '=') list = list.substr(1);
  const std::vector<std::string> items = split(list, ',');
  if (items.empty() || std::any_of(items.begin(), items.end(), [](const std::string& i) { return i.empty(); }))
    return "expected interface names or prefixes, comma-separated (=eth0 exact, ^docker excludes)";
  return "";
}

const param::Text kSocketIfname{"SOCKET_IFNAME",
                                param::kNcclAlias,
                                "list",
                                "interface prefixes (=exact, ^excludes)",
                                checkInterfaceList,
                                "^",
                                "interface for the bootstrap and sockets: eth, =eth0, ^docker"};

bool interfaceSelected(const char* name, const std::string& spec) {
  bool exclude = !spec.empty() && spec[0] == '^';
  std::string list = exclude ? spec.substr(1) : spec;
  bool exact = !list.empty() && list[0] == '=';
  if (exact) list = list.substr(1);
  bool matched = false;
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(',', start);
    std::string item = list.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!item.empty() && (exact ? item == name : std::strncmp(name, item.c_str(), item.size()) == 0)) matched = true;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return exclude ? !matched : matched;
}

}  // namespace

uint16_t SocketAddress::port() const { return ntohs(sa.sa_family == AF_INET ? v4.sin_port : v6.sin6_port); }

std::string SocketAddress::toString() const {
  char host[INET6_ADDRSTRLEN] = "?";
  if (sa.sa_family == AF_INET) {
    inet_ntop(AF_INET, &v4.sin_addr, host, sizeof host);
    return std::string(host) + ":" + std::to_string(port());
  }
  inet_ntop(AF_INET6, &v6.sin6_addr, host, sizeof host);
  return "[" + std::string(host) + "]:" + std::to_string(port());
}

SocketAddress SocketAddress::parse(const std::string& hostPort) {
  size_t colon = hostPort.rfind(':');
  if (colon == std::string::npos || colon + 1 == hostPort.size())
    fail(ncclInvalidArgument, "address '" + hostPort + "' is not host:port");
  std::string host = hostPort.substr(0, colon);
  std::string port = hostPort.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* result = nullptr;
  if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &result); rc != 0 || !result)
    fail(ncclInvalidArgument, "cannot resolve '" + hostPort + "': " + gai_strerror(rc));
  SocketAddress a;
  std::memcpy(&a.sa, result->ai_addr, result->ai_addrlen);
  freeaddrinfo(result);
  return a;
}

Deadline deadlineAfter(double seconds) {
  return std::chrono::steady_clock::now() +
         std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(seconds));
}

SocketAddress localInterfaceAddress() {
  auto spec = kSocketIfname.get();
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) failErrno("getifaddrs");
  SocketAddress best, fallback, loopback;
  bool haveBest = false, haveFallback = false, haveLoopback = false;
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr || !(i->ifa_flags & IFF_UP) || i->ifa_addr->sa_family != AF_INET) continue;
    SocketAddress a;
    std::memcpy(&a.v4, i->ifa_addr, sizeof(sockaddr_in));
    if (spec) {
      if (!haveBest && interfaceSelected(i->ifa_name, *spec)) best = a, haveBest = true;
    } else if (i->ifa_flags & IFF_LOOPBACK) {
      if (!haveLoopback) loopback = a, haveLoopback = true;
    } else if (std::strncmp(i->ifa_name, "docker", 6) == 0 || std::strncmp(i->ifa_name, "virbr", 5) == 0) {
      if (!haveFallback) fallback = a, haveFallback = true;
    } else if (!haveBest) {
      best = a, haveBest = true;
    }
  }
  freeifaddrs(list);
  if (haveBest) return best;
  if (spec) fail(ncclInvalidUsage, "no interface up matches BRAID_SOCKET_IFNAME=" + *spec);
  if (haveFallback) return fallback;
  if (haveLoopback) return loopback;
  return SocketAddress::parse("127.0.0.1:0");
}

Socket& Socket::operator=(Socket&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.release();
  }
  return *this;
}

Socket::~Socket() {
  if (fd_ >= 0) ::close(fd_);
}

int Socket::release() {
  int fd = fd_;
  fd_ = -1;
  return fd;
}

Socket Socket::listenOn(SocketAddress& address) {
  Socket s(::socket(address.sa.sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s.valid()) failErrno("socket");
  int one = 1;
  setsockopt(s.fd(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(s.fd(), &address.sa, address.length()) != 0) failErrno("bind to " + address.toString());
  if (::listen(s.fd(), 4096) != 0) failErrno("listen");
  socklen_t len = sizeof(address.v6);
  getsockname(s.fd(), &address.sa, &len);
  return s;
}

// Connects without blocking past the deadline: an unreachable host (no answer to SYN) would otherwise hold a
// blocking connect for the kernel's two minutes.
Socket Socket::connectTo(const SocketAddress& address, Deadline deadline, bool listenerMayStart,
                         const std::function<void()>& beforeRetry) {
  for (;;) {
    Socket s(::socket(address.sa.sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!s.valid()) failErrno("socket");
    int error = 0;
    if (::connect(s.fd(), &address.sa, address.length()) != 0) error = errno;
    if (error == EINPROGRESS) {
      pollfd p{s.fd(), POLLOUT, 0};
      int rc;
      while ((rc = ::poll(&p, 1, remainingMs(deadline))) < 0 && errno == EINTR) {
      }
      socklen_t length = sizeof error;
      if (rc == 0) error = ETIMEDOUT;
      else if (rc < 0 || getsockopt(s.fd(), SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
    }
    if (error == 0) {
      int flags = fcntl(s.fd(), F_GETFL);
      if (flags < 0 || fcntl(s.fd(), F_SETFL, flags & ~O_NONBLOCK) != 0) failErrno("fcntl");
      int one = 1;
      setsockopt(s.fd(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      return s;
    }
    // The listener may not be up yet (BRAID_COMM_ID roots start with rank 0): retry until the deadline.
    const bool retry =
        (error == ECONNREFUSED && listenerMayStart) || error == EINTR || error == EAGAIN || error == ETIMEDOUT;
    if (error == ECONNREFUSED && !listenerMayStart)
      fail(ncclRemoteError, "cannot connect to " + address.toString() + ": " + std::strerror(error) +
                                " (its process exited or closed the communicator)");
    if (!retry || remainingMs(deadline) == 0)
      fail(retry ? ncclRemoteError : ncclSystemError, "cannot connect to " + address.toString() + ": " +
                                                          std::strerror(error) +
                                                          (error == ETIMEDOUT ? " (unreachable?)" : ""));
    if (beforeRetry) beforeRetry();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void Socket::sendAll(const void* data, size_t bytes, Deadline deadline) const {
  const char* p = static_cast<const char*>(data);
  while (bytes > 0) {
    ssize_t n = ::send(fd_, p, bytes, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      p += n, bytes -= static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      waitReady(fd_, POLLOUT, deadline, "sending");
    } else {
      fail(ncclRemoteError, std::string("connection lost while sending: ") + std::strerror(errno));
    }
  }
}

void Socket::recvAll(void* data, size_t bytes, Deadline deadline) const {
  char* p = static_cast<char*>(data);
  while (bytes > 0) {
    ssize_t n = ::recv(fd_, p, bytes, MSG_DONTWAIT);
    if (n > 0) {
      p += n, bytes -= static_cast<size_t>(n);
    } else if (n == 0) {
      fail(ncclRemoteError, "connection closed by peer");
    } else if (errno == EAGAIN || errno == EINTR) {
      waitReady(fd_, POLLIN, deadline, "receiving");
    } else {
      fail(ncclRemoteError, std::string("connection lost while receiving: ") + std::strerror(errno));
    }
  }
}

bool Socket::readableBefore(Deadline until) const { return readyBefore(fd_, POLLIN, until, "poll"); }

void Socket::setNonBlocking() const {
  int flags = fcntl(fd_, F_GETFL);
  if (flags < 0 || fcntl(fd_, F_SETFL, flags | O_NONBLOCK) != 0) failErrno("fcntl O_NONBLOCK");
}

// The option follows the socket's address family; an IPv4-mapped IPv6 socket takes both.
void Socket::setTrafficClass(int trafficClass) const {
  sockaddr_storage self{};
  socklen_t length = sizeof self;
  if (getsockname(fd_, reinterpret_cast<sockaddr*>(&self), &length) != 0) failErrno("getsockname");
  const bool v6 = self.ss_family == AF_INET6;
  if (v6 && setsockopt(fd_, IPPROTO_IPV6, IPV6_TCLASS, &trafficClass, sizeof trafficClass) != 0)
    failErrno("setsockopt IPV6_TCLASS");
  if ((!v6 || IN6_IS_ADDR_V4MAPPED(&reinterpret_cast<sockaddr_in6*>(&self)->sin6_addr)) &&
      setsockopt(fd_, IPPROTO_IP, IP_TOS, &trafficClass, sizeof trafficClass) != 0)
    failErrno("setsockopt IP_TOS");
}

int Socket::trafficClass() const {
  sockaddr_storage self{};
  socklen_t length = sizeof self;
  if (getsockname(fd_, reinterpret_cast<sockaddr*>(&self), &length) != 0) failErrno("getsockname");
  int value = 0;
  socklen_t size = sizeof value;
  const bool v6 = self.ss_family == AF_INET6;
  if (getsockopt(fd_, v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_TCLASS : IP_TOS, &value, &size) != 0)
    failErrno("getsockopt");
  return value;
}

}  // namespace braid
