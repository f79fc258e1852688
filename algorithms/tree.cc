#include "algorithms/tree.h"

#include <algorithm>
#include <vector>

#include "algorithms/collective.h"
#include "algorithms/ring.h"

namespace braid {
namespace {

// Rank `rank`'s place in the binary heap rooted at `root`: position 0 is the root, children 2i+1 and 2i+2.
struct TreeNode {
  int parent = -1;
  std::vector<int> children;
};

// The heap over n members (ranks or nodes) rooted at member `root`: member i's position; `mirrored` numbers
// it from the last member down instead (the second tree of a double binary tree).
struct Heap {
  int n, root;
  bool mirrored;
  int position(int member) const { return mirrored ? n - 1 - member : ((member - root) % n + n) % n; }
  int memberAt(int p) const { return mirrored ? n - 1 - p : (p + root) % n; }
  int parent(int member) const {
    const int p = position(member);
    return p > 0 ? memberAt((p - 1) / 2) : -1;
  }
  std::vector<int> children(int member) const {
    std::vector<int> out;
    for (int child : {2 * position(member) + 1, 2 * position(member) + 2})
      if (child < n) out.push_back(memberAt(child));
    return out;
  }
};

// Node k's ranks in ring order: reversed for the mirrored tree; starting at the root in the root's node.
std::vector<int> chainOf(const NodeLayout& layout, int k, int root, bool mirrored) {
  std::vector<int> chain;
  for (int r : layout.ringOrder)
    if (layout.nodeOf[r] == k) chain.push_back(r);
  if (mirrored) std::reverse(chain.begin(), chain.end());
  if (root >= 0 && layout.nodeOf[root] == k)
    std::rotate(chain.begin(), std::find(chain.begin(), chain.end(), root), chain.end());
  return chain;
}

// This rank's place in the tree rooted at `root` (-1: any rank may be the root, as for the AllReduce).
TreeNode nodeOf(int rank, int n, int root, bool mirrored, const NodeLayout* layout) {
  TreeNode node;
  if (!layout || layout->members.size() < 2 || static_cast<int>(layout->ringOrder.size()) != n) {
    const Heap heap{n, std::max(root, 0), mirrored};
    node.parent = heap.parent(rank);
    node.children = heap.children(rank);
    return node;
  }
  const int nodes = static_cast<int>(layout->members.size());
  const Heap heap{nodes, root >= 0 ? layout->nodeOf[root] : 0, mirrored};
  const int k = layout->nodeOf[rank];
  const std::vector<int> chain = chainOf(*layout, k, root, mirrored);
  const size_t j = std::find(chain.begin(), chain.end(), rank) - chain.begin();
  if (j > 0) {
    node.parent = chain[j - 1];
  } else {
    const int parentNode = heap.parent(k);
    if (parentNode >= 0) node.parent = chainOf(*layout, parentNode, root, mirrored).front();
    for (int childNode : heap.children(k)) node.children.push_back(chainOf(*layout, childNode, root, mirrored).front());
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

}  // namespace

Schedule treeBroadcast(int rank, int n, int root, size_t count, const NodeLayout* nodes) {
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

Schedule treeReduce(int rank, int n, int root, size_t count, const NodeLayout* nodes) {
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

namespace {

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

}  // namespace

Schedule treeAllReduce(int rank, int n, size_t count, const NodeLayout* nodes) {
  // A double binary tree, as NCCL's: each half of the buffer climbs its own tree, the second numbered from the
  // last rank down, so the inner ranks of one tree are mostly leaves of the other and the work spreads evenly.
  Schedule s;
  s.scratchCount = count;
  const Segment first = segmentOf(count, 2, 0), second = segmentOf(count, 2, 1);
  emitTreeAllReduce(s, nodeOf(rank, n, -1, false, nodes), first.offset, first.count);
  emitTreeAllReduce(s, nodeOf(rank, n, -1, true, nodes), second.offset, second.count);
  return s;
}

}  // namespace braid
