// A large collective run as several channels: contiguous parts of the buffer, each the planner's schedule for
// its part over its own set of shared-memory FIFOs, the first driven by the calling thread, the others by the
// communicator's channel helpers (channel_helpers.h). Every rank splits a call alike (the channel
// count is agreed at init), so part c of every rank meets part c of its peers on channel c.
//
// AllReduce, Broadcast and Reduce split at element boundaries into parts that stay contiguous; the other
// collectives lay each rank's block out by rank, so a part of every block would not be contiguous and they keep
// one channel. Reductions are elementwise, so the bits match a single channel's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "algorithms/collective.h"
#include "exec/channel_helpers.h"
#include "exec/schedule_cache.h"
#include "exec/schedule_run.h"

namespace braid {

// A communicator's collective channels: its own collective channel, driven by the calling thread, and the
// extra ones (FIFOs to the local peers, a set each), driven by helpers; no extra ones with a single channel.
struct CollectiveChannels {
  ChannelConnections& first;
  std::vector<ChannelConnections>& extra;
  ChannelHelpers* helpers;
  int count() const { return helpers ? helpers->count() + 1 : 1; }
};

class ChannelsRun : public Run {
 public:
  // Each channel gets at least this much of a call, so that its own pipeline pays for itself.
  static constexpr size_t kMinBytesPerChannel = 512 * 1024;
  // How many of `available` channels a collective of `shape` runs on (1: the usual single run).
  static int channelsFor(int available, const CollectiveShape& shape, Protocol protocol, size_t elementSize);

  ChannelsRun() = default;
  ~ChannelsRun() override { stop(); }
  // The parts' schedules for a collective of `shape` on `parts` of `channels` (from `schedules`, over `nodes`);
  // returns the scratch bytes they need together (each part's scratch starts 64-byte aligned, and so does what
  // follows them).
  size_t plan(const CollectiveChannels& channels, ScheduleCache& schedules,
              const std::shared_ptr<const NodeLayout>& nodes, const CollectiveShape& shape, size_t elementSize,
              int parts);
  // Starts every part on the planned schedules, `scratch` holding plan()'s bytes; `tag`: the call's
  // (exec/call_tag.h), on every part's streams.
  void start(const char* input, char* output, char* scratch, ReduceFn reduce, uint64_t tag);
  // Tells observers[c] (none where the vector is shorter) of part c's traffic in the runs started from now on.
  void observe(std::vector<StepObserver*> observers) { observers_ = std::move(observers); }
  // Stops the helpers' parts (a failed or abandoned launch) and waits until they let go of the buffers.
  void stop();

  Progress progress() override;
  std::string describeWait() const override;
  void checkPeers() const override;  // the calling thread's part; helpers check their parts' peers

 private:
  ChannelConnections* first_ = nullptr;
  std::vector<ChannelConnections>* extra_ = nullptr;
  ChannelHelpers* helpers_ = nullptr;
  size_t elementSize_ = 1;
  std::vector<std::shared_ptr<const Schedule>> schedules_;
  std::vector<size_t> firstElement_, scratchOffset_;
  std::vector<ScheduleRun> runs_;
  std::vector<StepObserver*> observers_;
  std::vector<uint64_t> helperMoves_;
  bool ownFinished_ = false, helpersRunning_ = false;
};

}  // namespace braid
