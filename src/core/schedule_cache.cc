#include "core/schedule_cache.h"

namespace braid {

std::shared_ptr<const Schedule> ScheduleCache::get(const CollectiveShape& shape) {
  if (shape.kind == CollectiveKind::AlltoAllv) return std::make_shared<const Schedule>(buildSchedule(shape));
  const Key key{static_cast<int>(shape.kind), shape.count, shape.root, static_cast<int>(shape.algorithm)};
  auto found = schedules_.find(key);
  if (found != schedules_.end()) return found->second;
  if (schedules_.size() == kCapacity) schedules_.clear();
  auto schedule = std::make_shared<const Schedule>(buildSchedule(shape));
  schedules_.emplace(key, schedule);
  return schedule;
}

}  // namespace braid
