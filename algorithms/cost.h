// The α-β-γ toolkit every algorithm prices itself with: what the ranks' fabric offers (FabricModel), and a cost
// accumulated term by term from per-step latency (α), the bytes each rank puts on its busiest link (β) and the
// bytes it reduces (γ). Each algorithm's cost sits next to its schedule (ring.cc, tree.cc, ...) as a closed
// form, so a plan for 100,000 devices costs microseconds; the planner (algorithms/planner/) compares them.
#pragma once

#include <cstddef>

namespace braid {

struct LinkLevel {
  double latencyUs = 1;      // per step
  double bandwidthGBps = 1;  // per direction
};

// What the planner knows about the ranks of a communicator (or of a cluster being designed).
struct FabricModel {
  int nranks = 1;
  int ranksPerNode = 1;        // ranks are numbered node by node
  bool equalNodes = true;      // every node has ranksPerNode ranks (hierarchical algorithms need it)
  LinkLevel intra;             // a rank's path to a neighbour in its node (what a ring step sees)
  double intraEgressGBps = 1;  // all of a rank's links at once (what a rank sending to every peer sees)
  LinkLevel inter;             // between nodes: latency, and the bandwidth of all of a node's NICs together
  double reduceGBps = 10;      // reduction arithmetic, per rank
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
  // The LL protocol (transports/shm/ll_mailbox.h), where all ranks share memory: up to this many bytes per rank
  // (0: not available); a one-shot hand-off of `latencyUs`, lines written and read at `bandwidthGBps`.
  size_t lowLatencyBytes = 0;
  LinkLevel lowLatency;
  // Cross-memory attach (transports/shm/cross_memory.h), where all ranks share a host and may attach to each
  // other: each system call costs `latencyUs` and moves up to crossMemoryCallBytes, at the kernel's
  // `bandwidthGBps` (0: not available). The ranks agree on their buffers through the LL mailboxes first.
  LinkLevel crossMemory{0, 0};
  size_t crossMemoryCallBytes = 64 * 1024;

  int nodes() const { return (nranks + ranksPerNode - 1) / ranksPerNode; }
  bool multiNode() const { return nodes() > 1; }
};

// What an algorithm's cost function returns: the predicted time, and for the hierarchical algorithms whether
// rails of a node count that is not a power of two run the logarithmic variant (CollectiveShape::foldedRails).
struct Price {
  double timeUs = 0;
  bool foldedRails = false;
};

// Accumulates a schedule's cost term by term.
struct Cost {
  const FabricModel& m;
  double efficiency = 1;  // of the bandwidth terms: roundsEfficiency for round-based algorithms
  double latencyUs = 0, wireUs = 0, reduceUs = 0;

  void steps(double count, double latency) { latencyUs += count * (latency + m.stepOverheadUs); }
  void wire(double bytes, double gbps) { wireUs += bytes / (gbps * 1e3 * efficiency); }  // GB/s = 1e3 B/us
  void reduce(double bytes) { reduceUs += bytes / (m.reduceGBps * 1e3 * efficiency); }
  double total() const { return latencyUs + wireUs + reduceUs; }
};

// A ring ordered node by node crosses each node boundary once; channels spread it over all of a node's NICs.
LinkLevel ringLevel(const FabricModel& m);
// Every rank talking across nodes at once shares its node's NICs with the other ranks of the node.
LinkLevel crossLevel(const FabricModel& m);
// The link to a partner `distance` ranks away (ranks are numbered node by node).
LinkLevel partnerLevel(const FabricModel& m, int distance);
int log2Floor(int n);
int log2Ceil(int n);

}  // namespace braid
