#include "runtime/launch_driver.h"

#include <mutex>

#include "bootstrap/status_service.h"

namespace braid {

void checkNotStopped(const ncclComm* comm) {
  if (comm->stopping.load()) fail(ncclInvalidUsage, comm->stopReason());
  if (comm->peerFailed.load()) fail(ncclRemoteError, comm->peerFailureMessage());
}

void reportWait(ncclComm* comm, const IdleWaiter& waiter, const std::string& waiting) {
  {
    std::lock_guard<std::mutex> lock(comm->waitingMutex);
    comm->waiting = waiting;
  }
  const double timeout = comm->timeoutSeconds;
  if (timeout > 0 && waiter.idleSeconds() > timeout) {
    std::string message =
        "no progress for " + std::to_string(static_cast<int>(timeout)) + " s (BRAID_TIMEOUT): " + waiting;
    // Rank 0 asks every peer how far it got, and names the ranks that never arrived.
    if (comm->rank == 0 && comm->nranks > 1)
      message += "; " + clusterSummary(*comm->bootstrap, comm->collectivesIssued.load());
    fail(ncclTimeout, message);
  }
}

Doorbell* doorbellOf(const ncclComm* comm) { return comm->mailbox ? &comm->mailbox->ownDoorbell() : nullptr; }

void wakeSleepingPeersOf(const ncclComm* comm) {
  if (comm->mailbox) comm->mailbox->wakeSleepingPeers();
}

void enterLaunch(ncclComm* comm) { comm->inLaunch.store(true, std::memory_order_relaxed); }

// Runs with the executionMutex still held, and only its holders write `waiting`: reading it needs no lock.
void leaveLaunch(ncclComm* comm) {
  comm->inLaunch.store(false, std::memory_order_relaxed);
  if (comm->waiting.empty()) return;
  std::lock_guard<std::mutex> lock(comm->waitingMutex);
  comm->waiting.clear();
}

std::string rankPrefix(const ncclComm* comm) { return "rank " + std::to_string(comm->rank) + ": "; }

std::string collectiveWaitingAt(const CollectiveCall& c, const Run& run) {
  return collectiveName(c.shape.kind) + std::string(" waiting at ") + run.describeWait();
}

}  // namespace braid
