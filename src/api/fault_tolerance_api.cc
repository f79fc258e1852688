// Going on without dead ranks (NCCL 2.27–2.29): ncclCommRevoke stops the work under way on a communicator,
// ncclCommShrink derives one without the excluded ranks that depends on none of them, ncclCommGrow admits new
// ranks (ids from ncclCommGetUniqueId); braidCommFailedRanks finds who is gone without a central service.
// docs/fault-tolerance.md describes the model.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "api/api_call.h"
#include "base/log.h"
#include "bootstrap/member_watch.h"
#include "bootstrap/unique_id.h"
#include "braid/braid.h"
#include "runtime/communicator.h"
#include "runtime/group.h"

using braid::apiCall;
using braid::fail;

namespace {

// The ranks of `comm` that stay, in their order (their new numbers), after checking the exclusion list.
std::vector<int> survivorsOf(const ncclComm* comm, const int* excluded, int count) {
  if (count < 0 || count >= comm->nranks)
    fail(ncclInvalidArgument, "ncclCommShrink: excludeRanksCount " + std::to_string(count) + " is not in [0, " +
                                  std::to_string(comm->nranks) + ") (at least this rank stays)");
  if (count > 0 && !excluded) fail(ncclInvalidArgument, "ncclCommShrink: excludeRanksList is NULL");
  std::vector<bool> out(static_cast<size_t>(comm->nranks), false);
  for (int i = 0; i < count; ++i) {
    const int r = excluded[i];
    if (r < 0 || r >= comm->nranks)
      fail(ncclInvalidArgument, "ncclCommShrink: excludeRanksList[" + std::to_string(i) + "] = " + std::to_string(r) +
                                    " is not a rank of the communicator [0, " + std::to_string(comm->nranks) + ")");
    if (out[r]) fail(ncclInvalidArgument, "ncclCommShrink: rank " + std::to_string(r) + " is excluded twice");
    if (r == comm->rank)
      fail(ncclInvalidArgument, "ncclCommShrink: this rank (" + std::to_string(r) +
                                    ") is in excludeRanksList; excluded ranks do not call ncclCommShrink");
    out[r] = true;
  }
  std::vector<int> survivors;
  for (int r = 0; r < comm->nranks; ++r)
    if (!out[r]) survivors.push_back(r);
  return survivors;
}

// "rank 2 (host-b, pid 4242)" for each excluded rank, from the communicator's table.
std::string describeExcluded(const ncclComm* comm, const std::vector<int>& survivors) {
  std::string text;
  for (int r = 0; r < comm->nranks; ++r) {
    if (std::binary_search(survivors.begin(), survivors.end(), r)) continue;
    const braid::PeerInfo& p = comm->bootstrap->peers()[r];
    text += (text.empty() ? "" : ", ") + std::string("rank ") + std::to_string(r) + " (" +
            std::string(p.hostname, strnlen(p.hostname, sizeof p.hostname)) + ", pid " + std::to_string(p.pid) + ")";
  }
  return text.empty() ? "none" : text;
}

}  // namespace

