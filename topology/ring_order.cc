#include "topology/ring_order.h"

#include <algorithm>
#include <limits>
#include <numeric>

namespace braid::topo {
namespace {

struct Score {
  double bandwidth;
  double latencySum;
  double latencyMax;
  // More bandwidth, then less latency (sums in another order may differ in the last bits).
  bool betterThan(const Score& o) const {
    if (bandwidth != o.bandwidth) return bandwidth > o.bandwidth;
    return latencySum < o.latencySum - 1e-9;
  }
};

// Scores orders of positions 0..n-1 in `devices`; each hop's links (as 2 * link + direction) are worked out
// once per pair, since the exhaustive search scores 8! orders.
class RingScorer {
 public:
  RingScorer(const Graph& g, const PathTable& paths, const std::vector<int>& devices)
      : graph_(g), n_(devices.size()), hops_(n_ * n_), load_(2 * g.links.size(), 0) {
    for (size_t i = 0; i < n_; ++i)
      for (size_t j = 0; j < n_; ++j) {
        if (i == j) continue;
        const Path& p = paths.between(devices[i], devices[j]);
        Hop& hop = hops_[i * n_ + j];
        hop.latency = p.latency;
        hop.bandwidth = p.bandwidth;
        for (size_t h = 0; h < p.links.size(); ++h)
          hop.links.push_back(2 * p.links[h] + (g.links[p.links[h]].a == p.hops[h] ? 0 : 1));
      }
  }

  Score score(const std::vector<int>& order) {
    Score s{std::numeric_limits<double>::infinity(), 0, 0};
    used_.clear();
    for (size_t i = 0; i < order.size(); ++i) {
      const Hop& hop = hops_[order[i] * n_ + order[(i + 1) % order.size()]];
      s.latencySum += hop.latency;
      s.latencyMax = std::max(s.latencyMax, hop.latency);
      if (hop.links.empty()) s.bandwidth = std::min(s.bandwidth, hop.bandwidth);
      for (int key : hop.links)
        if (load_[key]++ == 0) used_.push_back(key);
    }
    for (int key : used_) {
      s.bandwidth = std::min(s.bandwidth, graph_.links[key / 2].bandwidth / load_[key]);
      load_[key] = 0;
    }
    return s;
  }

 private:
  struct Hop {
    std::vector<int> links;
    double latency = 0, bandwidth = 0;
  };
  const Graph& graph_;
  size_t n_;
  std::vector<Hop> hops_;  // [from * n + to]
  std::vector<int> load_;  // per 2 * link + direction, zero between calls
  std::vector<int> used_;  // the keys one score() loaded, kept to reuse its memory
};

// Every order with position 0 first (rotations are the same ring), in lexicographic order: ties keep the
// earliest, which is the given order when it ties.
std::vector<int> exhaustive(RingScorer& scorer, size_t n) {
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::vector<int> best = order;
  Score bestScore = scorer.score(order);
  while (std::next_permutation(order.begin() + 1, order.end())) {
    const Score s = scorer.score(order);
    if (s.betterThan(bestScore)) best = order, bestScore = s;
  }
  return best;
}

// Nearest neighbour by path bandwidth then latency, then 2-opt (reversing a stretch) while that improves.
std::vector<int> heuristic(RingScorer& scorer, const PathTable& paths, const std::vector<int>& devices) {
  std::vector<int> order{0};
  std::vector<int> left(devices.size() - 1);
  std::iota(left.begin(), left.end(), 1);
  while (!left.empty()) {
    auto nearest = left.begin();
    for (auto it = left.begin(); it != left.end(); ++it) {
      const Path &p = paths.between(devices[order.back()], devices[*it]),
                 &q = paths.between(devices[order.back()], devices[*nearest]);
      if (p.bandwidth > q.bandwidth || (p.bandwidth == q.bandwidth && p.latency < q.latency)) nearest = it;
    }
    order.push_back(*nearest);
    left.erase(nearest);
  }
  Score bestScore = scorer.score(order);
  for (bool improved = true; improved;) {
    improved = false;
    for (size_t i = 1; i + 1 < order.size(); ++i)
      for (size_t j = i + 1; j < order.size(); ++j) {
        std::reverse(order.begin() + i, order.begin() + j + 1);
        const Score s = scorer.score(order);
        if (s.betterThan(bestScore)) {
          bestScore = s, improved = true;
        } else {
          std::reverse(order.begin() + i, order.begin() + j + 1);
        }
      }
  }
  return order;
}

RingOrder ringOf(RingScorer& scorer, const std::vector<int>& devices, const std::vector<int>& positions) {
  RingOrder ring;
  for (int p : positions) ring.devices.push_back(devices[p]);
  if (devices.size() < 2) return ring;
  const Score s = scorer.score(positions);
  ring.bandwidth = s.bandwidth;
  ring.latency = s.latencyMax;
  return ring;
}

}  // namespace

RingOrder evaluateRing(const Graph& graph, const PathTable& paths, const std::vector<int>& devices) {
  RingScorer scorer(graph, paths, devices);
  std::vector<int> positions(devices.size());
  std::iota(positions.begin(), positions.end(), 0);
  return ringOf(scorer, devices, positions);
}

RingOrder bestRing(const Graph& graph, const PathTable& paths, const std::vector<int>& devices) {
  if (devices.size() < 3) return evaluateRing(graph, paths, devices);
  RingScorer scorer(graph, paths, devices);
  const std::vector<int> order =
      devices.size() <= 9 ? exhaustive(scorer, devices.size()) : heuristic(scorer, paths, devices);
  return ringOf(scorer, devices, order);
}

std::vector<int> acceleratorRingPositions(const Graph& graph) {
  const std::vector<int> accelerators = graph.nodesOn(0, NodeKind::Accelerator);
  if (accelerators.empty()) return {};
  const RingOrder ring = bestRing(graph, PathTable(graph), accelerators);
  std::vector<int> positions(accelerators.size());
  for (size_t p = 0; p < ring.devices.size(); ++p)
    positions[std::find(accelerators.begin(), accelerators.end(), ring.devices[p]) - accelerators.begin()] =
        static_cast<int>(p);
  return positions;
}

}  // namespace braid::topo
