#include "algorithms/tree.h"

#include <algorithm>
#include <vector>

#include "algorithms/placement.h"
#include "algorithms/ring.h"

namespace braid {
namespace {

struct TreeNode {
  int parent = -1;
  std::vector<int> children;
};

// A binary tree over n members in a row (ranks in ring order, or nodes) in which every subtree is a run of
// neighbouring members: a run's middle member is its root, each half a subtree. So a subtree stays within
// a NUMA node, a device group or a leaf switch wherever its run does, and only runs that straddle a boundary
// cross it. The row is circular: tree position t holds member (t + shift) mod n, so any member can be the root;
// the second tree of a double binary tree shifts by one more, which makes the inner members of one tree leaves
// of the other but for at most two (n <= 64).
struct RowTree {
  int n, shift;
  static RowTree rootedAt(int n, int root) { return {n, root - n / 2}; }
  int member(int t) const { return ((t + shift) % n + n) % n; }
  TreeNode around(int member) const {
    const int t = ((member - shift) % n + n) % n;
    TreeNode node;
    int lo = 0, hi = n, mid = n / 2;
    while (t != mid) {
      node.parent = this->member(mid);
      if (t < mid) hi = mid;
      else lo = mid + 1;
      mid = lo + (hi - lo) / 2;
    }
    if (lo < mid) node.children.push_back(this->member(lo + (mid - lo) / 2));
    if (mid + 1 < hi) node.children.push_back(this->member(mid + 1 + (hi - mid - 1) / 2));
    return node;
  }
};

// Node k's ranks in ring order: reversed for the second tree; starting at the root in the root's node.
std::vector<int> chainOf(const NodeLayout& layout, int k, int root, bool second) {
  std::vector<int> chain;
  for (int r : layout.ringOrder)
    if (layout.nodeOf[r] == k) chain.push_back(r);
  if (second) std::reverse(chain.begin(), chain.end());
  if (root >= 0 && layout.nodeOf[root] == k)
    std::rotate(chain.begin(), std::find(chain.begin(), chain.end(), root), chain.end());
  return chain;
}

// This rank's place in the tree rooted at `root` (-1: any rank may be the root, as for the AllReduce); `second`:
// the second tree of a double binary tree.
TreeNode nodeOf(int rank, int n, int root, bool second, const NodeLayout* layout) {
  if (!layout || layout->members.size() < 2 || static_cast<int>(layout->ringOrder.size()) != n) {
    const RowTree tree = RowTree::rootedAt(n, std::max(root, 0));  // one tree over the ranks in a row
    return (second ? RowTree{n, tree.shift + 1} : tree).around(rank);
  }
  const int nodes = static_cast<int>(layout->members.size());
  RowTree tree = RowTree::rootedAt(nodes, root >= 0 ? layout->nodeOf[root] : 0);
  if (second) ++tree.shift;
  const int k = layout->nodeOf[rank];
  const std::vector<int> chain = chainOf(*layout, k, root, second);
  const size_t j = std::find(chain.begin(), chain.end(), rank) - chain.begin();
  TreeNode node;
  if (j == 0) {
    const TreeNode across = tree.around(k);
    if (across.parent >= 0) node.parent = chainOf(*layout, across.parent, root, second).front();
    for (int childNode : across.children) node.children.push_back(chainOf(*layout, childNode, root, second).front());
  } else {
    node.parent = chain[j - 1];
  }
  if (j + 1 < chain.size()) node.children.push_back(chain[j + 1]);
  return node;
}

// Reduces the subtree's data into `into` (which holds this rank's input, or is filled from `input` by the first
// child's contribution) and sends it up; returns the last step that touches this rank's data.
int reduceUp(Schedule& s, const TreeNode& node, Region input, Region into, size_t count) {
  int last = -1;
  Region acc = input;
  for (int child : node.children) {
    last = s.add({StepKind::RecvReduce, child, acc, into, count, last});
    acc = into;
  }
  if (node.parent >= 0) last = s.add({StepKind::Send, node.parent, acc, {}, count, last});
  return last;
}

Schedule treeBroadcast(int rank, int n, int root, size_t count, const NodeLayout* nodes = nullptr) {
  Schedule s;
  const TreeNode node = nodeOf(rank, n, root, false, nodes);
  const Region send{kSendBuffer, 0}, recv{kRecvBuffer, 0};
  int received = -1;
  Region from = send;
  if (node.parent < 0) {
    s.add({StepKind::Copy, -1, send, recv, count, -1});
  } else {
    received = s.add({StepKind::Recv, node.parent, {}, recv, count, -1});
    from = recv;
  }
  for (int child : node.children) s.add({StepKind::Send, child, from, {}, count, received});
  return s;
}

Schedule treeReduce(int rank, int n, int root, size_t count, const NodeLayout* nodes = nullptr) {
  Schedule s;
  const TreeNode node = nodeOf(rank, n, root, false, nodes);
  const Region send{kSendBuffer, 0};
  if (node.parent < 0) {
    if (node.children.empty()) s.add({StepKind::Copy, -1, send, {kRecvBuffer, 0}, count, -1});
    reduceUp(s, node, send, {kRecvBuffer, 0}, count);
    return s;
  }
  if (!node.children.empty()) s.scratchCount = count;
  reduceUp(s, node, send, {kScratchBuffer, 0}, count);
  return s;
}

// One tree's AllReduce of elements [offset, offset + count): reduced up to its root, sent back down, each chunk
// as soon as it is final.
void emitTreeAllReduce(Schedule& s, const TreeNode& node, size_t offset, size_t count) {
  const Region send{kSendBuffer, offset}, recv{kRecvBuffer, offset}, scratch{kScratchBuffer, offset};
  if (node.parent < 0) {
    int last = node.children.empty() ? s.add({StepKind::Copy, -1, send, recv, count, -1})
                                     : reduceUp(s, node, send, recv, count);
    for (int child : node.children) s.add({StepKind::Send, child, recv, {}, count, last});
    return;
  }
  const int sentUp = reduceUp(s, node, send, node.children.empty() ? send : scratch, count);
  // In place, the result overwrites the input: only where the input has already gone up.
  const int received = s.add({StepKind::Recv, node.parent, {}, recv, count, sentUp});
  for (int child : node.children) s.add({StepKind::Send, child, recv, {}, count, received});
}

Schedule treeAllReduce(int rank, int n, size_t count, const NodeLayout* nodes = nullptr) {
  // A double binary tree, as NCCL's: each half of the buffer climbs its own tree, the second shifted by one
  // member, so the inner ranks of one tree are mostly leaves of the other and the work spreads evenly.
  Schedule s;
  s.scratchCount = count;
  const Segment first = segmentOf(count, 2, 0), second = segmentOf(count, 2, 1);
  emitTreeAllReduce(s, nodeOf(rank, n, -1, false, nodes), first.offset, first.count);
  emitTreeAllReduce(s, nodeOf(rank, n, -1, true, nodes), second.offset, second.count);
  return s;
}

double treeDepth(int n) { return log2Floor(n) + 1; }

// Within a node a binary tree over the ranks; over several nodes a chain of L ranks in each node under a binary
// tree over the N nodes: `times` passes through L-1 node steps and depth(N) network steps. Only the chains'
// heads talk across the network, so a node's NICs serve one edge, not L ranks at once.
LinkLevel treeLevel(Cost& c, int n, double times) {
  const FabricModel& m = c.m;
  if (!m.multiNode()) {
    c.steps(times * treeDepth(n), m.intra.latencyUs);
    return m.intra;
  }
  c.steps(times * (m.ranksPerNode - 1), m.intra.latencyUs);
  c.steps(times * treeDepth(m.nodes()), m.inter.latencyUs);
  return {m.inter.latencyUs, std::min(m.intra.bandwidthGBps, m.inter.bandwidthGBps)};
}

// A pipeline fill down (or up) the tree, then every inner rank moves the buffer to (or from) two children. With
// ranks sharing cores, the calls wait on every rank getting its turn, where a chain's overlap.
Price rootedCost(double s, const FabricModel& m, bool reduces) {
  Cost c{m};
  const int n = m.nranks;
  const LinkLevel l = treeLevel(c, n, 1);
  if (m.ranksShareCores) c.latencyUs += (n - 1) * m.stepOverheadUs;
  c.wire(2 * s, l.bandwidthGBps);
  if (reduces) c.reduce(2 * s);
  return {c.total()};
}

}  // namespace

namespace tree {

// Over several nodes the tree follows the node layout itself (chains in ring order under a tree of nodes);
// within one, ring positions.
Schedule allReduce(const CollectiveShape& c) {
  if (acrossNodes(c)) return treeAllReduce(c.rank, c.nranks, c.count, c.nodes.get());
  return overRingPositions(c, [&](int p) { return treeAllReduce(p, c.nranks, c.count); });
}

Schedule broadcast(const CollectiveShape& c) {
  if (acrossNodes(c)) return treeBroadcast(c.rank, c.nranks, c.root, c.count, c.nodes.get());
  const int root = positionIn(ringOrderOf(c), c.root);
  return overRingPositions(c, [&](int p) { return treeBroadcast(p, c.nranks, root, c.count); });
}

Schedule reduce(const CollectiveShape& c) {
  if (acrossNodes(c)) return treeReduce(c.rank, c.nranks, c.root, c.count, c.nodes.get());
  const int root = positionIn(ringOrderOf(c), c.root);
  return overRingPositions(c, [&](int p) { return treeReduce(p, c.nranks, root, c.count); });
}

// A double binary tree: each half climbs one tree; a rank is inner in one tree (two children) and a leaf of the
// other, so it sends about 2x its buffer (half up, twice half down, half up the other tree) and adds S.
Price allReduceCost(double s, const FabricModel& m) {
  Cost c{m};
  const int n = m.nranks;
  const LinkLevel l = treeLevel(c, n, 2);  // up and down, pipelined chunk by chunk
  c.wire(n > 2 ? 2 * s : s, l.bandwidthGBps);
  c.reduce(n > 2 ? s : s / 2);
  return {c.total()};
}

Price broadcastCost(double s, const FabricModel& m) { return rootedCost(s, m, false); }
Price reduceCost(double s, const FabricModel& m) { return rootedCost(s, m, true); }

}  // namespace tree

}  // namespace braid
