// How a launch runs to its end (drive): it moves what can move, wakes the peers that sleep, and while nothing
// moves waits (IdleWaiter), checking about every 100 ms that the communicators were not aborted, their peers
// live and no timeout has passed. Two kinds of launch use it: work lists over any number of communicators
// (executeWork, launch.cc) and a lone LL collective run straight from the caller's thread (lone_launch.cc).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "base/error.h"
#include "base/idle_waiter.h"
#include "base/log.h"
#include "exec/run.h"
#include "runtime/communicator.h"
#include "runtime/work.h"

namespace braid {

// Counts on one of a communicator's progress counters, which only the holder of its executionMutex writes
// (so no locked instruction); returns the new count.
inline uint64_t bump(std::atomic<uint64_t>& counter) {
  const uint64_t count = counter.load(std::memory_order_relaxed) + 1;
  counter.store(count, std::memory_order_relaxed);
  return count;
}

// Throws when work on `comm` must end: it was aborted or revoked, or a peer told of its failure.
void checkNotStopped(const ncclComm* comm);
// Publishes what a stalled communicator waits for, and fails once it has waited longer than its timeout.
void reportWait(ncclComm* comm, const IdleWaiter& waiter, const std::string& waiting);
// Where a launch on `comm` sleeps: its doorbell, when peers ring it (all ranks on this host).
Doorbell* doorbellOf(const ncclComm* comm);
// After this rank moved data: peers that sleep waiting for it wake.
void wakeSleepingPeersOf(const ncclComm* comm);
// A communicator counts as in a launch (for status reports) while one drives it; what it waited for goes when
// the launch ends.
void enterLaunch(ncclComm* comm);
void leaveLaunch(ncclComm* comm);
// "rank 3: ", and "AllReduce waiting at LL line 1 of 1 (from rank 1)": what a stalled launch reports.
std::string rankPrefix(const ncclComm* comm);
std::string collectiveWaitingAt(const CollectiveCall& c, const Run& run);

// The check a stalled launch makes for one communicator: not aborted, the peers its runs wait on alive
// (`checkPeers` throws when one died), and not waiting past its timeout; `waiting` says what it waits for.
template <class CheckPeers>
void checkHealth(ncclComm* comm, const IdleWaiter& waiter, const std::string& waiting, CheckPeers checkPeers) {
  checkNotStopped(comm);
  try {
    checkPeers();
  } catch (const Error& e) {
    throw Error(e.code(), std::string(e.what()) + " (" + waiting + ")", e.breaksCommunicator());
  }
  reportWait(comm, waiter, waiting);
}

// Runs `launch` to its end, or throws its error after recording it on every communicator of the launch.
// What `Launch` provides:
//   void checkNotStopped()                throws when a communicator was aborted or revoked, or a peer failed
//   bool advance(bool& moved)             moves what can move now; whether anything is left
//   void wakeSleepingPeers()
//   void checkHealth(const IdleWaiter&)   throws when a peer died or a timeout passed
//   void recordError(const Error&)        on every communicator of the launch
//   int rank()                            for the log
template <class Launch>
void drive(Launch& launch, IdleWaiter& waiter) {
  try {
    launch.checkNotStopped();
    for (;;) {
      bool moved = false;
      const bool pending = launch.advance(moved);
      if (moved) launch.wakeSleepingPeers();
      if (!pending) return;
      if (moved) {
        waiter.moved();
        continue;
      }
      waiter.wait();
      // Abort, revoke and peers' failure notices are flags: seen after every wait, not only at health checks.
      launch.checkNotStopped();
      if (!waiter.checkDue()) continue;
      try {
        launch.checkHealth(waiter);
      } catch (const Error& e) {
        // A peer that delivered everything and then left is no failure: what it sent is still in the
        // transport. Look once more before judging.
        if (e.code() != ncclRemoteError) throw;
        bool movedAgain = false;
        const bool stillPending = launch.advance(movedAgain);
        if (movedAgain) launch.wakeSleepingPeers();
        if (!stillPending) return;
        if (!movedAgain) throw;
        waiter.moved();
      }
    }
  } catch (const Error& e) {
    // The launch failed as a whole; every communicator in it reports the error.
    launch.recordError(e);
    BRAID_WARN("COLL", "rank %d: %s", launch.rank(), e.what());
    throw;
  }
}

}  // namespace braid
