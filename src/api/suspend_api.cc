// Suspending a communicator (NCCL 2.29): no work until it resumes, and with NCCL_SUSPEND_MEM the memory it
// allocates on demand is given back (its workspace and cross-memory scratch, regrown on use); what its
// connections and LL mailboxes hold stays, as NCCL keeps its persistent memory. ncclCommMemStats reports both
// shares; on the host device its "GPU memory" is host memory.
#include <mutex>
#include <string>
#include <vector>

#include "api/api_call.h"
#include "exec/direct_run.h"
#include "runtime/communicator.h"

using braid::apiCall;
using braid::fail;

BRAID_API ncclResult_t ncclCommSuspend(ncclComm_t comm, int flags) {
  return apiCall(comm, [&] {
    braid::checkCommunicator(comm, "ncclCommSuspend");
    comm->checkUsable();
    if (flags & ~NCCL_SUSPEND_MEM)
      fail(ncclInvalidArgument,
           "ncclCommSuspend: flags " + std::to_string(flags) + " has unknown bits; accepted: 0 or NCCL_SUSPEND_MEM");
    comm->suspended = true;  // no new work from here
    comm->awaitQueuedWork();
    if (!(flags & NCCL_SUSPEND_MEM)) return;
    std::lock_guard<std::mutex> lock(comm->executionMutex);
    std::vector<char>().swap(comm->workspace);
    comm->scratchReleased = comm->crossMemoryScratch != nullptr;
    comm->crossMemoryScratch.reset();
  });
}
BRAID_PROFILING_ALIAS(ncclCommSuspend);

BRAID_API ncclResult_t ncclCommResume(ncclComm_t comm) {
  return apiCall(comm, [&] {
    braid::checkCommunicator(comm, "ncclCommResume");
    if (!comm->suspended.load()) fail(ncclInvalidUsage, "ncclCommResume: the communicator is not suspended");
    {
      std::lock_guard<std::mutex> lock(comm->executionMutex);
      if (comm->scratchReleased) comm->crossMemoryScratch.reset(new char[braid::DirectRun::kCrossMemoryScratchBytes]);
      comm->scratchReleased = false;
    }
    comm->suspended = false;
  });
}
BRAID_PROFILING_ALIAS(ncclCommResume);

BRAID_API ncclResult_t ncclCommMemStats(ncclComm_t comm, ncclCommMemStat_t stat, uint64_t* value) {
  return apiCall(comm, [&] {
    braid::checkCommunicator(comm, "ncclCommMemStats");
    if (!value) fail(ncclInvalidArgument, "ncclCommMemStats: value is NULL");
    std::lock_guard<std::mutex> lock(comm->executionMutex);
    switch (stat) {
      case ncclStatGpuMemSuspend: *value = comm->suspendableBytes(); return;
      case ncclStatGpuMemSuspended: *value = comm->suspended.load() ? 1 : 0; return;
      case ncclStatGpuMemPersist: *value = comm->persistentBytes(); return;
      case ncclStatGpuMemTotal: *value = comm->suspendableBytes() + comm->persistentBytes(); return;
    }
    fail(ncclInvalidArgument, "ncclCommMemStats: stat " + std::to_string(static_cast<int>(stat)) +
                                  " is none of ncclStatGpuMemSuspend, _Suspended, _Persist, _Total");
  });
}
BRAID_PROFILING_ALIAS(ncclCommMemStats);
