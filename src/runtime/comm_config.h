// A communicator's configuration (ncclConfig_t) as Braid applies it: read within the caller's declared size and
// the fields its NCCL version had, every field checked as NCCL checks it, BRAID_/NCCL_ variables that are set
// overriding it (as NCCL's do), and inherited by a split given no config. What each field does on the host:
// docs/nccl-api.md.
#pragma once

#include <optional>
#include <string>

#include "nccl.h"

namespace braid {

struct CommConfig {
  bool blocking = true;
  std::string name;                      // commName: in the logs and status dumps
  std::optional<std::string> netName;    // the network between hosts (as BRAID_NET names it)
  int trafficClass = -1;                 // IP type of service of the sockets between hosts; -1: the system's
  int minChannels = 0, maxChannels = 0;  // minCTAs/maxCTAs: collective channels on one host; 0: BRAID_*_NCHANNELS
  int channelsPerNetPeer = 0;            // helper threads per socket stream; 0: BRAID_SOCKET_NTHREADS
  // The fields as NCCL 2.30 lays them out, undefined where the caller left them so (strings not kept here).
  ncclConfig_t fields = NCCL_CONFIG_INITIALIZER;
};

// The configuration `config` asks for (null: the defaults), after the environment's overrides. Throws
// Error(ncclInvalidArgument) naming the field and what it accepts.
CommConfig readCommConfig(const ncclConfig_t* config);

// A split's: its own config when given one, else its parent's, the environment applied again.
CommConfig splitConfig(const CommConfig& parent, const ncclConfig_t* config);

}  // namespace braid
