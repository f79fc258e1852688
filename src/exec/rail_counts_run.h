// The hierarchical AlltoAllv's first step: each rank's rail forwards what its node's members send along it, in
// amounts only those members know, so before the call's schedule can be built the members of each node
// exchange them (algorithms/hierarchical.h). This run does that over the collective channel, ahead of the
// data in the same byte streams; then schedule() builds the call's schedule from what arrived.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "algorithms/collective.h"
#include "exec/schedule_run.h"

namespace braid {

class RailCountsRun : public Run {
 public:
  // Whether `shape` needs the exchange first.
  static bool needed(const CollectiveShape& shape);
  RailCountsRun(const CollectiveShape& shape, std::shared_ptr<const NodeLayout> nodes, ChannelConnections& channel);

  Progress progress() override { return run_.progress(); }
  std::string describeWait() const override { return "the rail counts at " + run_.describeWait(); }
  void checkPeers() const override { run_.checkPeers(); }
  // Once progress() has finished: the call's schedule.
  std::shared_ptr<const Schedule> schedule() const;

 private:
  CollectiveShape shape_;
  Schedule exchange_;
  std::vector<uint64_t> out_, in_;
  ScheduleRun run_;
};

}  // namespace braid
