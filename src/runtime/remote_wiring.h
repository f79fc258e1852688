// How a communicator reaches ranks on other hosts: its own TCP sockets, a libfabric endpoint, or an NCCL-style
// network plugin. BRAID_NET picks one (socket, ofi, plugin or the plugin's name; a plugin asked for this way must
// load). By default a plugin named by BRAID_NET_PLUGIN wins when it loads (else a warning names it), then
// libfabric when it offers an RDMA-class provider, then sockets. All ranks must agree, so the choice is compared
// across ranks and falls back to sockets when they differ.
#pragma once

#include <vector>

struct ncclComm;

namespace braid {

void connectRemotePeers(ncclComm* comm, const std::vector<int>& remotePeers);

}  // namespace braid
