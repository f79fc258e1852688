// The planner's view of a cluster: `nodes` copies of one system (a preset, a file or this host), joined by a
// network of the given shape. Intra-node figures come from the topology graph's paths and links; the network
// from the nodes' NICs; both scaled to what NCCL reaches on them (effective_bandwidth.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "algorithms/planner/cost_model.h"
#include "algorithms/planner/effective_bandwidth.h"
#include "algorithms/planner/nccl_tuning.h"
#include "topology/graph.h"

namespace braid::planner {

enum class NetworkShape { FatTree, Rail };

// NCCL's default ceiling on channels per communicator.
constexpr int kDefaultMaxChannels = 32;

struct ClusterModel {
  FabricModel fabric;
  std::vector<std::string> ring;      // a node's devices in the order its rings take (topo::bestRing)
  std::string intraTransport;         // how the ring's slowest hop moves data: "P2P over NV18", "SHM over SYS"
  P2pLevel p2pLevel = P2pLevel::Pxb;  // NCCL_P2P_LEVEL the transports were decided by
  double nvlsBusGBps = 0;             // NCCL's NVLS AllReduce busbw within one node (0: none); Braid runs no NVLS
  double ncclTreeBusGBps = 0;         // NCCL's tree AllReduce busbw across the nodes (0: one node)
  double meshBusGBps = 0;  // one node whose devices are all joined pairwise by vendor links: the AllReduce busbw of
                           // a reduce-scatter and all-gather over every link at once (vendor libraries' mesh)
  NcclTuningInput nccl;    // what NCCL's tuning needs (nccl.sm == 0: not NVIDIA GPUs)
  std::vector<std::string> assumptions;  // figures the topology did not give
};

// Ranks are the accelerators of the graph's first host (its CPUs when it has none), `ranksPerNode` overriding.
// Accelerator ranks run as many channels as their links need, up to `maxChannels` (NCCL_MAX_NCHANNELS'
// role); CPU ranks run one, whose limit is in the host figures. `p2pLevel` plays NCCL_P2P_LEVEL (unset: NCCL's
// default for the node, defaultP2pLevel).
ClusterModel clusterModel(const topo::Graph& graph, int nodes, NetworkShape shape, int ranksPerNode = 0,
                          int maxChannels = kDefaultMaxChannels, std::optional<P2pLevel> p2pLevel = std::nullopt);

}  // namespace braid::planner
