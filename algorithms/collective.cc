#include "algorithms/collective.h"

#include "algorithms/direct.h"
#include "algorithms/ring.h"

namespace braid {

const char* collectiveName(CollectiveKind kind) {
  switch (kind) {
    case CollectiveKind::AllReduce: return "AllReduce";
    case CollectiveKind::Broadcast: return "Broadcast";
    case CollectiveKind::Reduce: return "Reduce";
    case CollectiveKind::AllGather: return "AllGather";
    case CollectiveKind::ReduceScatter: return "ReduceScatter";
    case CollectiveKind::AlltoAll: return "AlltoAll";
    case CollectiveKind::AlltoAllv: return "AlltoAllv";
    case CollectiveKind::Gather: return "Gather";
    case CollectiveKind::Scatter: return "Scatter";
  }
  return "?";
}

Schedule buildSchedule(const CollectiveShape& c) {
  switch (c.kind) {
    case CollectiveKind::AllReduce: return ringAllReduce(c.rank, c.nranks, c.count);
    case CollectiveKind::Broadcast: return chainBroadcast(c.rank, c.nranks, c.root, c.count);
    case CollectiveKind::Reduce: return chainReduce(c.rank, c.nranks, c.root, c.count);
    case CollectiveKind::AllGather: return ringAllGather(c.rank, c.nranks, c.count);
    case CollectiveKind::ReduceScatter: return ringReduceScatter(c.rank, c.nranks, c.count);
    case CollectiveKind::AlltoAll: return directAlltoAll(c.rank, c.nranks, c.count);
    case CollectiveKind::AlltoAllv:
      return directAlltoAllv(c.rank, c.nranks, c.sendCounts, c.sendDispls, c.recvCounts, c.recvDispls);
    case CollectiveKind::Gather: return directGather(c.rank, c.nranks, c.root, c.count);
    case CollectiveKind::Scatter: return directScatter(c.rank, c.nranks, c.root, c.count);
  }
  return {};
}

}  // namespace braid
