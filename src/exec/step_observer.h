// What a schedule run tells an observer (a profiler plugin's events, runtime/launch_profile.h) as it moves data:
// its traffic with each peer in each direction (NCCL's "proxy operation") and each step of it. A run without an
// observer pays one null test per step.
#pragma once

#include <cstddef>

namespace braid {

class StepObserver {
 public:
  virtual ~StepObserver() = default;
  // Before the first step: `steps` steps to or from `peer`, the first of `firstStepBytes` bytes.
  virtual void trafficStarted(int peer, bool isSend, int steps, size_t firstStepBytes) = 0;
  // Step `step` (counted within this peer's traffic), of `bytes` bytes, is next.
  virtual void stepStarted(int peer, bool isSend, int step, size_t bytes) = 0;
  // Its first bytes moved: a send's went out, a receive's arrived.
  virtual void stepMoving(int peer, bool isSend) = 0;
  // It is done; `last`: so is the traffic.
  virtual void stepFinished(int peer, bool isSend, bool last) = 0;
};

}  // namespace braid
