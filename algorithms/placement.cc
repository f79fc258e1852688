#include "algorithms/placement.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace braid {

std::vector<int> identityOrder(int n) {
  std::vector<int> order(n);
  for (int r = 0; r < n; ++r) order[r] = r;
  return order;
}

std::vector<int> ringOrderOf(const CollectiveShape& c) {
  if (!c.nodes || static_cast<int>(c.nodes->ringOrder.size()) != c.nranks) return identityOrder(c.nranks);
  return c.nodes->ringOrder;
}

int positionIn(const std::vector<int>& order, int rank) {
  return static_cast<int>(std::find(order.begin(), order.end(), rank) - order.begin());
}

bool acrossNodes(const CollectiveShape& c) { return c.nodes && c.nodes->members.size() > 1; }

const NodeLayout& nodesOf(const CollectiveShape& c, bool equalSizes) {
  if (!c.nodes || static_cast<int>(c.nodes->nodeOf.size()) != c.nranks)
    throw std::invalid_argument(std::string("the hierarchical ") + collectiveName(c.kind) + " needs the node layout");
  if (equalSizes && !c.nodes->uniform())
    throw std::invalid_argument(std::string("the hierarchical ") + collectiveName(c.kind) +
                                " needs nodes of equal size");
  return *c.nodes;
}

}  // namespace braid
