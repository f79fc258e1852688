// What the launch loop drives for each communicator: a schedule over the transports (ScheduleRun) or a
// low-latency collective over the shared-memory mailboxes (LowLatencyRun). Runs never block: progress() moves
// what can move now; the caller decides how to wait.
#pragma once

#include <string>

namespace braid {

class Run {
 public:
  struct Progress {
    bool finished;
    bool moved;  // some data moved during this call
  };
  virtual ~Run() = default;
  virtual Progress progress() = 0;
  // What the run waits for, for diagnostics: "step 3 (recv from rank 2): 1024 of 4096 bytes".
  virtual std::string describeWait() const = 0;
  // Asks the peers this run waits on whether they are still alive (throws ncclRemoteError when not).
  virtual void checkPeers() const = 0;
};

}  // namespace braid
