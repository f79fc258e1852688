// The socket network's row: Braid's own TCP connections, one stream per (peer, channel), over one socket or
// striped over several with helper threads (BRAID_SOCKET_NTHREADS x BRAID_NSOCKS_PERTHREAD, NCCL's names).
#include <string>

#include "base/error.h"
#include "base/log.h"
#include "base/params.h"
#include "transports/network.h"
#include "transports/socket/socket_connection.h"
#include "transports/socket/striped_socket_connection.h"

namespace braid {
namespace {

const param::Integer kSocketThreads{
    "SOCKET_NTHREADS", param::kNcclAlias, 1, 1, 16, "helper threads per socket stream (NCCL's default 1)"};
const param::Integer kSocketsPerThread{"NSOCKS_PERTHREAD",
                                       param::kNcclAlias,
                                       1,
                                       1,
                                       16,
                                       "sockets each helper thread drives; at most 32 sockets per stream in all"};
const param::Bytes kSocketStaging{"SOCKET_STAGING_BYTES",
                                  param::kBraidOnly,
                                  1 << 20,
                                  64,
                                  size_t{1} << 30,
                                  1,
                                  "receive staging buffer per socket stream"};

// Sockets per (peer, channel) and the helper threads that drive them. Both ends must open the same number:
// gathered before they are judged, so ranks that disagree fail together.
struct SocketLayout {
  int threads, sockets;
};

SocketLayout agreedSocketLayout(Bootstrap& bootstrap, int configuredThreads) {
  const long long threads =
      kSocketThreads.setting() || configuredThreads == 0 ? kSocketThreads.get() : configuredThreads;
  const long long perThread = kSocketsPerThread.get();
  std::vector<int32_t> layouts(2 * bootstrap.nranks());
  layouts[2 * bootstrap.rank()] = static_cast<int32_t>(threads);
  layouts[2 * bootstrap.rank() + 1] = static_cast<int32_t>(perThread);
  bootstrap.allGather(layouts.data(), 2 * sizeof(int32_t));
  if (threads * perThread > 32)
    fail(ncclInvalidArgument, "BRAID_SOCKET_NTHREADS (or config nChannelsPerNetPeer)=" + std::to_string(threads) +
                                  " x BRAID_NSOCKS_PERTHREAD=" + std::to_string(perThread) +
                                  ": at most 32 sockets per peer stream");
  for (int r = 0; r < bootstrap.nranks(); ++r)
    if (layouts[2 * r] != threads || layouts[2 * r + 1] != perThread)
      fail(ncclInvalidUsage,
           "ranks disagree on BRAID_SOCKET_NTHREADS (config nChannelsPerNetPeer)/BRAID_NSOCKS_PERTHREAD (rank " +
               std::to_string(r) + " has " + std::to_string(layouts[2 * r]) + " x " +
               std::to_string(layouts[2 * r + 1]) + ")");
  return {static_cast<int>(threads), static_cast<int>(threads * perThread)};
}

void connectSockets(NetworkContext& context, const std::vector<int>& peers) {
  Bootstrap& b = context.bootstrap;
  const size_t staging = kSocketStaging.get();
  const SocketLayout layout = agreedSocketLayout(b, context.socketThreads);
  // Connection number channel * sockets + j is socket j of that channel's stream, on both ends.
  auto sockets = bootstrapConnections(b, peers, kChannelCount * layout.sockets);
  if (context.trafficClass >= 0) {
    for (auto& [key, socket] : sockets) socket.setTrafficClass(context.trafficClass);
    BRAID_INFO("NET", "rank %d: sockets to other hosts carry traffic class %d (config trafficClass)", b.rank(),
               context.trafficClass);
  }
  for (int peer : peers)
    for (int c = 0; c < kChannelCount; ++c) {
      std::shared_ptr<SendConnection> send;
      std::shared_ptr<RecvConnection> recv;
      if (layout.sockets == 1) {
        auto conn = std::make_shared<SocketConnection>(std::move(sockets[{peer, c}]), peer, staging);
        send = conn, recv = conn;
      } else {
        std::vector<Socket> stream;
        for (int j = 0; j < layout.sockets; ++j) stream.push_back(std::move(sockets[{peer, c * layout.sockets + j}]));
        auto conn = std::make_shared<StripedSocketConnection>(std::move(stream), layout.threads, peer, staging);
        send = conn, recv = conn;
      }
      context.channels[c].send[peer] = send;
      context.channels[c].recv[peer] = recv;
    }
  if (layout.sockets > 1)
    BRAID_INFO("NET", "rank %d: %d sockets and %d helper threads per peer and channel", b.rank(), layout.sockets,
               layout.threads);
}

}  // namespace

const Network& socketNetwork() {
  static const Network row{"socket",
                           {"sockets", "tcp"},
                           "sockets",
                           [] { return true; },
                           []() -> const char* { return nullptr; },
                           [] { return std::string(); },
                           connectSockets};
  return row;
}

}  // namespace braid
