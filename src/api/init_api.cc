// Communicator lifecycle: unique ids, init, split, finalize, destroy, abort and queries.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "api/api_call.h"
#include "base/log.h"
#include "bootstrap/member_watch.h"
#include "bootstrap/status_service.h"
#include "bootstrap/unique_id.h"
#include "device/device.h"
#include "runtime/communicator.h"
#include "runtime/group.h"

using braid::apiCall;
using braid::fail;

namespace {

void checkRankArgs(ncclComm_t* comm, int nranks, int rank, const char* call) {
  if (!comm) fail(ncclInvalidArgument, std::string(call) + ": comm is NULL");
  if (nranks < 1) fail(ncclInvalidArgument, std::string(call) + ": nranks must be at least 1");
  if (rank < 0 || rank >= nranks)
    fail(ncclInvalidArgument,
         std::string(call) + ": rank " + std::to_string(rank) + " is not in [0, " + std::to_string(nranks) + ")");
}

// This rank's place in a split: the new communicator's id, size and rank, and a watch on its members (they are
// still the parent's ranks until they join).
struct SplitMembership {
  braid::UniqueIdContents id;
  int nranks, rank;
  braid::MembersGone membersGone;
};

// The split's exchange over the parent's bootstrap ring: every rank's color and key, then the id each color's
// first member creates. Nothing for a rank that gave NCCL_SPLIT_NOCOLOR. A rank whose config was refused
// (`problem`) still takes part in the first exchange, then every rank fails, naming it: none waits for it.
std::optional<SplitMembership> exchangeSplit(ncclComm* comm, int color, int key, const std::string& problem) {
  struct Entry {
    int32_t color, key, refused;
  };
  std::vector<Entry> entries(comm->nranks);
  std::vector<ncclUniqueId> ids(comm->nranks);
  std::vector<int> members;
  {
    std::lock_guard<std::mutex> lock(comm->executionMutex);  // the bootstrap ring is shared with launches
    entries[comm->rank] = {color, key, problem.empty() ? 0 : 1};
    comm->bootstrap->allGather(entries.data(), sizeof(Entry));
    if (!problem.empty()) fail(ncclInvalidArgument, problem);
    for (int r = 0; r < comm->nranks; ++r)
      if (entries[r].refused)
        fail(ncclInvalidArgument, "ncclCommSplit: rank " + std::to_string(r) + " gave a config that was refused");
    for (int r = 0; r < comm->nranks; ++r)
      if (entries[r].color == color && color != NCCL_SPLIT_NOCOLOR) members.push_back(r);
    std::stable_sort(members.begin(), members.end(), [&](int a, int b) { return entries[a].key < entries[b].key; });
    // The first member of each color hosts the new communicator's root.
    if (!members.empty() && members.front() == comm->rank)
      ids[comm->rank] = braid::encodeUniqueId(braid::createUniqueId());
    comm->bootstrap->allGather(ids.data(), sizeof(ncclUniqueId));
  }
  if (members.empty()) return std::nullopt;
  const int rank = static_cast<int>(std::find(members.begin(), members.end(), comm->rank) - members.begin());
  braid::UniqueIdContents id = braid::decodeUniqueId(ids[members.front()]);
  // The first member started this root before handing out its id, so a refused connection means that member has
  // gone: fail at once, wherever it runs. (With BRAID_COMM_ID the root starts later, in the new rank 0's init.)
  id.rootListening = !id.rootOnRankZero;
  return SplitMembership{
      id, static_cast<int>(members.size()), rank,
      braid::watchLocalMembers(comm->bootstrap->peers(), comm->rank, members, " of the parent communicator")};
}

}  // namespace

BRAID_API ncclResult_t ncclGetVersion(int* version) {
  return apiCall(nullptr, [&] {
    if (!version) fail(ncclInvalidArgument, "ncclGetVersion: version is NULL");
    *version = NCCL_VERSION_CODE;
  });
}
BRAID_PROFILING_ALIAS(ncclGetVersion);

BRAID_API ncclResult_t ncclGetUniqueId(ncclUniqueId* uniqueId) {
  return apiCall(nullptr, [&] {
    if (!uniqueId) fail(ncclInvalidArgument, "ncclGetUniqueId: uniqueId is NULL");
    *uniqueId = braid::encodeUniqueId(braid::createUniqueId());
  });
}
BRAID_PROFILING_ALIAS(ncclGetUniqueId);

