#include "runtime/remote_wiring.h"

#include <algorithm>
#include <cstring>
#include <exception>
#include <map>
#include <string>
#include <thread>

#include "runtime/communicator.h"
#include "base/params.h"
#include "base/error.h"
#include "base/log.h"
#include "base/text.h"
#include "topology/rdma_devices.h"
#include "transports/plugin/net_plugin.h"
#include "transports/ofi/ofi_endpoint.h"
#include "transports/socket/socket_connection.h"
#include "transports/socket/striped_socket_connection.h"

namespace braid {
namespace {

std::string checkNetworkName(const std::string& name) {
  const std::string n = lowercase(name);
  if (n == "socket" || n == "ofi" || n == "libfabric" || n == "plugin" || param::find("BRAID_NET_PLUGIN")->setting())
    return "";
  return "expected socket, ofi or plugin (or the name of the plugin BRAID_NET_PLUGIN loads)";
}

const param::Text kNet{"NET", param::kNcclAlias, "name", "socket, ofi, plugin or the plugin's name", checkNetworkName,
                       "carrier-pigeon", "network between hosts (default: a plugin that loads, else libfabric with an "
                       "RDMA provider, else sockets)"};
const param::Integer kSocketThreads{"SOCKET_NTHREADS", param::kNcclAlias, 1, 1, 16,
                                    "helper threads per socket stream (NCCL's default 1)"};
const param::Integer kSocketsPerThread{"NSOCKS_PERTHREAD", param::kNcclAlias, 1, 1, 16,
                                       "sockets each helper thread drives; at most 32 sockets per stream in all"};
const param::Bytes kSocketStaging{"SOCKET_STAGING_BYTES", param::kBraidOnly, 1 << 20, 64, size_t{1} << 30, 1,
                                  "receive staging buffer per socket stream"};

enum class Network : char { Socket = 's', Ofi = 'o', Plugin = 'p' };

const char* nameOf(Network n) {
  return n == Network::Ofi ? "libfabric" : n == Network::Plugin ? "the network plugin" : "sockets";
}

// libfabric is only worth loading (see libfabric_library.h) where an RDMA device could give it a fast provider.
Network ownDefault() {
  if (topo::listRdmaPorts().empty()) return Network::Socket;
  for (const std::string& provider : ofiProviders())
    if (ofiProviderIsFast(provider)) return Network::Ofi;
  return Network::Socket;
}

Network wantedNetwork() {
  auto requested = kNet.get();
  if (!requested) return NetPlugin::configured() ? Network::Plugin : ownDefault();
  const std::string name = lowercase(*requested);
  if (name == "socket") return Network::Socket;
  if (name == "ofi" || name == "libfabric") return Network::Ofi;
  auto plugin = NetPlugin::configured();
  if (name == "plugin" || (plugin && name == lowercase(plugin->name()))) {
    if (plugin) return Network::Plugin;
    // Asked for by name, so no quiet fallback (the warning above says why the plugin did not load).
    fail(ncclInvalidUsage, "BRAID_NET=" + *requested + " asks for a network plugin, but none is loaded" +
                               " (BRAID_NET_PLUGIN names it)");
  }
  fail(ncclInvalidUsage, "BRAID_NET=" + *requested + " is not a network: use socket, ofi or plugin");
}

// Every rank proposes; a split vote falls back to sockets, which every host has. A rank whose setting is
// invalid still votes ('?') before it fails, so that the others fail at once too instead of waiting for it.
Network agreedNetwork(ncclComm* comm) {
  std::vector<char> votes(comm->nranks);
  std::exception_ptr invalid;
  try {
    votes[comm->rank] = static_cast<char>(wantedNetwork());
  } catch (const Error&) {
    invalid = std::current_exception();
    votes[comm->rank] = '?';
  }
  comm->bootstrap->allGather(votes.data(), 1);
  if (invalid) std::rethrow_exception(invalid);
  for (int r = 0; r < comm->nranks; ++r)
    if (votes[r] == '?') fail(ncclInvalidUsage, "rank " + std::to_string(r) + " has an invalid BRAID_NET setting");
  if (std::all_of(votes.begin(), votes.end(), [&](char v) { return v == votes[0]; }))
    return static_cast<Network>(votes[0]);
  BRAID_WARN("NET", "ranks asked for different networks (BRAID_NET, libfabric providers): using sockets");
  return Network::Socket;
}

// Sockets per (peer, channel) and the helper threads that drive them: BRAID_SOCKET_NTHREADS x
// BRAID_NSOCKS_PERTHREAD (NCCL's names and defaults of 1). Both ends must open the same number.
struct SocketLayout {
  int threads, sockets;
};

// Gathered before they are judged, so a bad value on one rank fails init on every rank at once.
SocketLayout agreedSocketLayout(ncclComm* comm) {
  const long long threads = kSocketThreads.get(), perThread = kSocketsPerThread.get();
  std::vector<int32_t> layouts(2 * comm->nranks);
  layouts[2 * comm->rank] = static_cast<int32_t>(threads);
  layouts[2 * comm->rank + 1] = static_cast<int32_t>(perThread);
  comm->bootstrap->allGather(layouts.data(), 2 * sizeof(int32_t));
  if (threads * perThread > 32)
    fail(ncclInvalidArgument, "BRAID_SOCKET_NTHREADS=" + std::to_string(threads) + " x BRAID_NSOCKS_PERTHREAD=" +
                                  std::to_string(perThread) + ": at most 32 sockets per peer stream");
  for (int r = 0; r < comm->nranks; ++r)
    if (layouts[2 * r] != threads || layouts[2 * r + 1] != perThread)
      fail(ncclInvalidUsage, "ranks disagree on BRAID_SOCKET_NTHREADS/BRAID_NSOCKS_PERTHREAD (rank " +
                                 std::to_string(r) + " has " + std::to_string(layouts[2 * r]) + " x " +
                                 std::to_string(layouts[2 * r + 1]) + ")");
  return {static_cast<int>(threads), static_cast<int>(threads * perThread)};
}

// One authenticated TCP connection per (peer, channel) from the bootstrap: lower ranks connect to higher ones.
std::map<std::pair<int, int>, Socket> bootstrapConnections(ncclComm* comm, const std::vector<int>& peers,
                                                           int channels) {
  Bootstrap& b = *comm->bootstrap;
  std::map<std::pair<int, int>, Socket> sockets;
  size_t incoming = 0;
  for (int peer : peers) {
    if (peer > comm->rank) {
      for (int c = 0; c < channels; ++c) sockets[{peer, c}] = b.connectTo(peer, c);
    } else {
      incoming += channels;
    }
  }
  for (Bootstrap::Accepted& a : b.acceptFrom(incoming)) {
    if (a.channel >= channels || sockets.count({a.peer, a.channel}))
      fail(ncclSystemError, "rank " + std::to_string(a.peer) + " opened an unexpected connection");
    sockets[{a.peer, a.channel}] = std::move(a.socket);
  }
  return sockets;
}

void connectSockets(ncclComm* comm, const std::vector<int>& peers) {
  const size_t staging = kSocketStaging.get();
  const SocketLayout layout = agreedSocketLayout(comm);
  // Connection number channel * sockets + j is socket j of that channel's stream, on both ends.
  auto sockets = bootstrapConnections(comm, peers, kChannelCount * layout.sockets);
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
      comm->channels[c].send[peer] = send;
      comm->channels[c].recv[peer] = recv;
    }
  if (layout.sockets > 1)
    BRAID_INFO("NET", "rank %d: %d sockets and %d helper threads per peer and channel", comm->rank, layout.sockets,
               layout.threads);
}

// Liveness watches for networks that may not notice a dead peer, indexed by rank.
std::vector<std::shared_ptr<const PeerWatch>> peerWatches(ncclComm* comm, const std::vector<int>& peers) {
  std::vector<std::shared_ptr<const PeerWatch>> watches(comm->nranks);
  for (auto& [key, socket] : bootstrapConnections(comm, peers, 1))
    watches[key.first] = std::make_shared<const PeerWatch>(std::move(socket), key.first);
  return watches;
}

void install(ncclComm* comm, int channel, int peer, std::unique_ptr<MessagePort> send,
             std::unique_ptr<MessagePort> recv) {
  comm->channels[channel].send[peer] = std::make_shared<MessageSendConnection>(std::move(send));
  comm->channels[channel].recv[peer] = std::make_shared<MessageRecvConnection>(std::move(recv));
}

// Endpoint names swapped through the bootstrap, then a port pair per stream.
void connectOfi(ncclComm* comm, const std::vector<int>& peers) {
  auto endpoint = std::make_shared<OfiEndpoint>(comm->rank, comm->nranks);
  constexpr size_t kNameBytes = 256;
  std::vector<char> names(kNameBytes * comm->nranks);
  std::vector<char> mine = endpoint->address();
  if (mine.size() >= kNameBytes) fail(ncclSystemError, "libfabric endpoint name is too long");
  names[kNameBytes * comm->rank] = static_cast<char>(mine.size());
  std::memcpy(&names[kNameBytes * comm->rank + 1], mine.data(), mine.size());
  comm->bootstrap->allGather(names.data(), kNameBytes);
  std::vector<std::vector<char>> table(comm->nranks);
  for (int peer : peers) {
    const char* block = &names[kNameBytes * peer];
    table[peer].assign(block + 1, block + 1 + static_cast<unsigned char>(block[0]));
  }
  endpoint->addPeers(table);
  auto watches = peerWatches(comm, peers);
  for (int peer : peers)
    for (int c = 0; c < kChannelCount; ++c)
      install(comm, c, peer, endpoint->sendPort(c, peer, watches[peer]), endpoint->recvPort(c, peer, watches[peer]));
  BRAID_INFO("NET", "rank %d reaches %zu peers over libfabric (%s)", comm->rank, peers.size(),
             endpoint->provider().c_str());
}

// A listen comm per (channel, peer); the handles are swapped through the bootstrap; then every connect and
// accept is retried until all are up (plugins may not block in either), within the bootstrap timeout.
void connectPlugin(ncclComm* comm, const std::vector<int>& peers) {
  std::shared_ptr<NetPlugin> plugin = NetPlugin::configured();
  ncclNet_v8_t& net = plugin->net();
  const int nranks = comm->nranks;
  const size_t blockBytes = static_cast<size_t>(kChannelCount) * nranks * NCCL_NET_HANDLE_MAXSIZE;
  std::vector<char> handles(blockBytes * nranks);
  auto handleAt = [&](int owner, int channel, int peer) {
    return &handles[blockBytes * owner + (static_cast<size_t>(channel) * nranks + peer) * NCCL_NET_HANDLE_MAXSIZE];
  };
  struct Pending {
    int channel, peer;
    void* listen = nullptr;
    void* send = nullptr;
    void* recv = nullptr;
  };
  std::vector<Pending> pending;
  auto closeAll = [&] {
    for (Pending& p : pending) {
      if (p.listen) net.closeListen(p.listen);
      if (p.send) net.closeSend(p.send);
      if (p.recv) net.closeRecv(p.recv);
    }
  };
  try {
    for (int c = 0; c < kChannelCount; ++c)
      for (int peer : peers) {
        pending.push_back({c, peer});
        plugin->check(net.listen(0, handleAt(comm->rank, c, peer), &pending.back().listen), "listen");
      }
    comm->bootstrap->allGather(handles.data(), blockBytes);
    const Deadline deadline = deadlineAfter(comm->bootstrap->timeoutSeconds());
    for (size_t connected = 0; connected < pending.size();) {
      connected = 0;
      for (Pending& p : pending) {
        ncclNetDeviceHandle_v8_t* device = nullptr;
        if (!p.send) plugin->check(net.connect(0, handleAt(p.peer, p.channel, comm->rank), &p.send, &device), "connect");
        if (!p.recv) plugin->check(net.accept(p.listen, &p.recv, &device), "accept");
        connected += p.send && p.recv;
      }
      if (connected < pending.size() && std::chrono::steady_clock::now() > deadline)
        fail(ncclRemoteError, std::string("network plugin ") + plugin->name() + ": connections to " +
                                  std::to_string(pending.size() - connected) + " peer streams not up in time");
      if (connected < pending.size()) std::this_thread::yield();
    }
  } catch (...) {
    closeAll();
    throw;
  }
  auto watches = peerWatches(comm, peers);
  for (Pending& p : pending) {
    net.closeListen(p.listen);
    install(comm, p.channel, p.peer, plugin->sendPort(p.send, p.peer, watches[p.peer]),
            plugin->recvPort(p.recv, p.peer, watches[p.peer]));
  }
  BRAID_INFO("NET", "rank %d reaches %zu peers through network plugin %s", comm->rank, peers.size(), plugin->name());
}

}  // namespace

void connectRemotePeers(ncclComm* comm, const std::vector<int>& remotePeers) {
  if (remotePeers.empty()) return;  // then no rank has any: all share one host
  const Network network = agreedNetwork(comm);
  BRAID_INFO("NET", "rank %d: %zu peers on other hosts, over %s", comm->rank, remotePeers.size(), nameOf(network));
  if (network == Network::Ofi)
    connectOfi(comm, remotePeers);
  else if (network == Network::Plugin)
    connectPlugin(comm, remotePeers);
  else
    connectSockets(comm, remotePeers);
}

}  // namespace braid
