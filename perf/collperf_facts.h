// What `braid doctor` needs to know of each rank beyond the sweep's timings, gathered by collperf into its JSON
// (--json, with --probe for the probes): where the rank runs (hostname, boot id, network namespace, the host the
// library put it on, its BRAID_HOSTID), what it may run on (its CPUs and their NUMA nodes, the free space of
// /dev/shm, the interfaces and the one asked for), and two probes run so that they do not disturb each other:
// each rank's own compute speed (one rank of a machine at a time), and each host's network link to the next
// host (one link at a time).
#pragma once

#include <nlohmann/json.hpp>

#include "nccl.h"

namespace braid::collperf {

// Collective over `comm`: every rank calls it; rank 0 gets {"ranks": [...], "links": [...]}, the others null.
nlohmann::json gatherFacts(ncclComm_t comm, int rank, int nranks, bool probe);

}  // namespace braid::collperf
