#include "algorithms/tree.h"

#include <vector>

#include "algorithms/ring.h"

namespace braid {
namespace {

// Rank `rank`'s place in the binary heap rooted at `root`: position 0 is the root, children 2i+1 and 2i+2.
struct TreeNode {
  int parent = -1;
  std::vector<int> children;
};

// `mirrored` numbers the heap from the last rank down instead (the second tree of a double binary tree).
TreeNode nodeOf(int rank, int n, int root, bool mirrored = false) {
  const int position = mirrored ? n - 1 - rank : ((rank - root) % n + n) % n;
  auto rankAt = [&](int p) { return mirrored ? n - 1 - p : (p + root) % n; };
  TreeNode node;
  if (position > 0) node.parent = rankAt((position - 1) / 2);
  for (int child : {2 * position + 1, 2 * position + 2})
    if (child < n) node.children.push_back(rankAt(child));
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

Schedule treeBroadcast(int rank, int n, int root, size_t count) {
  Schedule s;
  const TreeNode node = nodeOf(rank, n, root);
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

Schedule treeReduce(int rank, int n, int root, size_t count) {
  Schedule s;
  const TreeNode node = nodeOf(rank, n, root);
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

Schedule treeAllReduce(int rank, int n, size_t count) {
  // A double binary tree, as NCCL's: each half of the buffer climbs its own tree, the second numbered from the
  // last rank down, so the inner ranks of one tree are mostly leaves of the other and the work spreads evenly.
  Schedule s;
  s.scratchCount = count;
  const Segment first = segmentOf(count, 2, 0), second = segmentOf(count, 2, 1);
  emitTreeAllReduce(s, nodeOf(rank, n, 0), first.offset, first.count);
  emitTreeAllReduce(s, nodeOf(rank, n, 0, true), second.offset, second.count);
  return s;
}

}  // namespace braid
