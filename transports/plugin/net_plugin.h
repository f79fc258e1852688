// NCCL-style network plugins: the shared library BRAID_NET_PLUGIN names (alias NCCL_NET_PLUGIN; "foo" means
// libnccl-net-foo.so, anything with ".so" is a file name or path), loaded once per process through its
// ncclNetPlugin_v8 symbol, and MessagePorts over the plugin's send and receive comms.
#pragma once

#include <memory>
#include <string>

#include "braid/net_plugin.h"
#include "transports/message_connection.h"
#include "transports/peer_watch.h"

namespace braid {

class NetPlugin : public std::enable_shared_from_this<NetPlugin> {
 public:
  // The configured plugin, initialized; null when none is configured, or (with a warning naming the library
  // and the reason) when it is missing, lacks the v8 symbol, or fails to initialize.
  static std::shared_ptr<NetPlugin> configured();

  const char* name() const { return net_->name; }
  ncclNet_v8_t& net() const { return *net_; }
  // Throws ncclSystemError naming the plugin and the call that returned `result`, unless it succeeded.
  void check(ncclResult_t result, const char* call) const;

  // Ports over a connected comm (the port owns it and closes it); `watch` tells whether the peer is alive.
  std::unique_ptr<MessagePort> sendPort(void* sendComm, int peer, std::shared_ptr<const PeerWatch> watch);
  std::unique_ptr<MessagePort> recvPort(void* recvComm, int peer, std::shared_ptr<const PeerWatch> watch);

  NetPlugin(void* library, ncclNet_v8_t* net) : library_(library), net_(net) {}

 private:
  void* library_;  // kept open for the process's lifetime: comms may outlive any one communicator's use
  ncclNet_v8_t* net_;
};

}  // namespace braid
