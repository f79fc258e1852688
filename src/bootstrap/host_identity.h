// Which host a rank runs on. Ranks with the same identity share memory; others talk over the network.
#pragma once

#include <cstdint>
#include <string>

namespace braid {

// BRAID_HOSTID (alias NCCL_HOSTID) when set, else the host name and the kernel's boot id. Tests give ranks
// different ids to emulate several nodes on one machine.
std::string hostIdentity();
uint64_t hostIdentityHash();

}  // namespace braid
