// One-sided calls (NCCL 2.29): ncclPutSignal writes into a peer's part of a window and then signals it,
// ncclSignal signals alone, ncclWaitSignal waits for counted signals. They run on the stream like the other calls
// and group like them (runtime/one_sided.h: how they travel; runtime/launch.h: their order inside a group).
// As in NCCL 2.30, sigIdx and flags must be 0, and a context is below the config's numRmaCtx (default 1).
#include <string>
#include <vector>

#include "api/api_call.h"
#include "api/window.h"
#include "device/datatype.h"
#include "runtime/communicator.h"
#include "runtime/group.h"

using braid::apiCall;
using braid::fail;

namespace {

std::string named(const char* call, const char* what, long long value) {
  return std::string(call) + ": " + what + " " + std::to_string(value);
}

// What every call that names a peer and a signal checks.
void checkSignalArguments(ncclComm* comm, const char* call, int peer, int sigIdx, int ctx) {
  braid::checkCommunicator(comm, call);
  if (!comm->oneSided)
    fail(ncclInvalidUsage, std::string(call) +
                               ": no window was registered on this communicator yet "
                               "(ncclCommWindowRegister opens its one-sided connections)");
  if (peer < 0 || peer >= comm->nranks)
    fail(ncclInvalidArgument, named(call, "peer", peer) + " is not in [0, " + std::to_string(comm->nranks) + ")");
  if (sigIdx != 0) fail(ncclInvalidArgument, named(call, "sigIdx", sigIdx) + " is not 0, the only signal index");
  if (ctx < 0 || ctx >= comm->oneSided->contexts())
    fail(ncclInvalidArgument, named(call, "ctx", ctx) + " is not in [0, " + std::to_string(comm->oneSided->contexts()) +
                                  ") (config numRmaCtx)");
}

void checkFlags(const char* call, unsigned int flags) {
  if (flags != 0) fail(ncclInvalidArgument, named(call, "flags", flags) + " is not 0 (reserved)");
}

}  // namespace

BRAID_API ncclResult_t ncclPutSignal(const void* localbuff, size_t count, ncclDataType_t datatype, int peer,
                                     ncclWindow_t peerWin, size_t peerWinOffset, int sigIdx, int ctx,
                                     unsigned int flags, ncclComm_t comm, cudaStream_t stream) {
  return apiCall(comm, [&] {
    constexpr const char* call = "ncclPutSignal";
    checkSignalArguments(comm, call, peer, sigIdx, ctx);
    checkFlags(call, flags);
    if (!braid::isValidDataType(datatype)) fail(ncclInvalidArgument, named(call, "datatype", datatype) + " is invalid");
    const ncclWindow_vidmem* window = windowOf(comm, peerWin, call);
    const ncclWindow_vidmem::PeerPart& part = window->peers[peer];
    size_t bytes = 0, end = 0;
    if (__builtin_mul_overflow(count, braid::dataTypeSize(datatype), &bytes) ||
        __builtin_add_overflow(bytes, peerWinOffset, &end) || end > part.size)
      fail(ncclInvalidArgument, std::string(call) + ": " + std::to_string(count) + " elements at offset " +
                                    std::to_string(peerWinOffset) + " do not fit rank " + std::to_string(peer) +
                                    "'s part of the window (" + std::to_string(part.size) + " bytes)");
    if (!localbuff && bytes > 0) fail(ncclInvalidArgument, std::string(call) + ": localbuff is NULL");
    if (!part.hostMemory)
      fail(ncclInvalidUsage, std::string(call) + ": rank " + std::to_string(peer) +
                                 "'s part of the window is device memory, which one-sided puts cannot reach yet");
    braid::OneSidedCall put;
    put.peer = peer;
    put.context = ctx;
    put.data = localbuff;
    put.bytes = bytes;
    put.target = {window->id, part.address, peerWinOffset};
    braid::enqueueOneSided(comm, std::move(put), stream);
  });
}
BRAID_PROFILING_ALIAS(ncclPutSignal);

BRAID_API ncclResult_t ncclSignal(int peer, int sigIdx, int ctx, unsigned int flags, ncclComm_t comm,
                                  cudaStream_t stream) {
  return apiCall(comm, [&] {
    checkSignalArguments(comm, "ncclSignal", peer, sigIdx, ctx);
    checkFlags("ncclSignal", flags);
    braid::OneSidedCall signal;
    signal.kind = braid::OneSidedCall::Signal;
    signal.peer = peer;
    signal.context = ctx;
    braid::enqueueOneSided(comm, std::move(signal), stream);
  });
}
BRAID_PROFILING_ALIAS(ncclSignal);

BRAID_API ncclResult_t ncclWaitSignal(int nDesc, ncclWaitSignalDesc_t* signalDescs, ncclComm_t comm,
                                      cudaStream_t stream) {
  return apiCall(comm, [&] {
    constexpr const char* call = "ncclWaitSignal";
    braid::checkCommunicator(comm, call);
    if (nDesc < 0) fail(ncclInvalidArgument, named(call, "nDesc", nDesc) + " is negative");
    if (nDesc > 0 && !signalDescs) fail(ncclInvalidArgument, std::string(call) + ": signalDescs is NULL");
    braid::OneSidedCall wait;
    wait.kind = braid::OneSidedCall::Wait;
    for (int i = 0; i < nDesc; ++i) {
      const ncclWaitSignalDesc_t& d = signalDescs[i];
      checkSignalArguments(comm, call, d.peer, d.sigIdx, d.ctx);
      if (d.opCnt < 0) fail(ncclInvalidArgument, named(call, "opCnt", d.opCnt) + " is negative");
      wait.waits.push_back(d);
    }
    if (!wait.waits.empty()) braid::enqueueOneSided(comm, std::move(wait), stream);
  });
}
BRAID_PROFILING_ALIAS(ncclWaitSignal);
