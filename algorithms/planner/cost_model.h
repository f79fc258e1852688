// The α-β-γ cost model: what each algorithm of a collective costs on a fabric, from per-step latency (α), the
// bytes each rank puts on its busiest link (β) and the bytes it reduces (γ). Closed forms per algorithm, so a
// plan for 100,000 devices costs microseconds.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "algorithms/collective.h"

namespace braid::planner {

struct LinkLevel {
  double latencyUs = 1;      // per step
  double bandwidthGBps = 1;  // per direction
};

// What the planner knows about the ranks of a communicator (or of a cluster being designed).
struct FabricModel {
  int nranks = 1;
  int ranksPerNode = 1;       // ranks are numbered node by node
  bool equalNodes = true;     // every node has ranksPerNode ranks (hierarchical algorithms need it)
  LinkLevel intra;            // a rank's path to a neighbour in its node (what a ring step sees)
  double intraEgressGBps = 1; // all of a rank's links at once (what a rank sending to every peer sees)
  LinkLevel inter;            // between nodes: latency, and the bandwidth of all of a node's NICs together
  double reduceGBps = 10;     // reduction arithmetic, per rank
  // A rank moves its data through `channels` parallel channels (rings, each driven by its own engine: a GPU's
  // thread block, a CPU thread), each of which moves at most `channelGBps` (0: no limit of its own). No level
  // carries more than they do: channels x channelGBps per rank, and per rank of the node over the network.
  int channels = 1;
  double channelGBps = 0;
  double stepOverheadUs = 0;  // software cost of each dependent step (waiting for a peer, waking up)
  // Ranks outnumber the cores they share: back-to-back calls of a chain overlap (each rank needs one turn per
  // call), while a tree's calls wait on every rank getting its turn (measured: 8 ranks on 2 cores, tree
  // Broadcast 1.2-1.6x and Reduce 1.0-1.2x a chain's time at 8 B-8 KiB, perf/planner_vs_ring.sh).
  bool ranksShareCores = false;
  double messageOverheadUs = 0;  // cost of each further message sent in the same step (one per peer)
  // Share of the bandwidth that algorithms exchanging whole halves or buffers per round (rd, rhd, mesh) reach
  // compared with a ring, which overlaps its steps chunk by chunk.
  double roundsEfficiency = 1;
  // The LL protocol (transports/ll_mailbox.h), where all ranks share memory: up to this many bytes per rank
  // (0: not available); a one-shot hand-off of `latencyUs`, lines written and read at `bandwidthGBps`.
  size_t lowLatencyBytes = 0;
  LinkLevel lowLatency;
  // Cross-memory attach (transports/cross_memory.h), where all ranks share a host and may attach to each other:
  // each system call costs `latencyUs` and moves up to crossMemoryCallBytes, at the kernel's `bandwidthGBps`
  // (0: not available). The ranks agree on their buffers through the LL mailboxes first (lowLatency).
  LinkLevel crossMemory{0, 0};
  size_t crossMemoryCallBytes = 64 * 1024;

  int nodes() const { return (nranks + ranksPerNode - 1) / ranksPerNode; }
};

struct Prediction {
  Algorithm algorithm;
  double timeUs;
  double algbwGBps;
  double busbwGBps;
  Protocol protocol = Protocol::Simple;
  // Hierarchical AllReduce, AllGather, ReduceScatter: rails of a node count that is not a power of two run the
  // logarithmic algorithm with the extra nodes folded in, not a ring.
  bool foldedRails = false;
};
// "ring", or "mesh/LL" for the LL protocol.
std::string planName(const Prediction& prediction);

// nccl-tests' bus bandwidth factor for `kind` on n ranks.
double busBandwidthFactor(CollectiveKind kind, int nranks);
// The algorithms the model prices for `kind` (hierarchical ones only on several nodes).
std::vector<Algorithm> modelledAlgorithms(CollectiveKind kind, const FabricModel& model);
// Predicted cost of `algorithm` moving `bytes` (NCCL's size: the per-rank buffer of AllReduce, Broadcast,
// Reduce; the total output of AllGather, the total input of ReduceScatter).
Prediction predict(CollectiveKind kind, Algorithm algorithm, size_t bytes, const FabricModel& model);
// Bytes each rank contributes to an LL collective of NCCL size `bytes` (what must fit model.lowLatencyBytes).
size_t lowLatencyContribution(CollectiveKind kind, size_t bytes, int nranks);
// Predicted cost of the one-shot LL exchange (algorithm Mesh, protocol LL) of `kind`.
Prediction predictLowLatency(CollectiveKind kind, size_t bytes, const FabricModel& model);
// Predicted cost of `kind` done in the peers' buffers by cross-memory attach (algorithm Mesh, protocol CMA).
Prediction predictCrossMemory(CollectiveKind kind, size_t bytes, const FabricModel& model);

}  // namespace braid::planner
