#include "algorithms/planner/cost_model.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace braid::planner {
namespace {

// The model as the ranks' channels let them use it.
FabricModel limitedByChannels(FabricModel m) {
  if (m.channelGBps <= 0) return m;
  const double perRank = std::max(1, m.channels) * m.channelGBps;
  m.intra.bandwidthGBps = std::min(m.intra.bandwidthGBps, perRank);
  m.intraEgressGBps = std::min(m.intraEgressGBps, perRank);
  m.inter.bandwidthGBps = std::min(m.inter.bandwidthGBps, perRank * m.ranksPerNode);
  return m;
}

// A time and the bandwidths it means for `s` bytes.
Prediction finish(CollectiveKind kind, Algorithm a, double s, double t, int n) {
  t = std::max(t, 1e-3);
  const double algbw = s / (t * 1e3);
  return {a, t, algbw, algbw * busBandwidthFactor(kind, n)};
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
  for (const AlgorithmInfo& a : algorithmRegistry())
    for (const Implementation& i : a.implementations)
      if (i.kind == kind && (!i.fits || i.fits(m))) out.push_back(a.id);
  return out;
}

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
  const double s = static_cast<double>(bytes);
  const Implementation* implementation = implementationOf(a, kind);
  if (!implementation)
    throw std::invalid_argument(std::string(collectiveName(kind)) + " has no " + algorithmName(a) + " algorithm");
  const Price price = model.nranks > 1 ? implementation->cost(s, limitedByChannels(model)) : Price{};
  Prediction p = finish(kind, a, s, price.timeUs, model.nranks);
  p.foldedRails = price.foldedRails;
  return p;
}

}  // namespace braid::planner
