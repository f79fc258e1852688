// Names of the shared-memory segments the ranks of one host create for each other (FIFOs, LL mailboxes), and
// the reclaiming of those a killed process left behind. A segment's name exists from its creation until every
// peer has mapped it (shm_wiring.h); a creator killed in between (SIGKILL during init or split) cannot unlink it,
// and a container's small /dev/shm fills after a few such deaths. So each name carries its creator's pid
// namespace and pid, and every init first removes the segments of processes that no longer exist.
#pragma once

#include <cstdint>
#include <string>

#include "bootstrap/bootstrap.h"

namespace braid {

// "/braid-<pid namespace>-<pid>-<nonce>-<what>": `what` tells the segments of one creator and nonce apart.
std::string segmentName(const PeerInfo& creator, uint64_t nonce, const std::string& what);

// Unlinks this user's segments in /dev/shm whose creator, in this pid namespace, has exited. Returns how many.
int reclaimSegmentsOfDeadProcesses();

}  // namespace braid
