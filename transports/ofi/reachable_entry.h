// Which of libfabric's entries for a provider this rank's endpoint uses. IP providers (tcp, udp, sockets) list
// one entry per interface, loopback among them, and may list it first (an interface that came up a moment
// before init): an endpoint on loopback hands peers on other hosts an address that points them at themselves,
// and the first collective hangs. So the entry on the bootstrap's interface wins, else the first elsewhere.
#pragma once

#include <rdma/fabric.h>

#include <string>

#include "base/socket.h"

namespace braid {

// Of `list`'s entries of its first provider: the one whose address is on `bootstrapAddress`'s host address,
// else the first not on loopback, else the first (fabrics without IP addresses, or a bootstrap on loopback
// itself). Null, with *why, when only loopback is offered while the bootstrap is reachable from elsewhere.
const fi_info* reachableEntry(const fi_info* list, const SocketAddress& bootstrapAddress, std::string* why);

}  // namespace braid
