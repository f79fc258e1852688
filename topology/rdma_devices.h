// RDMA devices as libibverbs reports them: name, and for each port its state, link layer, speed and GID 0
// (RoCE). Hosts without RDMA hardware (like CI) have none; discovery then says so at INFO level and moves on.
#pragma once

#include <string>
#include <vector>

#include "topology/xml_tree.h"

namespace braid::topo {

struct RdmaPort {
  std::string device;
  int port;
  std::string state;      // "ACTIVE", "DOWN", ...
  std::string linkLayer;  // "infiniband" or "ethernet"
  long speedMbps;         // 0 when unknown
  std::string gid;        // GID index 0, "fe80:..." form
};

std::vector<RdmaPort> listRdmaPorts();

// Adds each port's figures to the <net> of the same name in `system` (adding the NIC under the first CPU when
// discovery did not see it).
void augmentFromVerbs(XmlElement& system, const std::vector<RdmaPort>& ports);

}  // namespace braid::topo
