// A collective issued alone on the NULL stream that takes the LL protocol runs straight from the caller's
// thread: for a call of ~0.2 us, executeWork's work lists, per-communicator launch state and collective state
// machine cost a fifth of the time. It waits, checks its peers and fails as every launch does (drive).
#include <mutex>

#include "device/datatype.h"
#include "device/host/host_reduce.h"
#include "exec/low_latency_run.h"
#include "runtime/call_plan.h"
#include "runtime/collective_check.h"
#include "runtime/launch.h"
#include "runtime/launch_driver.h"

namespace braid {
namespace {

class LoneLowLatency {
 public:
  LoneLowLatency(ncclComm* comm, const CollectiveCall& c)
      : comm_(comm),
        call_(c),
        run_(*comm->mailbox, ++comm->lowLatencyIssued, callTagOf(*comm, c), c.shape, dataTypeSize(c.type),
             reduceFunction(c.type, c.op.kind), static_cast<const char*>(c.sendbuff), static_cast<char*>(c.recvbuff)) {
    enterLaunch(comm);
  }
  ~LoneLowLatency() { leaveLaunch(comm_); }
  LoneLowLatency(const LoneLowLatency&) = delete;
  LoneLowLatency& operator=(const LoneLowLatency&) = delete;

  // What drive() asks of a launch (launch_driver.h).
  void checkNotStopped() const { braid::checkNotStopped(comm_); }
  bool advance(bool& moved) {
    const Run::Progress p = run_.progress();
    moved |= p.moved;
    return !p.finished;
  }
  void wakeSleepingPeers() const { wakeSleepingPeersOf(comm_); }
  void checkHealth(const IdleWaiter& waiter) const {
    braid::checkHealth(comm_, waiter, rankPrefix(comm_) + collectiveWaitingAt(call_, run_), [&] { run_.checkPeers(); });
  }
  void recordError(const Error& e) const { comm_->recordError(e.code(), e.what(), e.breaksCommunicator()); }
  int rank() const { return comm_->rank; }

 private:
  ncclComm* comm_;
  const CollectiveCall& call_;
  LowLatencyRun run_;
};

}  // namespace

bool executeAlone(ncclComm* comm, const CollectiveCall& call) {
  if (!runsAlone(*comm, call)) return false;
  std::lock_guard<std::mutex> lock(comm->executionMutex);
  bump(comm->collectivesIssued);
  LoneLowLatency launch(comm, call);
  IdleWaiter waiter(comm->oversubscribed, doorbellOf(comm));
  drive(launch, waiter);
  bump(comm->collectivesCompleted);
  return true;
}

}  // namespace braid
