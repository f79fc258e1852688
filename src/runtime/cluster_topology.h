// The communicator's picture of the cluster. With BRAID_TOPO_FILE (alias NCCL_TOPO_FILE) each rank reads its
// host's topology from that file, otherwise it discovers it; the ranks exchange what they have and fuse one
// <system> per host into a <cluster>, which rank 0 writes to BRAID_TOPO_DUMP_FILE (alias NCCL_TOPO_DUMP_FILE).
// Built at init when either variable is set. A bad file fails init on every rank with ncclInvalidUsage and
// the file, line and problem.
#pragma once

#include <memory>

#include "topology/xml_tree.h"

struct ncclComm;

namespace braid {

bool clusterTopologyRequested();
std::shared_ptr<const topo::XmlElement> buildClusterTopology(ncclComm* comm);
// Where the accelerator a rank drives sits in the best ring through its host's accelerators (topo::bestRing),
// or -1 when the host has fewer accelerators than ranks. Local rank i drives the host's accelerator i in the
// topology's order, as launchers that give each local rank one device arrange it. `firstRank` names the host
// (its lowest rank, the <system>'s first_rank).
int acceleratorRingPosition(const topo::XmlElement& cluster, int firstRank, int localIndex, int localRanks);

}  // namespace braid
