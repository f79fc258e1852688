// The causes `braid doctor` can check, each from what `collperf --probe` recorded about the ranks (placement,
// identity, /dev/shm, interfaces, and the compute and link probes) and from the topology the library saw. A
// check reports a finding only when its own evidence says so, whatever the sweep measured; the report ranks the
// findings by how far their evidence is from healthy.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "topology/graph.h"

namespace braid::cli {

struct Finding {
  std::string cause;   // slow-link, slow-rank, sockets-within-a-host, shared-cores, small-shm, interface, numa
  std::string detail;  // one sentence for the user: what was seen, where, and what to do
  double severity;     // 0 (barely) .. 1 (far from healthy): orders the report
};

struct CheckLimits {
  double slowLink = 0.5;  // a link below this share of what its NIC is worth in the topology
  double slowRank = 0.6;  // a rank computing below this share of the other ranks' median
};

// `sweep`: collperf's --json with --probe ("ranks", "links"); `topology`: the library's cluster view
// (BRAID_TOPO_DUMP_FILE), its hosts in the order of their lowest ranks, as the ranks' "host" numbers them.
std::vector<Finding> checkCauses(const nlohmann::json& sweep, const topo::Graph& topology,
                                 const CheckLimits& limits = {});

}  // namespace braid::cli
