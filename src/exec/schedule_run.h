// Runs one rank's schedule over a channel's connections without ever blocking: progress() moves whatever data
// can move now and reports whether everything is finished. Callers drive many runs (several communicators,
// collectives and point-to-point groups) from one loop and decide how to wait.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "algorithms/schedule.h"
#include "device/host/host_reduce.h"
#include "exec/run.h"
#include "exec/step_observer.h"
#include "transports/transport.h"

namespace braid {

class ScheduleRun : public Run {
 public:
  // `buffers[i]` is the memory of buffer slot i; `elementSize` converts element counts to bytes. `tag`: the
  // call's (exec/call_tag.h), sent ahead of the data to each peer and checked ahead of the data from each, or
  // kNoCallTag for exchanges that are no user's collective.
  ScheduleRun(const Schedule& schedule, const std::vector<char*>& buffers, size_t elementSize, ReduceFn reduce,
              ChannelConnections& connections, uint64_t tag);
  ScheduleRun() = default;  // runs nothing until start()
  // Runs `schedule` from its beginning, reusing this run's memory: a collective repeated on a run kept for the
  // purpose allocates nothing. `schedule` and `connections` must outlive the run.
  void start(const Schedule& schedule, const std::vector<char*>& buffers, size_t elementSize, ReduceFn reduce,
             ChannelConnections& connections, uint64_t tag);

  // Tells `observer` (null: nobody) of the traffic of the runs started from now on.
  void observe(StepObserver* observer) { observer_ = observer; }

  Progress progress() override;
  std::string describeWait() const override;  // the first unfinished step
  void checkPeers() const override;

 private:
  struct Queue {
    std::vector<int> steps;  // step indices in issue order
    size_t head = 0;
    size_t tagBytes = 0;   // of the call's tag block, sent or received ahead of the steps (all when untagged)
    uint64_t tagSeen = 0;  // a receive's: the tag as it arrives
  };
  bool advanceSend(int peer);
  bool advanceRecv(int peer);
  // True once the call's tag is out to / in from `peer` (at once when untagged).
  bool sendTag(int peer, Queue& q, bool& moved);
  bool recvTag(int peer, Queue& q, bool& moved);
  bool advanceLocal(int index);
  // The step at the head of `q` is done: tells the observer, and of the next step.
  void stepDone(int peer, bool isSend, const Queue& q);
  size_t limitBytes(const Step& step) const;  // bytes this step may process now
  char* address(const Region& region) const { return buffers_[region.buffer] + region.offset * elementSize_; }
  const std::vector<Step>& steps() const { return schedule_->steps; }

  const Schedule* schedule_ = nullptr;
  std::vector<char*> buffers_;
  size_t elementSize_ = 1;
  ReduceFn reduce_ = nullptr;
  ChannelConnections* connections_ = nullptr;
  StepObserver* observer_ = nullptr;
  uint64_t tag_ = 0;
  // The tag goes as a 64-byte block (the rest zeros), so that the data after it stays as aligned in a transport's
  // slot as without it: reductions then read whole cache lines.
  static constexpr size_t kTagBlockBytes = 64;
  alignas(64) uint64_t tagBlock_[kTagBlockBytes / sizeof(uint64_t)] = {};
  bool sendFirst_ = false;  // a tagged run's first progress() sends before it receives
  std::vector<size_t> doneBytes_;
  std::vector<Queue> sendQueues_, recvQueues_;
  std::vector<int> activePeers_;
  std::vector<int> localSteps_;
  size_t finishedSteps_ = 0;
  bool streamed_ = false;         // some output went out with streaming stores: fence them before finishing
  std::vector<uint64_t> bounce_;  // aligned copy of a misaligned incoming chunk
};

}  // namespace braid
