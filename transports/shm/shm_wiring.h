// How ranks of one host connect: a shared-memory FIFO per (channel, peer, direction), and, when every rank of
// the communicator shares the host, the LL mailboxes (ll_mailbox.h). Each rank creates the FIFOs it receives on;
// once all exist (a barrier), senders map them; then the names go away, also when wiring fails half-way, so
// that nothing is left in /dev/shm.
#pragma once

#include <memory>
#include <vector>

#include "bootstrap/bootstrap.h"
#include "transports/shm/ll_mailbox.h"
#include "transports/transport.h"

namespace braid {

// Connects `channels` (channel c's FIFOs are numbered c) to `localPeers`; returns this rank's mailbox, with its
// peers' mapped, when `mailboxes`. Every rank of the communicator takes part (the barriers must match), also a
// rank alone on its host.
std::unique_ptr<LlMailbox> connectSharedMemory(Bootstrap& bootstrap, const std::vector<int>& localPeers,
                                               const std::vector<ChannelConnections*>& channels, bool mailboxes);

}  // namespace braid
