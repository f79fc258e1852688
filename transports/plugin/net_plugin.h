// NCCL-style network plugins, found as NCCL 2.30 finds them: BRAID_NET_PLUGIN (alias NCCL_NET_PLUGIN) is a comma
// list of names ("foo" means libnccl-net-foo.so) or paths, tried in order; unset, libnccl-net.so is tried
// quietly; "none" loads nothing. A library loads through the newest ABI version it exports (net_abi.h), once
// per process, if it initializes and has a device that takes host buffers. MessagePorts run over its comms.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <vector>

#include "transports/message_connection.h"
#include "transports/peer_watch.h"
#include "transports/plugin/net_abi.h"

namespace braid {

class NetPlugin : public std::enable_shared_from_this<NetPlugin> {
 public:
  // The configured plugin, initialized; null when none is configured, or (with a warning naming each library
  // and the reason) when none is found, exports an ABI version Braid loads, initializes and takes host buffers.
  static std::shared_ptr<NetPlugin> configured();

  const char* name() const { return abi_->name(); }
  NetAbi& net() const { return *abi_; }
  // The device `rank` uses: the plugin's devices that take host buffers, dealt out by rank.
  int deviceFor(int rank) const { return hostDevices_[static_cast<size_t>(rank) % hostDevices_.size()]; }
  // Throws ncclSystemError naming the plugin and the call that returned `result`, unless it succeeded.
  void check(ncclResult_t result, const char* call) const;

  // A communicator's context in the plugin (NetAbi::openContext; null before v11), closed once the last port
  // holding it is gone. Throws like check().
  std::shared_ptr<void> openContext(uint64_t communicatorId, int trafficClass);
  // Ports over a connected comm (the port owns it and closes it, then lets go of `context`); `watch` tells
  // whether the peer is alive.
  std::unique_ptr<MessagePort> sendPort(void* sendComm, int peer, std::shared_ptr<void> context,
                                        std::shared_ptr<const PeerWatch> watch);
  std::unique_ptr<MessagePort> recvPort(void* recvComm, int peer, std::shared_ptr<void> context,
                                        std::shared_ptr<const PeerWatch> watch);

  NetPlugin(void* library, std::unique_ptr<NetAbi> abi, std::vector<int> hostDevices)
      : library_(library), abi_(std::move(abi)), hostDevices_(std::move(hostDevices)) {}

 private:
  void* library_;  // kept open for the process's lifetime: comms may outlive any one communicator's use
  std::unique_ptr<NetAbi> abi_;
  std::vector<int> hostDevices_;
};

}  // namespace braid
