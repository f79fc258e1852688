// A communicator's profiler events during one launch (runtime/profiler.h): the Group of its work, each
// collective's Coll with the traffic and steps of its schedule (NCCL's ProxyOp and ProxyStep, one observer per
// channel), and its point-to-point calls' P2p with theirs. Does nothing for a communicator without a session.
#pragma once

#include <cstdint>
#include <vector>

#include "exec/step_observer.h"
#include "runtime/call_plan.h"
#include "runtime/profiler.h"
#include "runtime/work.h"

namespace braid {

// One channel's traffic as ProxyOp events, each step a ProxyStep inside it.
class ProfiledSteps : public StepObserver {
 public:
  void reset(ProfilerSession* session, int channel, int nranks, void* parent);
  // The traffic with `peer` in one direction hangs under the first call that gives it a parent.
  void setParentOnce(int peer, bool isSend, void* parent) {
    Slot& s = slot(peer, isSend);
    if (!s.parentSet) s.parent = parent, s.parentSet = true;
  }
  void trafficStarted(int peer, bool isSend, int steps, size_t firstStepBytes) override;
  void stepStarted(int peer, bool isSend, int step, size_t bytes) override;
  void stepMoving(int peer, bool isSend) override;
  void stepFinished(int peer, bool isSend, bool last) override;
  void stopAll();  // what a failed run left open

 private:
  struct Slot {
    void* parent = nullptr;
    bool parentSet = false;  // by setParentOnce
    void* traffic = nullptr;
    void* step = nullptr;
    size_t stepBytes = 0;
  };
  Slot& slot(int peer, bool isSend) { return slots_[2 * peer + (isSend ? 1 : 0)]; }
  ProfilerSession* session_ = nullptr;
  int channel_ = 0;
  std::vector<Slot> slots_;
};

class LaunchProfile {
 public:
  // The launch of `work` begins: its Group, and the P2p events of its point-to-point calls.
  void begin(const CommWork& work);
  bool active() const { return session_ != nullptr; }
  // A collective starts as `plan` says: its Coll. Its schedule's observers for `channels` channels follow.
  void collectiveStarted(const CollectiveCall& call, const RunPlan& plan, uint64_t sequence);
  std::vector<StepObserver*> collectiveObservers(int channels);
  void collectiveFinished();
  StepObserver* pointToPointObserver() { return session_ ? &pointToPointSteps_ : nullptr; }
  void pointToPointFinished();
  void end();  // stops what is still open (a failed launch)

 private:
  ProfilerSession* session_ = nullptr;
  const CommWork* work_ = nullptr;
  void* group_ = nullptr;
  void* collective_ = nullptr;
  std::vector<void*> pointToPoint_;
  std::vector<ProfiledSteps> channels_;
  ProfiledSteps pointToPointSteps_;
};

}  // namespace braid
