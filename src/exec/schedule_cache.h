// Built schedules, kept per communicator and reused: applications repeat the same few collectives (one
// gradient bucket size, one barrier), and building a schedule allocates. Keyed by everything a schedule
// depends on besides the communicator (kind, count, root, algorithm, rail variant); AlltoAllv, whose shape
// carries per-peer counts, is built each time. The communicator's node layout (rings go node by node,
// hierarchies need it) is added to the shape only when a schedule is built, not on every call. Used under the
// executionMutex.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <tuple>

#include "algorithms/collective.h"

namespace braid {

class ScheduleCache {
 public:
  std::shared_ptr<const Schedule> get(const CollectiveShape& shape, const std::shared_ptr<const NodeLayout>& nodes);

 private:
  static constexpr size_t kCapacity = 256;  // then it starts over: bounded memory for programs of many shapes
  using Key = std::tuple<int, size_t, int, int, bool>;
  std::map<Key, std::shared_ptr<const Schedule>> schedules_;
};

}  // namespace braid
