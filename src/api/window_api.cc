// Memory windows (NCCL 2.27+): ncclCommWindowRegister and ncclCommWindowDeregister are collective. Registering
// makes the buffer peer-mappable, as ncclCommRegister does (transports/shm/shared_buffers.h: collectives on it
// can run in place in the peers' buffers), opens it to one-sided puts (runtime/one_sided.h; the first
// registration builds the communicator's one-sided mesh), and the ranks exchange what they registered, so that a
// mismatch (different flags, or sizes under NCCL_WIN_COLL_SYMMETRIC) fails every rank at once. Deregistering
// first lets every peer's puts into it land (a fence), then waits for every rank, so no rank lets go of a window
// a peer may still use.
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "api/api_call.h"
#include "api/window.h"
#include "device/device.h"
#include "runtime/communicator.h"
#include "runtime/group.h"
#include "transports/shm/shared_buffers.h"

using braid::apiCall;
using braid::fail;

namespace {

constexpr int kKnownFlags = NCCL_WIN_COLL_SYMMETRIC | NCCL_WIN_STRICT_ORDERING;

// What a rank registered, as the others learn it.
struct Offer {
  uint64_t size;
  int32_t flags;
  int32_t problem;     // 1: this rank's own arguments failed, after which it still takes part in the exchange
  uint64_t address;    // of the buffer in the registering process, for cross-memory puts
  int32_t hostMemory;  // puts can land in it (the one-sided mesh writes host memory)
  int32_t reserved;
};

void checkUsableOutsideGroup(ncclComm* comm, const char* call) {
  braid::checkCommunicator(comm, call);
  comm->checkUsable();
  if (braid::inGroup()) fail(ncclInvalidUsage, std::string(call) + " is collective and cannot be part of a group");
}

// Every rank's offer, over the bootstrap ring (shared with launches, hence the lock).
std::vector<Offer> exchange(ncclComm* comm, const Offer& mine) {
  std::vector<Offer> all(comm->nranks);
  all[comm->rank] = mine;
  std::lock_guard<std::mutex> lock(comm->executionMutex);
  comm->bootstrap->allGather(all.data(), sizeof(Offer));
  return all;
}

// The communicator's one-sided mesh, built by every rank at its first registration.
braid::OneSidedMesh& oneSidedMesh(ncclComm* comm) {
  if (!comm->oneSided) {
    braid::OneSidedMesh::Options options;
    const int contexts = comm->config.fields.numRmaCtx;
    options.contexts = contexts == NCCL_CONFIG_UNDEF_INT || contexts < 1 ? 1 : contexts;
    options.trafficClass = comm->config.trafficClass;
    options.crossMemory = comm->crossMemoryScratch != nullptr;
    options.timeoutSeconds = comm->timeoutSeconds;
    options.stopping = &comm->stopping;
    std::lock_guard<std::mutex> lock(comm->executionMutex);  // the bootstrap ring
    comm->oneSided = std::make_unique<braid::OneSidedMesh>(*comm->bootstrap, options);
  }
  return *comm->oneSided;
}

}  // namespace

ncclWindow_vidmem* windowOf(ncclComm* comm, ncclWindow_t win, const char* call) {
  if (!win || win->magic != ncclWindow_vidmem::kMagic || win->comm != comm)
    fail(ncclInvalidArgument, std::string(call) + ": win was not registered with this communicator");
  return win;
}

