// Errors, logging, memory, buffer registration, user reduction ops and host streams.
// nccl.h declares ncclResetDebugInit only where NCCL_OS_LINUX is defined (as NCCL's header does; elsewhere the
// name is a no-op macro), so the library defines it before nccl.h is first included.
#define NCCL_OS_LINUX 1
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "api/api_call.h"
#include "base/log.h"
#include "braid/braid.h"
#include "device/datatype.h"
#include "device/device.h"
#include "device/host/host_stream.h"
#include "runtime/communicator.h"
#include "runtime/group.h"
#include "transports/shm/shared_buffers.h"

using braid::apiCall;
using braid::fail;

namespace braid {
namespace {
thread_local std::string lastErrorOfThread;
}

void noteApiError(ncclComm* comm, ncclResult_t code, const std::string& message) {
  lastErrorOfThread = message;
  if (comm && comm->magic == ncclComm::kMagic) comm->recordError(code, message);
  failGroup(code, message);  // a call that fails inside an open group spoils it, as in NCCL
  BRAID_WARN("API", "%s (%s)", message.c_str(), ncclGetErrorString(code));
}

const char* threadLastError() { return lastErrorOfThread.c_str(); }

}  // namespace braid

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"  // NCCL marks it deprecated for its callers
BRAID_API void ncclResetDebugInit(void) { braid::reloadLogConfig(); }
BRAID_PROFILING_ALIAS(ncclResetDebugInit);
#pragma GCC diagnostic pop

BRAID_API const char* ncclGetErrorString(ncclResult_t result) {
  switch (result) {
    case ncclSuccess: return "no error";
    case ncclUnhandledCudaError: return "unhandled cuda error (run with BRAID_DEBUG=INFO for details)";
    case ncclSystemError: return "unhandled system error (run with BRAID_DEBUG=INFO for details)";
    case ncclInternalError: return "internal error - please report this issue to the Braid developers";
    case ncclInvalidArgument: return "invalid argument (run with BRAID_DEBUG=WARN for details)";
    case ncclInvalidUsage: return "invalid usage (run with BRAID_DEBUG=WARN for details)";
    case ncclRemoteError: return "remote process exited or there was a network error";
    case ncclInProgress: return "operation in progress";
    case ncclTimeout: return "operation timed out";
    default: return "unknown result code";
  }
}
BRAID_PROFILING_ALIAS(ncclGetErrorString);

BRAID_API const char* ncclGetLastError(ncclComm_t comm) {
  // The calling thread's last error is the freshest; a communicator's covers errors of its stream work.
  const char* own = braid::threadLastError();
  if (*own || !comm || comm->magic != ncclComm::kMagic) return own;
  std::lock_guard<std::mutex> lock(comm->errorMutex);
  return comm->lastError.c_str();
}
BRAID_PROFILING_ALIAS(ncclGetLastError);

namespace {
// What ncclMemAlloc took from an accelerator, so that ncclMemFree gives back only those.
std::mutex deviceAllocationsMutex;
std::map<void*, braid::device::Device*> deviceAllocations;
}  // namespace

BRAID_API ncclResult_t ncclMemAlloc(void** ptr, size_t size) {
  return apiCall(nullptr, [&] {
    if (!ptr) fail(ncclInvalidArgument, "ncclMemAlloc: ptr is NULL");
    if (size == 0) fail(ncclInvalidArgument, "ncclMemAlloc: size is 0");
    if (size > PTRDIFF_MAX)
      fail(ncclInvalidArgument, "ncclMemAlloc: size " + std::to_string(size) + " is larger than any buffer can be");
    // As NCCL's: memory of the calling thread's current GPU where one is present (collectives on it are staged
    // through host memory). Otherwise shared memory that peers on this host map, so collectives on it need no
    // staging copy.
    if (braid::device::Device* accelerator = braid::device::firstAccelerator()) {
      *ptr = accelerator->allocate(size);
      std::lock_guard<std::mutex> lock(deviceAllocationsMutex);
      deviceAllocations[*ptr] = accelerator;
      return;
    }
    *ptr = braid::shared_buffers::allocate(size);
  });
}
BRAID_PROFILING_ALIAS(ncclMemAlloc);

BRAID_API ncclResult_t ncclMemFree(void* ptr) {
  return apiCall(nullptr, [&] {
    {
      std::lock_guard<std::mutex> lock(deviceAllocationsMutex);
      if (auto allocation = deviceAllocations.find(ptr); allocation != deviceAllocations.end()) {
        allocation->second->release(ptr);
        deviceAllocations.erase(allocation);
        return;
      }
    }
    if (ptr && !braid::shared_buffers::release(ptr))
      fail(ncclInvalidArgument, "ncclMemFree: pointer was not returned by ncclMemAlloc");
  });
}
BRAID_PROFILING_ALIAS(ncclMemFree);

namespace {
// What ncclCommRegister hands out. Host buffers need no pinning; what registration does is make the buffer
// shareable for collectives in place (transports/shm/shared_buffers.h) on communicators that run them.
struct Registration {
  static constexpr uint64_t kMagic = 0x6e6f697473696772ull;
  uint64_t magic = kMagic;
  const ncclComm* comm;
  void* buffer;
  size_t size;
  bool shared;  // share() succeeded: Deregister undoes it
};
}  // namespace

