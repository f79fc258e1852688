// libfabric: one reliable-datagram (FI_EP_RDM) endpoint per communicator, with its fabric, domain, address
// vector and completion queue, and the MessagePorts its connections send and receive through.
//
// Messages are tagged (channel, sending rank, sequence number), so every receive matches exactly the message of
// its stream it was posted for, whatever order the provider delivers in. Slots are registered once (FI_MR_LOCAL
// providers need it) and live as long as the endpoint, which closes before they are freed: a provider never
// writes into freed memory, even when a communicator is torn down with receives still posted.
#pragma once

#include <rdma/fabric.h>
#include <rdma/fi_domain.h>

#include <deque>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "base/socket.h"
#include "transports/message_connection.h"
#include "transports/peer_watch.h"

namespace braid {

// The providers libfabric offers here for RDM endpoints, best first, honouring FI_PROVIDER ("tcp;ofi_rxm", ...).
std::vector<std::string> ofiProviders();
// Whether a provider is a real RDMA or HPC fabric (verbs, efa, psm3, cxi, ...) rather than TCP, UDP or shm.
bool ofiProviderIsFast(const std::string& name);

class OfiEndpoint : public std::enable_shared_from_this<OfiEndpoint> {
 public:
  // Throws ncclSystemError naming the libfabric call that failed, or when the provider offers only loopback
  // addresses while the bootstrap (`bootstrapAddress`: what peers on other hosts reach this rank at) does not.
  // `trafficClass`: config trafficClass (the IP type-of-service byte; -1: none), for providers that take one.
  OfiEndpoint(int rank, int nranks, const SocketAddress& bootstrapAddress, int trafficClass);
  ~OfiEndpoint();
  OfiEndpoint(const OfiEndpoint&) = delete;
  OfiEndpoint& operator=(const OfiEndpoint&) = delete;

  const std::string& provider() const { return provider_; }
  std::vector<char> address() const;  // this endpoint's name, to be given to the peers
  // Makes `names[rank]` reachable; ranks with an empty name are not (shared memory peers, this rank).
  void addPeers(const std::vector<std::vector<char>>& names);

  // Ports for both directions of the stream (channel, peer); `watch` tells whether the peer is alive.
  std::unique_ptr<MessagePort> sendPort(int channel, int peer, std::shared_ptr<const PeerWatch> watch);
  std::unique_ptr<MessagePort> recvPort(int channel, int peer, std::shared_ptr<const PeerWatch> watch);

  // What a posted operation's completion updates; the completion queue entry points at its context.
  // Standard layout with the context first, so the completion's context pointer is the operation.
  struct Operation {
    fi_context2 context;  // FI_CONTEXT providers use it as scratch while the operation is posted
    bool done = false;
    size_t bytes = 0;
    char error[128] = "";  // why it failed; empty when it did not
  };
  static_assert(std::is_standard_layout_v<Operation>);
  // Reads the completion queue once and marks the operations it reports.
  void progress();
  bool postSend(Operation& op, const void* data, size_t bytes, void* desc, int peer, uint64_t tag);
  bool postRecv(Operation& op, void* data, size_t bytes, void* desc, uint64_t tag);

  struct Slot {
    std::unique_ptr<char[]> data;
    fid_mr* mr = nullptr;
    void* desc = nullptr;
    bool sending = false;
    Operation op;
  };
  Slot& newSlot(size_t bytes, bool sending);

 private:
  void close();
  int rank_, nranks_;
  std::string provider_;
  fi_info* info_ = nullptr;
  fid_fabric* fabric_ = nullptr;
  fid_domain* domain_ = nullptr;
  fid_av* av_ = nullptr;
  fid_cq* cq_ = nullptr;
  fid_ep* ep_ = nullptr;
  std::vector<fi_addr_t> addresses_;
  std::deque<Slot> slots_;  // stable addresses: posted operations point into them
};

}  // namespace braid
