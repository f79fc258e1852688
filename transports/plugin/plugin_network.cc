// The network plugin's row: an NCCL network plugin (BRAID_NET_PLUGIN, ncclNet_v6 to v12). A listen comm per (channel,
// peer), the handles swapped through the bootstrap, then every connect and accept retried until all are up (plugins may
// not block in either), within the bootstrap timeout.
#include <chrono>
#include <thread>

#include "base/error.h"
#include "base/log.h"
#include "transports/network.h"
#include "transports/plugin/net_plugin.h"

namespace braid {
namespace {

void connectPlugin(NetworkContext& context, const std::vector<int>& peers) {
  Bootstrap& b = context.bootstrap;
  std::shared_ptr<NetPlugin> plugin = NetPlugin::configured();
  NetAbi& net = plugin->net();
  const int device = plugin->deviceFor(b.rank());
  const int trafficClass = context.trafficClass >= 0 ? context.trafficClass : NCCL_NET_TRAFFIC_CLASS_UNDEF;
  // Declared before the comms it serves, so it is closed after them.
  std::shared_ptr<void> netContext = plugin->openContext(b.nonce(), trafficClass);
  const int nranks = b.nranks();
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
        plugin->check(net.listen(netContext.get(), device, handleAt(b.rank(), c, peer), &pending.back().listen),
                      "listen");
      }
    b.allGather(handles.data(), blockBytes);
    const Deadline deadline = deadlineAfter(b.timeoutSeconds());
    for (size_t connected = 0; connected < pending.size();) {
      connected = 0;
      for (Pending& p : pending) {
        if (!p.send)
          plugin->check(
              net.connect(netContext.get(), device, trafficClass, handleAt(p.peer, p.channel, b.rank()), &p.send),
              "connect");
        if (!p.recv) plugin->check(net.accept(p.listen, &p.recv), "accept");
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
  auto watches = peerWatches(b, peers);
  for (Pending& p : pending) {
    net.closeListen(p.listen);
    installMessagePorts(context.channels[p.channel], p.peer,
                        plugin->sendPort(p.send, p.peer, netContext, watches[p.peer]),
                        plugin->recvPort(p.recv, p.peer, netContext, watches[p.peer]));
  }
  BRAID_INFO("NET", "rank %d reaches %zu peers through network plugin %s (ncclNet_v%d, device %d)", b.rank(),
             peers.size(), plugin->name(), net.version(), device);
}

}  // namespace

const Network& pluginNetwork() {
  static const Network row{
      "plugin",
      {},
      "the network plugin",
      [] { return NetPlugin::configured() != nullptr; },
      []() -> const char* { return NetPlugin::configured() ? NetPlugin::configured()->name() : nullptr; },
      [] {
        // The warning NetPlugin logged when it did not load says why.
        return NetPlugin::configured() ? std::string()
                                       : std::string(
                                             "asks for a network plugin, but none is loaded "
                                             "(BRAID_NET_PLUGIN names it)");
      },
      connectPlugin};
  return row;
}

}  // namespace braid