BRAID_API ncclResult_t ncclCommInitRankConfig(ncclComm_t* comm, int nranks, ncclUniqueId commId, int rank,
                                              ncclConfig_t* config) {
  return apiCall(nullptr, [&]() -> ncclResult_t {
    checkRankArgs(comm, nranks, rank, "ncclCommInitRank");
    braid::UniqueIdContents id = braid::decodeUniqueId(commId);
    auto fresh = std::make_unique<ncclComm>();
    fresh->config = braid::readCommConfig(config);
    fresh->device = braid::device::currentAcceleratorDevice();  // the calling thread's, as NCCL's comms take
    if (braid::inGroup()) {
      // Inside a group the init runs at ncclGroupEnd, concurrently with the group's other inits.
      ncclComm* c = fresh.release();
      *comm = c;
      braid::enqueueInit(c, [c, id, nranks, rank] { braid::initCommunicator(c, id, nranks, rank); });
      return ncclSuccess;
    }
    ncclResult_t started = braid::startInit(fresh.get(), id, nranks, rank);
    *comm = fresh.release();
    return started;
  });
}
BRAID_PROFILING_ALIAS(ncclCommInitRankConfig);

BRAID_API ncclResult_t ncclCommInitRank(ncclComm_t* comm, int nranks, ncclUniqueId commId, int rank) {
  return ncclCommInitRankConfig(comm, nranks, commId, rank, nullptr);
}
BRAID_PROFILING_ALIAS(ncclCommInitRank);

BRAID_API ncclResult_t ncclCommInitRankScalable(ncclComm_t* newcomm, int nranks, int myrank, int nId,
                                                ncclUniqueId* commIds, ncclConfig_t* config) {
  // Braid's root serves all ranks itself; the first id is the one every rank shares.
  if (nId < 1 || !commIds)
    return apiCall(nullptr, [] { fail(ncclInvalidArgument, "ncclCommInitRankScalable: needs at least one id"); });
  return ncclCommInitRankConfig(newcomm, nranks, commIds[0], myrank, config);
}
BRAID_PROFILING_ALIAS(ncclCommInitRankScalable);

BRAID_API ncclResult_t ncclCommInitAll(ncclComm_t* comms, int ndev, const int* devlist) {
  return apiCall(nullptr, [&] {
    if (!comms) fail(ncclInvalidArgument, "ncclCommInitAll: comm is NULL");
    if (ndev < 1) fail(ncclInvalidArgument, "ncclCommInitAll: ndev must be at least 1");
    braid::UniqueIdContents id = braid::createUniqueId();
    std::vector<std::unique_ptr<ncclComm>> made(ndev);
    braid::groupStart();
    for (int i = 0; i < ndev; ++i) {
      made[i] = std::make_unique<ncclComm>();
      made[i]->device = devlist ? devlist[i] : i;
      braid::enqueueInit(made[i].get(), [c = made[i].get(), id, ndev, i] { braid::initCommunicator(c, id, ndev, i); });
    }
    braid::groupEnd();
    for (int i = 0; i < ndev; ++i) comms[i] = made[i].release();
  });
}
BRAID_PROFILING_ALIAS(ncclCommInitAll);

BRAID_API ncclResult_t ncclCommSplit(ncclComm_t comm, int color, int key, ncclComm_t* newcomm, ncclConfig_t* config) {
  return apiCall(comm, [&]() -> ncclResult_t {
    braid::checkCommunicator(comm, "ncclCommSplit");
    comm->checkUsable();
    if (!newcomm) fail(ncclInvalidArgument, "ncclCommSplit: newcomm is NULL");
    if (color < 0 && color != NCCL_SPLIT_NOCOLOR)
      fail(ncclInvalidArgument, "ncclCommSplit: color must be >= 0 or NCCL_SPLIT_NOCOLOR");
    std::unique_ptr<ncclComm> fresh;
    std::string problem;  // a refused config still takes part in the exchange (exchangeSplit)
    if (color != NCCL_SPLIT_NOCOLOR) {
      fresh = std::make_unique<ncclComm>();
      try {
        fresh->config = braid::splitConfig(comm->config, config);  // a NULL config inherits the parent's
      } catch (const braid::Error& e) {
        problem = e.what();
      }
      fresh->device = comm->device;
    }
    if (braid::inGroup()) {
      // As in NCCL, the split happens at the group's end, so that one thread can split several communicators
      // in one group (each exchange waits for the other ranks of its parent).
      ncclComm* child = problem.empty() ? fresh.release() : nullptr;
      *newcomm = child;
      braid::enqueueInit(child ? child : comm, [comm, color, key, child, problem] {
        std::optional<SplitMembership> m = exchangeSplit(comm, color, key, problem);
        if (!m) return;
        child->membersGone = std::move(m->membersGone);
        braid::initCommunicator(child, m->id, m->nranks, m->rank);
      });
      return ncclSuccess;
    }
    std::optional<SplitMembership> m = exchangeSplit(comm, color, key, problem);
    if (!m) {
      *newcomm = nullptr;
      return ncclSuccess;
    }
    fresh->membersGone = std::move(m->membersGone);
    ncclResult_t started = braid::startInit(fresh.get(), m->id, m->nranks, m->rank);
    *newcomm = fresh.release();
    return started;
  });
}
BRAID_PROFILING_ALIAS(ncclCommSplit);