BRAID_API ncclResult_t ncclCommRevoke(ncclComm_t comm, int revokeFlags) {
  return apiCall(comm, [&] {
    braid::checkCommunicator(comm, "ncclCommRevoke");
    if (revokeFlags != NCCL_REVOKE_DEFAULT)
      fail(ncclInvalidArgument, "ncclCommRevoke: revokeFlags " + std::to_string(revokeFlags) +
                                    " is not accepted; it must be NCCL_REVOKE_DEFAULT (0)");
    if (comm->asyncError.load() == ncclInProgress && !comm->revoked.load())
      fail(ncclInvalidUsage, "ncclCommRevoke: the communicator is still initializing or finalizing");
    const auto start = std::chrono::steady_clock::now();
    braid::revokeCommunicator(comm);
    BRAID_INFO("INIT", "ncclCommRevoke: rank %d of %d revoked; quiescent after %.1f ms", comm->rank, comm->nranks,
               std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  });
}
BRAID_PROFILING_ALIAS(ncclCommRevoke);

// The new communicator's root runs on its first member's spare listener (PeerInfo::spareRoot), which every member
// knows from the parent's table: no exchange through the parent, whose ring or root an excluded rank may have
// held. The new ranks number the members in their parent order.
BRAID_API ncclResult_t ncclCommShrink(ncclComm_t comm, int* excludeRanksList, int excludeRanksCount,
                                      ncclComm_t* newcomm, ncclConfig_t* config, int shrinkFlags) {
  return apiCall(comm, [&]() -> ncclResult_t {
    braid::checkCommunicator(comm, "ncclCommShrink");
    if (!newcomm) fail(ncclInvalidArgument, "ncclCommShrink: newcomm is NULL");
    *newcomm = nullptr;
    if (shrinkFlags != NCCL_SHRINK_DEFAULT && shrinkFlags != NCCL_SHRINK_ABORT)
      fail(ncclInvalidArgument, "ncclCommShrink: shrinkFlags " + std::to_string(shrinkFlags) +
                                    " is not accepted; accepted: NCCL_SHRINK_DEFAULT (0), NCCL_SHRINK_ABORT (1)");
    if (braid::inGroup()) fail(ncclInvalidUsage, "ncclCommShrink: not inside a group (call it after ncclGroupEnd)");
    if (comm->asyncError.load() == ncclInProgress)
      fail(ncclInvalidUsage, "ncclCommShrink: the communicator is still initializing or finalizing");
    if (!comm->bootstrap) fail(ncclInvalidUsage, "ncclCommShrink: the communicator's init failed; it has no members");
    const std::vector<int> survivors = survivorsOf(comm, excludeRanksList, excludeRanksCount);
    auto fresh = std::make_unique<ncclComm>();
    fresh->config = braid::splitConfig(comm->config, config);  // a NULL config inherits the parent's
    fresh->device = comm->device;

    const auto start = std::chrono::steady_clock::now();
    std::string seen;  // how long ago this rank saw the failure that led here
    {
      std::lock_guard<std::mutex> lock(comm->errorMutex);
      if (comm->failedAt != std::chrono::steady_clock::time_point{})
        seen = "; the failure was seen " +
               std::to_string(std::chrono::duration<double, std::milli>(start - comm->failedAt).count()) +
               " ms before: " + comm->asyncMessage;
    }
    if (shrinkFlags == NCCL_SHRINK_ABORT) {
      braid::revokeCommunicator(comm);  // the work under way fails; dead peers are never waited for
    } else {
      comm->checkUsable();  // NCCL_SHRINK_DEFAULT: a healthy communicator, its queued work drained first
      comm->awaitQueuedWork();
    }
    const uint64_t sequence = ++comm->derivedCommunicators;
    const int newRank = static_cast<int>(std::find(survivors.begin(), survivors.end(), comm->rank) - survivors.begin());
    const int nranks = static_cast<int>(survivors.size());
    BRAID_INFO("INIT", "ncclCommShrink%s: rank %d of %d goes on as rank %d of %d without %s%s",
               shrinkFlags == NCCL_SHRINK_ABORT ? " (abort)" : "", comm->rank, comm->nranks, newRank, nranks,
               describeExcluded(comm, survivors).c_str(), seen.c_str());
    if (newRank == 0) comm->bootstrap->hostDerivedRoot(sequence);
    fresh->membersGone =
        braid::watchLocalMembers(comm->bootstrap->peers(), comm->rank, survivors, " of the parent communicator");
    const ncclResult_t started =
        braid::startInit(fresh.get(), comm->bootstrap->derivedId(survivors.front(), sequence), nranks, newRank);
    if (started == ncclSuccess)
      BRAID_INFO("INIT", "ncclCommShrink: rank %d of %d ready after %.1f ms", newRank, nranks,
                 std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    *newcomm = fresh.release();
    return started;
  });
}
BRAID_PROFILING_ALIAS(ncclCommShrink);

// An id for ncclCommGrow, made by one existing rank and handed to the new ranks; the other existing ranks learn
// it from that rank inside ncclCommGrow. Its root serves one init: the id is spent by the grow.
BRAID_API ncclResult_t ncclCommGetUniqueId(ncclComm_t comm, ncclUniqueId* uniqueId) {
  return apiCall(comm, [&] {
    braid::checkCommunicator(comm, "ncclCommGetUniqueId");
    comm->checkUsable();
    if (!uniqueId) fail(ncclInvalidArgument, "ncclCommGetUniqueId: uniqueId is NULL");
    *uniqueId = braid::encodeUniqueId(braid::createUniqueId());
  });
}
BRAID_PROFILING_ALIAS(ncclCommGetUniqueId);

// Existing ranks (comm, rank -1; the one that made the id passes it, the others NULL) keep their numbers; new
// ranks (comm NULL, the id, their rank) take the numbers from the old size up to nRanks. The existing ranks
// agree on the id over their communicator first, which also checks that exactly one of them gave it.
BRAID_API ncclResult_t ncclCommGrow(ncclComm_t comm, int nRanks, const ncclUniqueId* uniqueId, int rank,
                                    ncclComm_t* newcomm, ncclConfig_t* config) {
  if (!comm) {
    if (!uniqueId)
      return apiCall(nullptr, [] { fail(ncclInvalidArgument, "ncclCommGrow: a new rank (comm NULL) needs the id"); });
    return ncclCommInitRankConfig(newcomm, nRanks, *uniqueId, rank, config);
  }
  return apiCall(comm, [&]() -> ncclResult_t {
    braid::checkCommunicator(comm, "ncclCommGrow");
    comm->checkUsable();
    if (!newcomm) fail(ncclInvalidArgument, "ncclCommGrow: newcomm is NULL");
    if (rank != -1)
      fail(ncclInvalidArgument,
           "ncclCommGrow: an existing rank passes rank -1 (it keeps its number), not " + std::to_string(rank));
    if (nRanks <= comm->nranks)
      fail(ncclInvalidArgument, "ncclCommGrow: nRanks " + std::to_string(nRanks) +
                                    " must exceed the communicator's size " + std::to_string(comm->nranks));
    if (braid::inGroup()) fail(ncclInvalidUsage, "ncclCommGrow: not inside a group (call it after ncclGroupEnd)");
    auto fresh = std::make_unique<ncclComm>();
    fresh->config = braid::splitConfig(comm->config, config);
    fresh->device = comm->device;
    struct Offer {
      int32_t given, nRanks;
      ncclUniqueId id;
    };
    std::vector<Offer> offers(comm->nranks);
    offers[comm->rank] = {uniqueId ? 1 : 0, nRanks, uniqueId ? *uniqueId : ncclUniqueId{}};
    comm->awaitQueuedWork();  // stream work needs the execution mutex: drained before we take it
    {
      std::lock_guard<std::mutex> lock(comm->executionMutex);  // the bootstrap ring is shared with launches
      comm->bootstrap->allGather(offers.data(), sizeof(Offer));
    }
    std::vector<int> givers;
    for (int r = 0; r < comm->nranks; ++r) {
      if (offers[r].given) givers.push_back(r);
      if (offers[r].nRanks != nRanks)
        fail(ncclInvalidArgument, "ncclCommGrow: rank " + std::to_string(r) + " asked for " +
                                      std::to_string(offers[r].nRanks) + " ranks, this rank for " +
                                      std::to_string(nRanks));
    }
    if (givers.size() != 1)
      fail(ncclInvalidArgument, "ncclCommGrow: exactly one existing rank passes the id from ncclCommGetUniqueId; " +
                                    std::to_string(givers.size()) + " did");
    std::vector<int> existing(static_cast<size_t>(comm->nranks));
    for (int r = 0; r < comm->nranks; ++r) existing[r] = r;
    fresh->membersGone =
        braid::watchLocalMembers(comm->bootstrap->peers(), comm->rank, existing, " of the parent communicator");
    const ncclResult_t started =
        braid::startInit(fresh.get(), braid::decodeUniqueId(offers[givers.front()].id), nRanks, comm->rank);
    *newcomm = fresh.release();
    return started;
  });
}
BRAID_PROFILING_ALIAS(ncclCommGrow);

BRAID_API ncclResult_t braidCommFailedRanks(ncclComm_t comm, double seconds, int* ranks, int* count) {
  return apiCall(comm, [&] {
    braid::checkCommunicator(comm, "braidCommFailedRanks");
    if (!ranks || !count) fail(ncclInvalidArgument, "braidCommFailedRanks: ranks or count is NULL");
    if (!(seconds > 0 && seconds <= 3600))
      fail(ncclInvalidArgument, "braidCommFailedRanks: seconds must be in (0, 3600], not " + std::to_string(seconds));
    if (!comm->bootstrap) fail(ncclInvalidUsage, "braidCommFailedRanks: the communicator's init failed");
    const std::vector<int> gone = comm->bootstrap->unreachablePeers(seconds);
    std::copy(gone.begin(), gone.end(), ranks);
    *count = static_cast<int>(gone.size());
    BRAID_INFO("INIT", "braidCommFailedRanks: rank %d of %d finds %d gone", comm->rank, comm->nranks, *count);
  });
}
