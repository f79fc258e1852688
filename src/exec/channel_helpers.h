// Helper threads that drive a collective's extra channels (src/exec/channels_run.h). A rank whose cores
// allow runs a large collective as several independent parts, each over its own shared-memory FIFOs: the
// calling thread drives the first, one helper each of the others, so copies and reductions of different parts
// run on different cores at once (the host counterpart of NCCL's channels, which run on different SMs).
//
// Helpers wait on a condition variable between collectives (channels serve only calls of megabytes, so a
// wake-up of some microseconds is noise) and, while a part runs, wait as the calling thread does (spin, yield,
// nap). Each helper checks its part's peers about every 100 ms and stops early when asked, so a dead peer or an
// abort never leaves a helper behind: the collective's owner stops them all before its buffers go.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "base/cpu_affinity.h"
#include "base/doorbell.h"
#include "exec/run.h"

namespace braid {

class ChannelHelpers {
 public:
  // `count` threads; helper h binds itself to core `firstCore + h` when `affinity` binds (cpu_affinity.h);
  // `doorbell` (may be null) is rung when a part ends, for a calling thread that sleeps on it.
  ChannelHelpers(int count, bool oversubscribed, Doorbell* doorbell, CpuAffinity affinity, int firstCore);
  ~ChannelHelpers();
  ChannelHelpers(const ChannelHelpers&) = delete;
  ChannelHelpers& operator=(const ChannelHelpers&) = delete;

  int count() const { return static_cast<int>(helpers_.size()); }
  // Hands `run` to helper h, which drives it until it finishes, fails or is stopped.
  void start(int h, Run* run);
  // Whether helper h's part is over; rethrows what it failed with. `moves` counts its progress so far.
  bool finished(int h, uint64_t* moves) const;
  // Stops every part still running and waits until no helper touches its run any more.
  void stopAll();

 private:
  struct Helper {
    std::thread thread;
    std::mutex mutex;
    std::condition_variable changed;
    Run* run = nullptr;  // the part to drive; null when idle
    bool quit = false;
    std::atomic<bool> stop{false};  // the owner wants the part over
    std::atomic<bool> over{true};   // the part ended (finished, failed or stopped)
    std::atomic<uint64_t> moves{0};
    std::exception_ptr error;  // written before `over` is set
  };
  void serve(Helper& helper, CpuAffinity affinity, int core);
  void drive(Helper& helper, Run& run);

  bool oversubscribed_;
  Doorbell* doorbell_;
  std::vector<std::unique_ptr<Helper>> helpers_;
};

}  // namespace braid