// No new work from here; the queued work drains. A non-blocking communicator drains in the background, as in
// NCCL: the call returns ncclInProgress and ncclCommGetAsyncError says ncclSuccess once nothing is left.
BRAID_API ncclResult_t ncclCommFinalize(ncclComm_t comm) {
  return apiCall(comm, [&]() -> ncclResult_t {
    braid::checkCommunicator(comm, "ncclCommFinalize");
    if (comm->asyncError.load() == ncclInProgress)
      fail(ncclInvalidUsage, "ncclCommFinalize: the communicator is still initializing or finalizing");
    comm->finalized = true;
    ncclResult_t healthy = ncclSuccess;
    if (comm->config.blocking || !comm->asyncError.compare_exchange_strong(healthy, ncclInProgress)) {
      comm->awaitQueuedWork();  // blocking, or failed earlier (its error stays what ncclCommGetAsyncError says)
      return ncclSuccess;
    }
    if (comm->background.joinable()) comm->background.join();  // its init, which has finished
    comm->background = std::thread([comm] {
      comm->awaitQueuedWork();
      ncclResult_t finalizing = ncclInProgress;
      comm->asyncError.compare_exchange_strong(finalizing, ncclSuccess);
    });
    return ncclInProgress;
  });
}
BRAID_PROFILING_ALIAS(ncclCommFinalize);

// Destroy and abort: wait until no queued stream work and no call on another thread uses the communicator
// (abort makes them fail within their next health check, ~100 ms), then free everything.
static ncclResult_t releaseCommunicator(ncclComm_t comm, bool abort, const char* call) {
  if (!comm) return ncclSuccess;  // as NCCL: NULL is a no-op
  ncclResult_t result = apiCall(nullptr, [&] { braid::checkCommunicator(comm, call); });
  if (result != ncclSuccess) return result;
  braid::dropFromGroup(comm, call);  // what this thread's open group recorded on it must not outlive it
  if (abort) comm->stopping = true;
  // Calls on other threads leave first (they are the only ones that can queue more stream work), then the
  // queued work drains.
  while (comm->users.load() > 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
  comm->awaitQueuedWork();
  if (comm->background.joinable()) comm->background.join();
  braid::unregisterForStatus(comm->bootstrap.get());
  comm->magic = 0;
  delete comm;
  return ncclSuccess;
}

BRAID_API ncclResult_t ncclCommDestroy(ncclComm_t comm) { return releaseCommunicator(comm, false, "ncclCommDestroy"); }
BRAID_PROFILING_ALIAS(ncclCommDestroy);

BRAID_API ncclResult_t ncclCommAbort(ncclComm_t comm) { return releaseCommunicator(comm, true, "ncclCommAbort"); }
BRAID_PROFILING_ALIAS(ncclCommAbort);

BRAID_API ncclResult_t ncclCommGetAsyncError(ncclComm_t comm, ncclResult_t* asyncError) {
  return apiCall(comm, [&] {
    braid::checkCommunicator(comm, "ncclCommGetAsyncError");
    if (!asyncError) fail(ncclInvalidArgument, "ncclCommGetAsyncError: asyncError is NULL");
    *asyncError = comm->asyncError.load();
  });
}
BRAID_PROFILING_ALIAS(ncclCommGetAsyncError);

BRAID_API ncclResult_t ncclCommCount(const ncclComm_t comm, int* count) {
  return apiCall(comm, [&] {
    braid::checkCommunicator(comm, "ncclCommCount");
    if (!count) fail(ncclInvalidArgument, "ncclCommCount: count is NULL");
    *count = comm->nranks;
  });
}
BRAID_PROFILING_ALIAS(ncclCommCount);

BRAID_API ncclResult_t ncclCommCuDevice(const ncclComm_t comm, int* device) {
  return apiCall(comm, [&] {
    braid::checkCommunicator(comm, "ncclCommCuDevice");
    if (!device) fail(ncclInvalidArgument, "ncclCommCuDevice: device is NULL");
    *device = comm->device;
  });
}
BRAID_PROFILING_ALIAS(ncclCommCuDevice);

BRAID_API ncclResult_t ncclCommUserRank(const ncclComm_t comm, int* rank) {
  return apiCall(comm, [&] {
    braid::checkCommunicator(comm, "ncclCommUserRank");
    if (!rank) fail(ncclInvalidArgument, "ncclCommUserRank: rank is NULL");
    *rank = comm->rank;
  });
}
BRAID_PROFILING_ALIAS(ncclCommUserRank);
