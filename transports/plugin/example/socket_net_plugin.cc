// An example network plugin over TCP: what a vendor plugin implements, small enough to read in one sitting, and
// the plugin Braid's tests load (BRAID_NET_PLUGIN=braid-example). This file is the plugin in ncclNet_v8's terms;
// net_tables.cc exports it as every ABI version Braid loads. It reuses Braid's
// socket helpers (addresses, interface choice, connect with a deadline).
//
// Every comm is one TCP connection. A message travels as a 4-byte length and its bytes; the requests of a comm
// complete in the order they were posted, and a comm makes progress whenever the plugin is called for it. A
// connection starts with the listener's random token from the handle, so a stranger's connection is refused.
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <deque>
#include <random>

#include "base/error.h"
#include "base/socket.h"
#include "socket_net_plugin.h"

namespace {

using braid::Socket;
using braid::SocketAddress;

ncclDebugLogger_t logger = nullptr;

#define PLUGIN_WARN(...)                                                                                               \
  do {                                                                                                                 \
    if (logger) logger(NCCL_LOG_WARN, 0, __FILE__, __LINE__, __VA_ARGS__);                                             \
  } while (0)

struct Handle {
  SocketAddress address;
  uint64_t token;
};
static_assert(sizeof(Handle) <= NCCL_NET_HANDLE_MAXSIZE);

struct ListenComm {
  Socket socket;
  uint64_t token;
};

struct Comm;

struct Request {
  Comm* comm = nullptr;
  bool used = false;
  bool finished = false;
  char* data = nullptr;
  uint32_t capacity = 0;  // receives: the buffer's size
  uint32_t size = 0;      // the message's size
  size_t done = 0;        // bytes moved so far, the 4-byte length included
};

struct Comm {
  Comm(Socket s, bool isSending) : socket(std::move(s)), sending(isSending) {}
  Socket socket;
  bool sending;
  bool failed = false;
  std::deque<Request*> queue;  // posted and unfinished, oldest first
  std::array<Request, NCCL_NET_MAX_REQUESTS> requests;
};

// Moves as many bytes of the oldest requests as the socket takes now.
void progress(Comm& comm) {
  while (!comm.queue.empty() && !comm.failed) {
    Request& r = *comm.queue.front();
    ssize_t n;
    if (comm.sending) {
      iovec parts[2];
      int count = 0;
      if (r.done < 4) parts[count++] = {reinterpret_cast<char*>(&r.size) + r.done, 4 - r.done};
      const size_t dataDone = r.done < 4 ? 0 : r.done - 4;
      parts[count++] = {r.data + dataDone, r.size - dataDone};
      msghdr message{};
      message.msg_iov = parts;
      message.msg_iovlen = count;
      n = ::sendmsg(comm.socket.fd(), &message, MSG_DONTWAIT | MSG_NOSIGNAL);
    } else if (r.done < 4) {
      n = ::recv(comm.socket.fd(), reinterpret_cast<char*>(&r.size) + r.done, 4 - r.done, MSG_DONTWAIT);
    } else {
      n = ::recv(comm.socket.fd(), r.data + (r.done - 4), r.size - (r.done - 4), MSG_DONTWAIT);
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
    if (n <= 0) {
      // Only an error if the caller still waits for this request: test() and the next post report it.
      if (logger)
        logger(NCCL_LOG_INFO, 0, __FILE__, __LINE__, "braid-example: connection ended (%s)",
               n == 0 ? "closed by peer" : std::strerror(errno));
      comm.failed = true;
      return;
    }
    r.done += static_cast<size_t>(n);
    if (!comm.sending && r.done == 4 && r.size > r.capacity) {
      PLUGIN_WARN("braid-example: a %u-byte message for a %u-byte receive", r.size, r.capacity);
      comm.failed = true;
      return;
    }
    if (r.done < 4 || r.done < 4 + size_t{r.size}) continue;
    r.finished = true;
    comm.queue.pop_front();
  }
}

Request* post(Comm& comm, void* data, uint32_t size) {
  if (comm.queue.size() == comm.requests.size()) return nullptr;
  for (Request& r : comm.requests) {
    if (r.used) continue;
    r = Request{&comm, true, false, static_cast<char*>(data), size, comm.sending ? size : 0, 0};
    comm.queue.push_back(&r);
    progress(comm);
    return &r;
  }
  return nullptr;
}

// Braid's helpers throw; nothing may cross the C ABI but a result code.
template <class Body>
ncclResult_t guarded(Body body) {
  try {
    return body();
  } catch (const braid::Error& e) {
    PLUGIN_WARN("braid-example: %s", e.what());
    return e.code() == ncclRemoteError ? ncclRemoteError : ncclSystemError;
  } catch (const std::exception& e) {
    PLUGIN_WARN("braid-example: %s", e.what());
    return ncclInternalError;
  }
}

}  // namespace

namespace example {

ncclResult_t init(ncclDebugLogger_t logFunction) {
  logger = logFunction;
  return ncclSuccess;
}

ncclResult_t devices(int* count) {
  *count = 1;
  return ncclSuccess;
}

ncclResult_t getProperties(int, ncclNetProperties_v8_t* props) {
  static char name[] = "braid-example";
  *props = ncclNetProperties_v8_t{};
  props->name = name;
  props->ptrSupport = NCCL_PTR_HOST;
  props->speed = 10000;
  props->latency = 0;
  props->maxComms = 65536;
  props->maxRecvs = 1;
  props->netDeviceType = NCCL_NET_DEVICE_HOST;
  return ncclSuccess;
}

ncclResult_t listen(int, void* handle, void** listenComm) {
  return guarded([&] {
    Handle h;
    h.address = braid::localInterfaceAddress();
    auto* comm = new ListenComm{Socket::listenOn(h.address), std::mt19937_64(std::random_device{}())()};
    comm->socket.setNonBlocking();
    h.token = comm->token;
    std::memcpy(handle, &h, sizeof h);
    *listenComm = comm;
    return ncclSuccess;
  });
}

// The listener's backlog completes the TCP handshake, so this returns quickly even before the peer accepts.
ncclResult_t connect(int, void* handle, void** sendComm, ncclNetDeviceHandle_v8_t**) {
  return guarded([&] {
    Handle h;
    std::memcpy(&h, handle, sizeof h);
    auto* comm = new Comm(Socket::connectTo(h.address, braid::deadlineAfter(30)), true);
    try {
      comm->socket.sendAll(&h.token, sizeof h.token, braid::deadlineAfter(30));
    } catch (...) {
      delete comm;
      throw;
    }
    comm->socket.setNonBlocking();
    *sendComm = comm;
    return ncclSuccess;
  });
}

ncclResult_t accept(void* listenComm, void** recvComm, ncclNetDeviceHandle_v8_t**) {
  return guarded([&] {
    auto& listener = *static_cast<ListenComm*>(listenComm);
    *recvComm = nullptr;
    int fd = ::accept4(listener.socket.fd(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return ncclSuccess;  // not yet: called again
    Socket s(fd);
    uint64_t token = 0;
    try {
      s.recvAll(&token, sizeof token, braid::deadlineAfter(5));
    } catch (const braid::Error&) {
    }
    if (token != listener.token) {
      PLUGIN_WARN("braid-example: dropped a connection without this listener's token");
      return ncclSuccess;
    }
    s.setNonBlocking();
    *recvComm = new Comm(std::move(s), false);
    return ncclSuccess;
  });
}

// Host memory needs no registration on TCP; the handle only has to be non-null.
ncclResult_t regMr(void* comm, void*, size_t, int type, void** mhandle) {
  if (type != NCCL_PTR_HOST) return ncclInternalError;
  *mhandle = comm;
  return ncclSuccess;
}

ncclResult_t regMrDmaBuf(void*, void*, size_t, int, uint64_t, int, void**) { return ncclInternalError; }
ncclResult_t deregMr(void*, void*) { return ncclSuccess; }

ncclResult_t isend(void* sendComm, void* data, int size, int, void*, void** request) {
  auto& comm = *static_cast<Comm*>(sendComm);
  if (comm.failed) return ncclRemoteError;
  *request = post(comm, data, static_cast<uint32_t>(size));
  return ncclSuccess;
}

ncclResult_t irecv(void* recvComm, int n, void** data, int* sizes, int*, void**, void** request) {
  auto& comm = *static_cast<Comm*>(recvComm);
  if (n != 1) return ncclInternalError;  // maxRecvs is 1
  if (comm.failed) return ncclRemoteError;
  *request = post(comm, data[0], static_cast<uint32_t>(sizes[0]));
  return ncclSuccess;
}

ncclResult_t iflush(void*, int, void**, int*, void**, void** request) {
  *request = nullptr;  // host memory: nothing to flush
  return ncclSuccess;
}

ncclResult_t test(void* request, int* done, int* sizes) {
  auto& r = *static_cast<Request*>(request);
  Comm& comm = *r.comm;
  if (!r.finished) progress(comm);
  *done = r.finished;
  if (!r.finished) return comm.failed ? ncclRemoteError : ncclSuccess;
  if (sizes) *sizes = static_cast<int>(r.size);
  r.used = false;
  return ncclSuccess;
}

ncclResult_t closeComm(void* comm) {
  delete static_cast<Comm*>(comm);
  return ncclSuccess;
}

ncclResult_t closeListen(void* listenComm) {
  delete static_cast<ListenComm*>(listenComm);
  return ncclSuccess;
}

ncclResult_t getDeviceMr(void*, void*, void**) { return ncclInternalError; }
ncclResult_t irecvConsumed(void*, int, void*) { return ncclSuccess; }

}  // namespace example
