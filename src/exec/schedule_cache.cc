#include "exec/schedule_cache.h"

namespace braid {

namespace {

std::shared_ptr<const Schedule> build(const CollectiveShape& shape, const std::shared_ptr<const NodeLayout>& nodes) {
  CollectiveShape withNodes = shape;
  withNodes.nodes = nodes;
  return std::make_shared<const Schedule>(buildSchedule(withNodes));
}

}  // namespace

std::shared_ptr<const Schedule> ScheduleCache::get(const CollectiveShape& shape,
                                                   const std::shared_ptr<const NodeLayout>& nodes) {
  if (shape.kind == CollectiveKind::AlltoAllv) return build(shape, nodes);
  const Key key{static_cast<int>(shape.kind), shape.count, shape.root, static_cast<int>(shape.algorithm),
                shape.foldedRails};
  auto found = schedules_.find(key);
  if (found != schedules_.end()) return found->second;
  if (schedules_.size() == kCapacity) schedules_.clear();
  auto schedule = build(shape, nodes);
  schedules_.emplace(key, schedule);
  return schedule;
}

}  // namespace braid
