// How a rank waits when none of its transfers can move: spin briefly (lowest latency when the peer runs on
// another core), then yield the core (peers sharing it get to run), then sleep so that long waits cost
// nothing: on its doorbell where peers wake it (all ranks on this host), else in short naps (peers over the
// network cannot ring). Ranks outnumbering cores therefore still make progress quickly.
#pragma once

#include <sched.h>
#include <time.h>

#include <chrono>

#include "base/doorbell.h"

namespace braid {

class IdleWaiter {
 public:
  // With more ranks on the host than cores, spinning only burns the time slice the peer needs: yield at once.
  IdleWaiter(bool oversubscribed, Doorbell* doorbell)
      : spinRounds_(oversubscribed ? 1 : kSpinRounds), doorbell_(doorbell) {}
  ~IdleWaiter() { moved(); }
  IdleWaiter(const IdleWaiter&) = delete;
  IdleWaiter& operator=(const IdleWaiter&) = delete;

  void moved() {
    idleRounds_ = 0;
    if (!announced_) return;
    announced_ = false;
    doorbell_->withdrawSleep();
  }

  // The clock starts once spinning is over: most waits end within the spin, and reading the clock (~20 ns)
  // is a tenth of a small collective's time.
  void wait() {
    ++idleRounds_;
    if (idleRounds_ == spinRounds_) idleSince_ = std::chrono::steady_clock::now();
    if (idleRounds_ < spinRounds_) {
      __builtin_ia32_pause();
    } else if (idleSeconds() < kYieldSeconds) {
      sched_yield();
    } else if (doorbell_ && !announced_) {
      // The caller looks at its transfers once more before the first sleep, so a peer's progress after that look
      // rings (up to the race doorbell.h bounds).
      announced_ = true;
      rings_ = doorbell_->announceSleep();
    } else if (doorbell_) {
      rings_ = doorbell_->sleep(rings_);
    } else {
      timespec nap{0, 50 * 1000};
      nanosleep(&nap, nullptr);
    }
  }

  double idleSeconds() const {
    if (idleRounds_ < spinRounds_) return 0;
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - idleSince_).count();
  }

  // True about every 100 ms of continuous idling: time for liveness and timeout checks.
  bool checkDue() {
    if (idleRounds_ < spinRounds_) return false;
    double idle = idleSeconds();
    if (idle - lastCheck_ < 0.1 && idle >= lastCheck_) return false;
    lastCheck_ = idle;
    return true;
  }

 private:
  static constexpr unsigned kSpinRounds = 64;
  static constexpr double kYieldSeconds = 0.005;
  unsigned spinRounds_;
  unsigned idleRounds_ = 0;
  Doorbell* doorbell_;
  bool announced_ = false;
  uint32_t rings_ = 0;
  double lastCheck_ = 0;
  std::chrono::steady_clock::time_point idleSince_;
};

}  // namespace braid