BRAID_API ncclResult_t ncclCommWindowRegister(ncclComm_t comm, void* buff, size_t size, ncclWindow_t* win,
                                              int winFlags) {
  return apiCall(comm, [&] {
    checkUsableOutsideGroup(comm, "ncclCommWindowRegister");
    std::string problem;
    if (!buff || !win) problem = "buff and win must not be NULL";
    else if (size == 0) problem = "size must be more than 0";
    else if (winFlags & ~kKnownFlags)
      problem = "winFlags " + std::to_string(winFlags) +
                " has unknown bits; accepted: NCCL_WIN_DEFAULT, NCCL_WIN_COLL_SYMMETRIC, NCCL_WIN_STRICT_ORDERING";
    braid::OneSidedMesh& mesh = oneSidedMesh(comm);
    const bool hostMemory = problem.empty() && !braid::device::acceleratorOfPointer(buff);
    // Open to puts before any peer learns of it (a peer may put as soon as its own registration returns); every
    // rank numbers its windows alike, so even a registration that fails takes a number, then gives it back.
    const uint64_t id = mesh.addWindow(problem.empty() ? static_cast<char*>(buff) : nullptr, size);
    struct CloseUnlessRegistered {
      braid::OneSidedMesh& mesh;
      uint64_t id;
      bool registered = false;
      ~CloseUnlessRegistered() {
        if (!registered) mesh.removeWindow(id);
      }
    } open{mesh, id};
    const std::vector<Offer> all =
        exchange(comm, {size, winFlags, problem.empty() ? 0 : 1, reinterpret_cast<uintptr_t>(buff), hostMemory, 0});
    if (!problem.empty()) fail(ncclInvalidArgument, "ncclCommWindowRegister: " + problem);
    for (int r = 0; r < comm->nranks; ++r) {
      if (all[r].problem)
        fail(ncclInvalidUsage, "ncclCommWindowRegister: rank " + std::to_string(r) + " passed invalid arguments");
      if (all[r].flags != winFlags)
        fail(ncclInvalidUsage, "ncclCommWindowRegister: rank " + std::to_string(r) + " registered with winFlags " +
                                   std::to_string(all[r].flags) + ", this rank with " + std::to_string(winFlags));
      if ((winFlags & NCCL_WIN_COLL_SYMMETRIC) && all[r].size != size)
        fail(ncclInvalidUsage,
             "ncclCommWindowRegister: NCCL_WIN_COLL_SYMMETRIC needs the same size on every rank; "
             "rank " +
                 std::to_string(r) + " registered " + std::to_string(all[r].size) + " bytes, this rank " +
                 std::to_string(size));
    }
    auto window = std::make_unique<ncclWindow_vidmem>();
    window->comm = comm;
    window->buffer = buff;
    window->size = size;
    window->flags = winFlags;
    for (const Offer& o : all) window->peers.push_back({o.address, o.size, o.hostMemory != 0});
    window->id = id;
    open.registered = true;
    if (comm->peerBuffers) window->shared = braid::shared_buffers::share(buff, size).empty();
    *win = window.release();
  });
}
BRAID_PROFILING_ALIAS(ncclCommWindowRegister);

BRAID_API ncclResult_t ncclCommWindowDeregister(ncclComm_t comm, ncclWindow_t win) {
  return apiCall(comm, [&] {
    checkUsableOutsideGroup(comm, "ncclCommWindowDeregister");
    ncclWindow_vidmem* window = nullptr;
    std::string problem;
    try {
      window = windowOf(comm, win, "ncclCommWindowDeregister");
    } catch (const braid::Error& e) {
      problem = e.what();
    }
    // Puts already sent land first; then every rank arrives before any lets go (a peer may still be using this
    // one's window in a collective).
    if (comm->oneSided) comm->oneSided->fence();
    const std::vector<Offer> all = exchange(comm, {window ? window->size : 0, 0, problem.empty() ? 0 : 1, 0, 0, 0});
    if (!problem.empty()) fail(ncclInvalidArgument, problem);
    for (int r = 0; r < comm->nranks; ++r)
      if (all[r].problem)
        fail(ncclInvalidUsage, "ncclCommWindowDeregister: rank " + std::to_string(r) + " passed an invalid window");
    window->magic = 0;
    std::unique_ptr<ncclWindow_vidmem> owned(window);
    comm->oneSided->removeWindow(window->id);
    if (window->shared) braid::shared_buffers::unshare(window->buffer, window->size);
  });
}
BRAID_PROFILING_ALIAS(ncclCommWindowDeregister);

BRAID_API ncclResult_t ncclWinGetUserPtr(ncclComm_t comm, ncclWindow_t win, void** outUserPtr) {
  return apiCall(comm, [&] {
    braid::checkCommunicator(comm, "ncclWinGetUserPtr");
    if (!outUserPtr) fail(ncclInvalidArgument, "ncclWinGetUserPtr: outUserPtr is NULL");
    *outUserPtr = windowOf(comm, win, "ncclWinGetUserPtr")->buffer;
  });
}
BRAID_PROFILING_ALIAS(ncclWinGetUserPtr);
