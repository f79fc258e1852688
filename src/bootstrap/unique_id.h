// What an ncclUniqueId carries: where the bootstrap root listens and the job's secret.
#pragma once

#include <cstdint>

#include "base/socket.h"
#include "nccl.h"

namespace braid {

struct UniqueIdContents {
  SocketAddress root;
  uint64_t secret = 0;
  bool rootOnRankZero = false;  // BRAID_COMM_ID: rank 0 starts the root at `root` during init
  // The root listens already (a derived communicator's, on a spare listener): a refused connection means its
  // host has gone, so ranks fail at once instead of retrying. Not carried in an ncclUniqueId.
  bool rootListening = false;
};

ncclUniqueId encodeUniqueId(const UniqueIdContents& contents);
UniqueIdContents decodeUniqueId(const ncclUniqueId& id);  // throws ncclInvalidArgument when it is not Braid's

// ncclGetUniqueId: with BRAID_COMM_ID (alias NCCL_COMM_ID) set, names that address; otherwise starts a root
// listener in this process with a fresh random secret.
UniqueIdContents createUniqueId();

uint64_t randomU64();

}  // namespace braid