BRAID_API ncclResult_t ncclCommRegister(const ncclComm_t comm, void* buff, size_t size, void** handle) {
  return apiCall(comm, [&] {
    braid::checkCommunicator(comm, "ncclCommRegister");
    if (!buff || !handle) fail(ncclInvalidArgument, "ncclCommRegister: buff and handle must not be NULL");
    bool shared = false;
    if (comm->peerBuffers) {
      const std::string why = braid::shared_buffers::share(buff, size);
      shared = why.empty();
      if (!shared)
        BRAID_INFO("SHM",
                   "rank %d: registered buffer %p (%zu bytes) stays private, %s; its collectives go through "
                   "the FIFOs",
                   comm->rank, buff, size, why.c_str());
    }
    *handle = new Registration{Registration::kMagic, comm, buff, size, shared};
  });
}
BRAID_PROFILING_ALIAS(ncclCommRegister);

BRAID_API ncclResult_t ncclCommDeregister(const ncclComm_t comm, void* handle) {
  return apiCall(comm, [&] {
    braid::checkCommunicator(comm, "ncclCommDeregister");
    auto* r = static_cast<Registration*>(handle);
    if (!r || r->magic != Registration::kMagic || r->comm != comm)
      fail(ncclInvalidArgument, "ncclCommDeregister: handle was not registered with this communicator");
    r->magic = 0;
    std::unique_ptr<Registration> registration(r);
    if (r->shared) braid::shared_buffers::unshare(r->buffer, r->size);
  });
}
BRAID_PROFILING_ALIAS(ncclCommDeregister);

BRAID_API ncclResult_t ncclRedOpCreatePreMulSum(ncclRedOp_t* op, void* scalar, ncclDataType_t datatype,
                                                ncclScalarResidence_t residence, ncclComm_t comm) {
  return apiCall(comm, [&] {
    braid::checkCommunicator(comm, "ncclRedOpCreatePreMulSum");
    if (!op || !scalar) fail(ncclInvalidArgument, "ncclRedOpCreatePreMulSum: op and scalar must not be NULL");
    if (!braid::isValidDataType(datatype))
      fail(ncclInvalidArgument, "ncclRedOpCreatePreMulSum: invalid data type " + std::to_string(datatype));
    if (residence != ncclScalarDevice && residence != ncclScalarHostImmediate)
      fail(ncclInvalidArgument, "ncclRedOpCreatePreMulSum: invalid scalar residence");
    *op = comm->redOps.createPreMulSum(scalar, datatype, residence);
  });
}
BRAID_PROFILING_ALIAS(ncclRedOpCreatePreMulSum);

BRAID_API ncclResult_t ncclRedOpDestroy(ncclRedOp_t op, ncclComm_t comm) {
  return apiCall(comm, [&] {
    braid::checkCommunicator(comm, "ncclRedOpDestroy");
    comm->redOps.destroy(op);
  });
}
BRAID_PROFILING_ALIAS(ncclRedOpDestroy);

BRAID_API ncclResult_t braidStreamCreate(braidStream_t* stream) {
  return apiCall(nullptr, [&] {
    if (!stream) fail(ncclInvalidArgument, "braidStreamCreate: stream is NULL");
    *stream = (new braid::HostStream())->handle();
  });
}

BRAID_API ncclResult_t braidStreamSynchronize(braidStream_t stream) {
  ncclResult_t result = ncclSuccess;
  ncclResult_t call = apiCall(nullptr, [&] {
    if (braid::HostStream* s = braid::HostStream::fromHandle(stream)) result = s->synchronize();
  });
  return call != ncclSuccess ? call : result;
}

BRAID_API ncclResult_t braidStreamAddCallback(braidStream_t stream, braidStreamCallback_t callback, void* userData) {
  return apiCall(nullptr, [&] {
    braid::HostStream* s = braid::HostStream::fromHandle(stream);
    if (!s) fail(ncclInvalidArgument, "braidStreamAddCallback: stream is NULL");
    if (!callback) fail(ncclInvalidArgument, "braidStreamAddCallback: callback is NULL");
    s->enqueueCallback([callback, userData](ncclResult_t status) { callback(status, userData); });
  });
}

BRAID_API ncclResult_t braidCommSetTimeout(ncclComm_t comm, double seconds) {
  return apiCall(comm, [&] {
    braid::checkCommunicator(comm, "braidCommSetTimeout");
    if (!(seconds >= 0)) fail(ncclInvalidArgument, "braidCommSetTimeout: seconds must be 0 or more");
    comm->timeoutSeconds = seconds;
  });
}

BRAID_API ncclResult_t braidCommSetCheckCollectives(ncclComm_t comm, int enable) {
  return apiCall(comm, [&] {
    braid::checkCommunicator(comm, "braidCommSetCheckCollectives");
    comm->checkCollectives = enable != 0;
  });
}

BRAID_API ncclResult_t braidCommHostOf(ncclComm_t comm, int rank, int* host) {
  return apiCall(comm, [&] {
    braid::checkCommunicator(comm, "braidCommHostOf");
    if (rank < 0 || rank >= comm->nranks)
      fail(ncclInvalidArgument,
           "braidCommHostOf: rank " + std::to_string(rank) + " is not in 0.." + std::to_string(comm->nranks - 1));
    if (!host) fail(ncclInvalidArgument, "braidCommHostOf: host is NULL");
    const auto& peers = comm->bootstrap->peers();
    std::vector<uint64_t> hosts;  // in the order of their lowest ranks
    for (int r = 0; r <= rank; ++r)
      if (std::find(hosts.begin(), hosts.end(), peers[r].hostHash) == hosts.end()) hosts.push_back(peers[r].hostHash);
    *host = static_cast<int>(std::find(hosts.begin(), hosts.end(), peers[rank].hostHash) - hosts.begin());
  });
}

BRAID_API ncclResult_t braidStreamDestroy(braidStream_t stream) {
  return apiCall(nullptr, [&] { delete braid::HostStream::fromHandle(stream); });
}
