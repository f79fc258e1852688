// Which members of a communicator are known to be gone, for the waits of its bootstrap (init, split): a rank that
// dies would otherwise keep the others waiting for the bootstrap timeout. Before a split's ranks have joined,
// the parent communicator tells who the members are; once joined, the bootstrap's own table. Only ranks on this
// host, in this pid namespace, can be judged: their pid no longer names a process. A rank on another host that
// dies is noticed by its own host's members, whose failure reaches the rest through the root and the ring.
#pragma once

#include <string>
#include <vector>

#include "bootstrap/bootstrap.h"

namespace braid {

// `peers`: a communicator's table; `self`: this rank in it; `members`: the ranks (in it) to watch; `whose`: how
// messages name them after their number (" of the parent communicator", or nothing).
MembersGone watchLocalMembers(const std::vector<PeerInfo>& peers, int self, const std::vector<int>& members,
                              const std::string& whose);

}  // namespace braid
