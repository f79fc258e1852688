// Topologies of the systems our users run, built from published figures (sources in docs/topology.md).
// They are defaults: a topology file overrides any figure.
#pragma once

#include <string>
#include <vector>

#include "topology/xml_tree.h"

namespace braid::topo {

struct PresetInfo {
  std::string name;
  std::string description;
};

const std::vector<PresetInfo>& presetList();
XmlElement presetTopology(const std::string& name);  // throws TopologyError for an unknown name

}  // namespace braid::topo
