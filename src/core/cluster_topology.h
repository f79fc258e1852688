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

}  // namespace braid
