#include "algorithms/planner/cost_model.h"

#include <algorithm>
#include <cmath>

#include "algorithms/recursive.h"

namespace braid::planner {
namespace {

// Accumulates a schedule's cost term by term.
struct Cost {
  const FabricModel& m;
  double efficiency = 1;  // of the bandwidth terms: roundsEfficiency for round-based algorithms
  double latencyUs = 0, wireUs = 0, reduceUs = 0;

  void steps(double count, double latencyUs) { this->latencyUs += count * (latencyUs + m.stepOverheadUs); }
  void wire(double bytes, double gbps) { wireUs += bytes / (gbps * 1e3 * efficiency); }  // GB/s = 1e3 B/us
  void reduce(double bytes) { reduceUs += bytes / (m.reduceGBps * 1e3 * efficiency); }
  double total() const { return latencyUs + wireUs + reduceUs; }
};

bool multiNode(const FabricModel& m) { return m.nodes() > 1; }
// The model as the ranks' channels let them use it.
FabricModel limitedByChannels(FabricModel m) {
  if (m.channelGBps <= 0) return m;
  const double perRank = std::max(1, m.channels) * m.channelGBps;
  m.intra.bandwidthGBps = std::min(m.intra.bandwidthGBps, perRank);
  m.intraEgressGBps = std::min(m.intraEgressGBps, perRank);
  m.inter.bandwidthGBps = std::min(m.inter.bandwidthGBps, perRank * m.ranksPerNode);
  return m;
}
// A ring ordered node by node crosses each node boundary once; channels spread it over all of a node's NICs.
LinkLevel ringLevel(const FabricModel& m) {
  if (!multiNode(m)) return m.intra;
  return {m.inter.latencyUs, std::min(m.intra.bandwidthGBps, m.inter.bandwidthGBps)};
}
// Every rank talking across nodes at once shares its node's NICs with the other ranks of the node.
LinkLevel crossLevel(const FabricModel& m) {
  return {m.inter.latencyUs, std::min(m.intra.bandwidthGBps, m.inter.bandwidthGBps / m.ranksPerNode)};
}
// The link to a partner `distance` ranks away (ranks are numbered node by node).
LinkLevel partnerLevel(const FabricModel& m, int distance) {
  return distance < m.ranksPerNode || !multiNode(m) ? m.intra : crossLevel(m);
}
int log2Floor(int n) {
  int k = 0;
  while ((2 << k) <= n) ++k;
  return k;
}
int log2Ceil(int n) { return n <= 1 ? 0 : log2Floor(n - 1) + 1; }

double ringAllReduce(Cost& c, double s, int n) {
  const LinkLevel l = ringLevel(c.m);
  c.steps(2.0 * (n - 1), l.latencyUs);
  c.wire(2.0 * (n - 1) / n * s, l.bandwidthGBps);
  c.reduce(double(n - 1) / n * s);
  return c.total();
}

// Extra ranks of a non-power-of-two count fold into a neighbour and get the result back: two more steps.
void fold(Cost& c, double s, int n) {
  if (powerOfTwo(n)) return;
  c.steps(2, c.m.intra.latencyUs);
  c.wire(2 * s, c.m.intra.bandwidthGBps);
  c.reduce(s);
}

double recursiveDoubling(Cost& c, double s, int n) {
  c.efficiency = c.m.roundsEfficiency;
  fold(c, s, n);
  const int p = 1 << log2Floor(n);
  for (int mask = 1; mask < p; mask *= 2) {
    const LinkLevel l = partnerLevel(c.m, mask);
    c.steps(1, l.latencyUs);
    c.wire(s, l.bandwidthGBps);
    c.reduce(s);
  }
  return c.total();
}

double halvingDoubling(Cost& c, double s, int n) {
  c.efficiency = c.m.roundsEfficiency;
  fold(c, s, n);
  const int p = 1 << log2Floor(n);
  // Reduce-scatter, then the same rounds backwards; across nodes the nearest partner comes first (within one
  // node the order prices the same).
  for (int mask = 1; mask < p; mask *= 2) {
    const LinkLevel l = partnerLevel(c.m, mask);
    const double part = s / (2 * mask);
    c.steps(2, l.latencyUs);
    c.wire(2 * part, l.bandwidthGBps);
    c.reduce(part);
  }
  return c.total();
}

double meshAllReduce(Cost& c, double s, int n) {
  c.efficiency = c.m.roundsEfficiency;
  const double egress = multiNode(c.m) ? std::min(c.m.intraEgressGBps, crossLevel(c.m).bandwidthGBps)
                                       : c.m.intraEgressGBps;
  c.steps(1, multiNode(c.m) ? c.m.inter.latencyUs : c.m.intra.latencyUs);
  c.latencyUs += (n - 2) * c.m.messageOverheadUs;  // one message per peer
  c.wire((n - 1) * s, egress);
  c.reduce((n - 1) * s);
  return c.total();
}

double treeDepth(int n) { return log2Floor(n) + 1; }

// Within a node a binary tree over the ranks; over several nodes a chain of L ranks in each node under a binary
// tree over the N nodes (tree.cc): `times` passes through L-1 node steps and depth(N) network steps. Only the
// chains' heads talk across the network, so a node's NICs serve one edge, not L ranks at once.
LinkLevel treeLevel(Cost& c, int n, double times) {
  if (!multiNode(c.m)) {
    c.steps(times * treeDepth(n), c.m.intra.latencyUs);
    return c.m.intra;
  }
  c.steps(times * (c.m.ranksPerNode - 1), c.m.intra.latencyUs);
  c.steps(times * treeDepth(c.m.nodes()), c.m.inter.latencyUs);
  return {c.m.inter.latencyUs, std::min(c.m.intra.bandwidthGBps, c.m.inter.bandwidthGBps)};
}

// A double binary tree: each half climbs one tree; a rank is inner in one tree (two children) and a leaf of the
// other, so it sends about 2x its buffer (half up, twice half down, half up the other tree) and adds S.
double treeAllReduce(Cost& c, double s, int n) {
  const LinkLevel l = treeLevel(c, n, 2);  // up and down, pipelined chunk by chunk
  c.wire(n > 2 ? 2 * s : s, l.bandwidthGBps);
  c.reduce(n > 2 ? s : s / 2);
  return c.total();
}

double flatAllReduce(Algorithm a, double s, const FabricModel& m);

// Within each node a reduce-scatter, across nodes an allreduce of each rank's 1/L share among the ranks of the
// same local index (all L rails at once), then an allgather within each node. The levels are pipelined, so
// their transfers overlap. The rails halve and double for a power of two of nodes; otherwise they take the
// cheaper of a ring and halving-doubling with the extra nodes folded in (`foldedRails` says which).
double hierarchicalAllReduce(Cost& c, double s, bool* foldedRails) {
  const FabricModel& m = c.m;
  const int local = m.ranksPerNode, nodes = m.nodes();
  FabricModel rail = m;
  rail.nranks = nodes;
  rail.ranksPerNode = 1;
  rail.intra = {m.inter.latencyUs, m.inter.bandwidthGBps / local};
  rail.intraEgressGBps = rail.intra.bandwidthGBps;
  const double halvingUs = flatAllReduce(Algorithm::HalvingDoubling, s / local, rail);
  const double ringUs = powerOfTwo(nodes) ? halvingUs : flatAllReduce(Algorithm::Ring, s / local, rail);
  *foldedRails = !powerOfTwo(nodes) && halvingUs < ringUs;
  const double interUs = std::min(halvingUs, ringUs);
  c.steps(2.0 * (local - 1), m.intra.latencyUs);
  const double intraUs = 2.0 * (local - 1) / local * s / (m.intra.bandwidthGBps * 1e3);
  c.reduce(double(local - 1) / local * s);
  return c.total() + std::max(intraUs, interUs);
}

// Nodes of unequal size: each node reduces to its leader, the leaders all-reduce the whole buffer with a ring,
// and each leader hands it back out; the phases follow one another. L is the largest node.
double leaderAllReduce(Cost& c, double s) {
  const FabricModel& m = c.m;
  const int local = m.ranksPerNode;
  FabricModel leaders = m;
  leaders.nranks = m.nodes();
  leaders.ranksPerNode = 1;
  leaders.intra = m.inter;
  leaders.intraEgressGBps = m.inter.bandwidthGBps;
  c.steps(2.0 * local, m.intra.latencyUs);
  c.wire(4.0 * (local - 1) / local * s, m.intra.bandwidthGBps);  // through the leader, in and out
  c.reduce(double(local - 1) / local * s);
  return c.total() + flatAllReduce(Algorithm::Ring, s, leaders);
}

// Each rail (every rail at once, sharing the node's network bandwidth) gathers the blocks of one local index
// while a ring within the node passes whole rails on as they arrive: the levels overlap. The rails double for
// a power of two of nodes; otherwise they take the cheaper of a ring (N-1 steps) and recursive doubling with the
// extra nodes folded in (2 more steps, and the neighbours of folded nodes send them everything once more), which
// `foldedRails` says. The hierarchical ReduceScatter is the same traffic backwards (halving), plus the sums.
double hierarchicalAllGather(Cost& c, double s, bool* foldedRails) {
  const FabricModel& m = c.m;
  const int local = m.ranksPerNode, nodes = m.nodes();
  const bool doubling = powerOfTwo(nodes);
  const double railUs = double(nodes - 1) / nodes * s / (m.inter.bandwidthGBps * 1e3);
  const double stepUs = m.inter.latencyUs + m.stepOverheadUs;
  const double logSteps = log2Floor(nodes) + (doubling ? 0 : 2), logUs = (doubling ? 1 : 2) * railUs;
  *foldedRails = !doubling && logSteps * stepUs + logUs < (nodes - 1) * stepUs + railUs;
  const bool logarithmic = doubling || *foldedRails;
  c.steps(logarithmic ? logSteps : nodes - 1, m.inter.latencyUs);
  c.steps(local - 1, m.intra.latencyUs);
  const double intraUs = double(local - 1) / local * s / (m.intra.bandwidthGBps * 1e3);
  return c.total() + std::max(logarithmic ? logUs : railUs, intraUs);
}

// Blocks first go to the member of the node on the destination's rail, then one exchange per other node along
// the rail: the same bytes cross the network as with direct exchanges, in N-1 messages instead of n-L, at the
// price of moving (L-1)/L of the data once more within the node.
double hierarchicalAlltoAll(Cost& c, double s) {
  const FabricModel& m = c.m;
  const int local = m.ranksPerNode, nodes = m.nodes();
  c.steps(1, m.intra.latencyUs);
  c.steps(1, m.inter.latencyUs);
  c.latencyUs += (local - 2 + nodes - 1) * m.messageOverheadUs;
  c.wire(double(local - 1) / local * s, m.intraEgressGBps);
  c.wire(double(nodes - 1) / nodes * s, crossLevel(m).bandwidthGBps);
  return c.total();
}

// Beyond a power of two, recursive doubling and halving fold each extra rank into its neighbour: two more
// steps within the node, the folded rank's share going over (AllGather: its block there, all others back;
// ReduceScatter: its whole input there, its block back) and, for ReduceScatter, added in.
void foldBlocks(Cost& c, double s, int n, bool reduces) {
  if (powerOfTwo(n)) return;
  c.steps(2, c.m.intra.latencyUs);
  c.wire(s, c.m.intra.bandwidthGBps);
  if (reduces) c.reduce(s);
}

double allGather(Cost& c, Algorithm a, double s, int n) {
  if (a == Algorithm::Ring) {
    const LinkLevel l = ringLevel(c.m);
    c.steps(n - 1, l.latencyUs);
    c.wire(double(n - 1) / n * s, l.bandwidthGBps);
    return c.total();
  }
  const LinkLevel l = multiNode(c.m) ? crossLevel(c.m) : c.m.intra;
  c.efficiency = c.m.roundsEfficiency;
  const bool doubling = a == Algorithm::RecursiveDoubling;
  if (doubling) foldBlocks(c, s, n, false);
  c.steps(doubling ? log2Floor(n) : log2Ceil(n), l.latencyUs);
  c.wire(double(n - 1) / n * s, l.bandwidthGBps);
  if (a == Algorithm::Bruck) c.wire(s, c.m.intraEgressGBps);  // the final rotation is a local copy
  return c.total();
}

double reduceScatter(Cost& c, Algorithm a, double s, int n) {
  const bool halving = a == Algorithm::HalvingDoubling;
  const LinkLevel l = halving ? (multiNode(c.m) ? crossLevel(c.m) : c.m.intra) : ringLevel(c.m);
  if (halving) {
    c.efficiency = c.m.roundsEfficiency;
    foldBlocks(c, s, n, true);
  }
  c.steps(halving ? log2Floor(n) + 1 : n - 1, l.latencyUs);  // halving: and a copy out of scratch
  c.wire(double(n - 1) / n * s, l.bandwidthGBps);
  c.reduce(double(n - 1) / n * s);
  return c.total();
}

double flatAllReduce(Algorithm a, double s, const FabricModel& m) {
  Cost c{m};
  const int n = m.nranks;
  if (n <= 1) return 0;
  switch (a) {
    case Algorithm::Tree: return treeAllReduce(c, s, n);
    case Algorithm::RecursiveDoubling: return recursiveDoubling(c, s, n);
    case Algorithm::HalvingDoubling: return halvingDoubling(c, s, n);
    case Algorithm::Mesh: return meshAllReduce(c, s, n);
    default: return ringAllReduce(c, s, n);
  }
}

}  // namespace

double busBandwidthFactor(CollectiveKind kind, int n) {
  switch (kind) {
    case CollectiveKind::AllReduce: return 2.0 * (n - 1) / n;
    case CollectiveKind::Broadcast:
    case CollectiveKind::Reduce: return 1;
    default: return double(n - 1) / n;
  }
}

std::vector<Algorithm> modelledAlgorithms(CollectiveKind kind, const FabricModel& m) {
  std::vector<Algorithm> out;
  for (Algorithm a : kAllAlgorithms) {
    if (a == Algorithm::Hierarchical)
      if (!multiNode(m) || m.ranksPerNode < 2 ||
          !(kind == CollectiveKind::AllReduce ||
            ((kind == CollectiveKind::AllGather || kind == CollectiveKind::ReduceScatter ||
              kind == CollectiveKind::AlltoAll || kind == CollectiveKind::AlltoAllv) &&
             m.equalNodes && m.nranks % m.ranksPerNode == 0)))
        continue;
    if (a == Algorithm::Hierarchical || hasAlgorithm(kind, a)) out.push_back(a);
  }
  return out;
}

namespace {
// A time and the bandwidths it means for `s` bytes.
Prediction finish(CollectiveKind kind, Algorithm a, double s, double t, int n) {
  t = std::max(t, 1e-3);
  const double algbw = s / (t * 1e3);
  return {a, t, algbw, algbw * busBandwidthFactor(kind, n)};
}
}  // namespace

std::string planName(const Prediction& p) {
  const std::string algorithm = algorithmName(p.algorithm);
  return p.protocol == Protocol::Simple ? algorithm : algorithm + "/" + protocolName(p.protocol);
}

size_t lowLatencyContribution(CollectiveKind kind, size_t bytes, int nranks) {
  return kind == CollectiveKind::AllGather ? bytes / static_cast<size_t>(std::max(nranks, 1)) : bytes;
}

// Each rank writes its contribution once and reads, line by line, the parts of its peers' slots it needs:
// all of them for AllReduce, Reduce and AllGather, its block of each for ReduceScatter, the root's for
// Broadcast. One hand-off, whatever the rank count; but a rooted one waits on every rank getting a turn,
// where a chain overlaps calls (fitted: with 4 ranks on 2 cores LL Broadcast/Reduce took 1.2-1.5x a chain).
Prediction predictLowLatency(CollectiveKind kind, size_t bytes, const FabricModel& m) {
  Cost c{m};
  const int n = m.nranks;
  const double s = static_cast<double>(bytes), own = static_cast<double>(lowLatencyContribution(kind, bytes, n));
  if (n > 1) {
    c.steps(1, m.lowLatency.latencyUs);
    if (kind == CollectiveKind::Broadcast || kind == CollectiveKind::Reduce) c.latencyUs += (n - 1) * m.stepOverheadUs;
    double read = own, reduced = 0;
    switch (kind) {
      case CollectiveKind::AllReduce: read = n * own, reduced = (n - 1) * own; break;
      case CollectiveKind::Reduce: read = n * own, reduced = (n - 1) * own; break;
      case CollectiveKind::AllGather: read = n * own; break;
      case CollectiveKind::ReduceScatter: reduced = double(n - 1) / n * own; break;
      default: break;
    }
    c.wire(own + read, m.lowLatency.bandwidthGBps);
    c.reduce(reduced);
  }
  Prediction p = finish(kind, Algorithm::Mesh, s, c.total(), n);
  p.protocol = Protocol::LowLatency;
  return p;
}

// Each rank does its share in place (direct_run.h): it reads what it reduces or copies from its peers' buffers
// and writes results into theirs, one kernel copy per byte, in calls of up to crossMemoryCallBytes (at least
// one per peer), between two LL hand-offs (buffer addresses, done). The rank with the most to move sets
// the time: for AllReduce its 1/n of every peer's input in and of the result out; for Reduce and ReduceScatter
// its share in (and Reduce's out to the root); for AllGather and AlltoAll its blocks out; for Broadcast all of
// the root's buffer in.
Prediction predictCrossMemory(CollectiveKind kind, size_t bytes, const FabricModel& m) {
  Cost c{m};
  const int n = m.nranks;
  const double s = static_cast<double>(bytes), share = s / std::max(n, 1), peers = n - 1;
  if (n > 1) {
    c.steps(2, m.lowLatency.latencyUs);
    double moved = peers * share, reduced = 0;
    switch (kind) {
      case CollectiveKind::AllReduce: moved = 2 * peers * share, reduced = peers * share; break;
      case CollectiveKind::Reduce: moved = s, reduced = peers * share; break;
      case CollectiveKind::ReduceScatter: reduced = peers * share; break;
      case CollectiveKind::Broadcast: moved = s; break;
      default: break;
    }
    const double callBytes = static_cast<double>(std::max<size_t>(m.crossMemoryCallBytes, 1));
    c.latencyUs += std::max(peers, std::ceil(moved / callBytes)) * m.crossMemory.latencyUs;
    c.wire(moved, m.crossMemory.bandwidthGBps);
    c.reduce(reduced);
  }
  Prediction p = finish(kind, Algorithm::Mesh, s, c.total(), n);
  p.protocol = Protocol::CrossMemory;
  return p;
}

Prediction predict(CollectiveKind kind, Algorithm a, size_t bytes, const FabricModel& model) {
  const FabricModel m = limitedByChannels(model);
  Cost c{m};
  const double s = static_cast<double>(bytes);
  const int n = m.nranks;
  double t = 0;
  bool foldedRails = false;
  if (n > 1) {
    switch (kind) {
      case CollectiveKind::AllReduce:
        if (a != Algorithm::Hierarchical)
          t = flatAllReduce(a, s, m);
        else
          t = m.equalNodes && m.nranks % m.ranksPerNode == 0 ? hierarchicalAllReduce(c, s, &foldedRails)
                                                               : leaderAllReduce(c, s);
        break;
      case CollectiveKind::Broadcast:
      case CollectiveKind::Reduce: {
        const bool tree = a == Algorithm::Tree;
        LinkLevel l = ringLevel(m);
        if (tree) l = treeLevel(c, n, 1);  // pipeline fill
        else c.steps(n - 1, l.latencyUs);
        if (tree && m.ranksShareCores) c.latencyUs += (n - 1) * m.stepOverheadUs;
        c.wire(tree ? 2 * s : s, l.bandwidthGBps);
        if (kind == CollectiveKind::Reduce) c.reduce(tree ? 2 * s : s);
        t = c.total();
        break;
      }
      case CollectiveKind::AllGather:
        t = a == Algorithm::Hierarchical ? hierarchicalAllGather(c, s, &foldedRails) : allGather(c, a, s, n);
        break;
      case CollectiveKind::ReduceScatter:
        if (a == Algorithm::Hierarchical) c.reduce(double(n - 1) / n * s);
        t = a == Algorithm::Hierarchical ? hierarchicalAllGather(c, s, &foldedRails) : reduceScatter(c, a, s, n);
        break;
      case CollectiveKind::AlltoAll:
      case CollectiveKind::AlltoAllv:
        if (a == Algorithm::Hierarchical) {
          t = hierarchicalAlltoAll(c, s);
          break;
        }
        [[fallthrough]];
      default: {  // direct exchanges: every peer at once, through the rank's (or its node's) links
        const LinkLevel l = multiNode(m) ? crossLevel(m) : m.intra;
        c.steps(1, l.latencyUs);
        c.latencyUs += (n - 2) * m.messageOverheadUs;  // one message per peer
        c.wire(double(n - 1) / n * s, multiNode(m) ? l.bandwidthGBps : m.intraEgressGBps);
        t = c.total();
      }
    }
  }
  Prediction p = finish(kind, a, s, t, n);
  p.foldedRails = foldedRails;
  return p;
}

}  // namespace braid::planner
