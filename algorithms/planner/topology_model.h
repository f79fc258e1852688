// The planner's view of a cluster: `nodes` copies of one system (a preset, a file or this host), joined by a
// network of the given shape. Intra-node figures come from the topology graph's paths and links; the network
// from the nodes' NICs.
#pragma once

#include <string>
#include <vector>

#include "algorithms/planner/cost_model.h"
#include "topology/graph.h"

namespace braid::planner {

enum class NetworkShape { FatTree, Rail };

// Sustained fraction of a link's bandwidth that collectives reach (protocol headers, synchronization). One
// figure calibrated against NCCL's published DGX A100 and H100 results: docs/planner.md.
constexpr double kLinkEfficiency = 0.8;
// NCCL's default ceiling on channels per communicator.
constexpr int kDefaultMaxChannels = 32;

struct ClusterModel {
  FabricModel fabric;
  std::vector<std::string> ring;         // a node's devices in the order its rings take (topo::bestRing)
  std::vector<std::string> assumptions;  // figures the topology did not give
};

// Ranks are the accelerators of the graph's first host (its CPUs when it has none), `ranksPerNode` overriding.
// Accelerator ranks run as many channels as their links need, up to `maxChannels` (NCCL_MAX_NCHANNELS'
// role); CPU ranks run one, whose limit is in the host figures.
ClusterModel clusterModel(const topo::Graph& graph, int nodes, NetworkShape shape, int ranksPerNode = 0,
                          int maxChannels = kDefaultMaxChannels);

}  // namespace braid::planner
