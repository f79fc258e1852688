#include "exec/rail_counts_run.h"

#include "algorithms/hierarchical.h"
#include "exec/call_tag.h"

namespace braid {

bool RailCountsRun::needed(const CollectiveShape& shape) {
  return shape.kind == CollectiveKind::AlltoAllv && shape.algorithm == Algorithm::Hierarchical;
}

RailCountsRun::RailCountsRun(const CollectiveShape& shape, std::shared_ptr<const NodeLayout> nodes,
                             ChannelConnections& channel)
    : shape_(shape),
      exchange_(railCountsExchange(shape.rank, *nodes)),
      out_(railCountsToSend(shape.rank, *nodes, shape.sendCounts)),
      in_(out_.size()) {
  shape_.nodes = std::move(nodes);
  run_.start(exchange_, {reinterpret_cast<char*>(out_.data()), reinterpret_cast<char*>(in_.data())}, sizeof(uint64_t),
             nullptr, channel, kNoCallTag);
}

std::shared_ptr<const Schedule> RailCountsRun::schedule() const {
  CollectiveShape shape = shape_;
  shape.railCounts.assign(in_.begin(), in_.end());
  return std::make_shared<const Schedule>(buildSchedule(shape));
}

}  // namespace braid
