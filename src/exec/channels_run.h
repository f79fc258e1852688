// A large collective run as several channels: contiguous parts of the buffer, each the planner's schedule for
// its part over its own set of shared-memory FIFOs, the first driven by the calling thread, the others by the
// communicator's channel helpers (src/core/channel_helpers.h). Every rank splits a call alike (the channel
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

#include "exec/channel_helpers.h"
#include "exec/schedule_run.h"
#include "runtime/work.h"

struct ncclComm;

namespace braid {

class ChannelsRun : public Run {
 public:
  // Each channel gets at least this much of a call, so that its own pipeline pays for itself.
  static constexpr size_t kMinBytesPerChannel = 512 * 1024;
  // How many channels `call` runs on (1: the usual single run).
  static int channelsFor(const ncclComm& comm, const CollectiveCall& call);

  ChannelsRun() = default;
  ~ChannelsRun() override { stop(); }
  // The parts' schedules for `call` on `channels` channels; returns the scratch bytes they need together (each
  // part's scratch starts 64-byte aligned, and so does what follows them).
  size_t plan(ncclComm& comm, const CollectiveCall& call, int channels);
  // Starts every part on the planned schedules, `scratch` holding plan()'s bytes.
  void start(const char* input, char* output, char* scratch, ReduceFn reduce);
  // Stops the helpers' parts (a failed or abandoned launch) and waits until they let go of the buffers.
  void stop();

  Progress progress() override;
  std::string describeWait() const override;
  void checkPeers() const override;  // the calling thread's part; helpers check their parts' peers

 private:
  ncclComm* comm_ = nullptr;
  size_t elementSize_ = 1;
  std::vector<std::shared_ptr<const Schedule>> schedules_;
  std::vector<size_t> firstElement_, scratchOffset_;
  std::vector<ScheduleRun> runs_;
  std::vector<uint64_t> helperMoves_;
  bool ownFinished_ = false, helpersRunning_ = false;
};

}  // namespace braid
