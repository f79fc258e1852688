// Where a collective's ranks sit, as the schedule builders need it: the order rings and chains visit them (node
// by node, and within a node by NUMA node or along the accelerators' best ring), positions in that order, and
// the node layout the hierarchical and multi-node tree algorithms follow.
#pragma once

#include <vector>

#include "algorithms/collective.h"

namespace braid {

std::vector<int> identityOrder(int nranks);
// The ring order of `c`'s node layout, or 0..n-1 without one.
std::vector<int> ringOrderOf(const CollectiveShape& c);
int positionIn(const std::vector<int>& order, int rank);
// Over several nodes (the tree algorithms take NCCL's multi-node shape there).
bool acrossNodes(const CollectiveShape& c);
// The node layout a hierarchical schedule needs (throws std::invalid_argument without one, or with nodes of
// unequal size when `equalSizes`).
const NodeLayout& nodesOf(const CollectiveShape& c, bool equalSizes);

// rd and rhd pair ranks by number (partners at distance 1, 2, 4, ...), and trees within one node join ranks of
// neighbouring numbers: they run on the ranks' positions in the ring order and map their peers back, so that
// the nearest partners share a node (and NUMA node) however the launcher numbered the ranks, as the cost model
// assumes. Every rank holds the whole vector, so which rank plays which position changes nothing else.
// `build(position)` makes the schedule of the rank at that position.
template <typename Build>
Schedule overRingPositions(const CollectiveShape& c, Build build) {
  const std::vector<int> order = ringOrderOf(c);
  Schedule s = build(positionIn(order, c.rank));
  for (Step& step : s.steps)
    if (step.peer >= 0) step.peer = order[step.peer];
  return s;
}

}  // namespace braid
