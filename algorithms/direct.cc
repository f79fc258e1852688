#include "algorithms/direct.h"

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

namespace braid {
namespace {

Schedule directAlltoAllv(int rank, int n, const std::vector<size_t>& sendCounts, const std::vector<size_t>& sendDispls,
                         const std::vector<size_t>& recvCounts, const std::vector<size_t>& recvDispls) {
  Schedule s;
  s.add({StepKind::Copy, -1, {kSendBuffer, sendDispls[rank]}, {kRecvBuffer, recvDispls[rank]}, sendCounts[rank], -1});
  // Peers in a rotating order so that at each position every rank sends to a different peer.
  for (int k = 1; k < n; ++k) {
    int to = (rank + k) % n, from = (rank - k + n) % n;
    s.add({StepKind::Send, to, {kSendBuffer, sendDispls[to]}, {}, sendCounts[to], -1});
    s.add({StepKind::Recv, from, {}, {kRecvBuffer, recvDispls[from]}, recvCounts[from], -1});
  }
  return s;
}

Schedule directGather(int rank, int n, int root, size_t count) {
  Schedule s;
  if (rank != root) {
    s.add({StepKind::Send, root, {kSendBuffer, 0}, {}, count, -1});
    return s;
  }
  s.add({StepKind::Copy, -1, {kSendBuffer, 0}, {kRecvBuffer, static_cast<size_t>(root) * count}, count, -1});
  for (int p = 0; p < n; ++p)
    if (p != root) s.add({StepKind::Recv, p, {}, {kRecvBuffer, static_cast<size_t>(p) * count}, count, -1});
  return s;
}

Schedule directScatter(int rank, int n, int root, size_t count) {
  Schedule s;
  if (rank != root) {
    s.add({StepKind::Recv, root, {}, {kRecvBuffer, 0}, count, -1});
    return s;
  }
  s.add({StepKind::Copy, -1, {kSendBuffer, static_cast<size_t>(root) * count}, {kRecvBuffer, 0}, count, -1});
  for (int p = 0; p < n; ++p)
    if (p != root) s.add({StepKind::Send, p, {kSendBuffer, static_cast<size_t>(p) * count}, {}, count, -1});
  return s;
}

}  // namespace

Schedule directAlltoAll(int rank, int n, size_t count) {
  std::vector<size_t> counts(n, count), displs(n);
  for (int p = 0; p < n; ++p) displs[p] = static_cast<size_t>(p) * count;
  return directAlltoAllv(rank, n, counts, displs, counts, displs);
}

namespace direct {

Schedule alltoall(const CollectiveShape& c) { return directAlltoAll(c.rank, c.nranks, c.count); }
Schedule alltoallv(const CollectiveShape& c) {
  return directAlltoAllv(c.rank, c.nranks, c.sendCounts, c.sendDispls, c.recvCounts, c.recvDispls);
}
Schedule gather(const CollectiveShape& c) { return directGather(c.rank, c.nranks, c.root, c.count); }
Schedule scatter(const CollectiveShape& c) { return directScatter(c.rank, c.nranks, c.root, c.count); }

// One step, a message to every peer, (n-1)/n of the data through the rank's links (across nodes, its share of
// the node's NICs).
Price exchangeCost(double s, const FabricModel& m) {
  Cost c{m};
  const int n = m.nranks;
  const LinkLevel l = m.multiNode() ? crossLevel(m) : m.intra;
  c.steps(1, l.latencyUs);
  c.latencyUs += (n - 2) * m.messageOverheadUs;
  c.wire(double(n - 1) / n * s, m.multiNode() ? l.bandwidthGBps : m.intraEgressGBps);
  return {c.total()};
}

}  // namespace direct

Schedule pointToPointGroup(int rank, const std::vector<PointToPointCall>& calls) {
  Schedule s;
  std::vector<size_t> selfSends, selfRecvs;
  for (size_t i = 0; i < calls.size(); ++i) {
    Region own{kFirstUserBuffer + static_cast<int>(i), 0};
    const PointToPointCall& c = calls[i];
    if (c.peer == rank) (c.isSend ? selfSends : selfRecvs).push_back(i);
    else if (c.isSend) s.add({StepKind::Send, c.peer, own, {}, c.bytes, -1});
    else s.add({StepKind::Recv, c.peer, {}, own, c.bytes, -1});
  }
  // Messages to oneself pair up in issue order, like messages to any peer, and become local copies.
  if (selfSends.size() != selfRecvs.size())
    throw std::invalid_argument("a send to self needs a matching recv from self in the same group");
  for (size_t k = 0; k < selfSends.size(); ++k) {
    const PointToPointCall& out = calls[selfSends[k]];
    const PointToPointCall& in = calls[selfRecvs[k]];
    if (out.bytes != in.bytes) throw std::invalid_argument("send to self and recv from self differ in size");
    s.add({StepKind::Copy,
           -1,
           {kFirstUserBuffer + static_cast<int>(selfSends[k]), 0},
           {kFirstUserBuffer + static_cast<int>(selfRecvs[k]), 0},
           out.bytes,
           -1});
  }
  return s;
}

Price pointToPointGroupCost(int rank, const std::vector<PointToPointCall>& calls, const FabricModel& m) {
  Cost c{m};
  double sendUs = 0, recvUs = 0, copyBytes = 0, latency = 0;
  int messages = 0;
  for (const PointToPointCall& call : calls) {
    if (call.peer == rank) {
      if (call.isSend) copyBytes += static_cast<double>(call.bytes);
      continue;
    }
    const LinkLevel link = partnerLevel(m, std::abs(call.peer - rank));
    (call.isSend ? sendUs : recvUs) += static_cast<double>(call.bytes) / (link.bandwidthGBps * 1e3);
    latency = std::max(latency, link.latencyUs);
    ++messages;
  }
  if (messages > 0) c.steps(1, latency);
  c.latencyUs += std::max(messages - 1, 0) * m.messageOverheadUs;
  c.wireUs += std::max(sendUs, recvUs);
  c.wire(copyBytes, m.intra.bandwidthGBps);
  return {c.total()};
}

}  // namespace braid
