// Collectives, point-to-point calls and groups: argument checks, then the call is recorded for launch.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "api/api_call.h"
#include "braid/braid.h"
#include "device/datatype.h"
#include "runtime/communicator.h"
#include "runtime/group.h"

using braid::apiCall;
using braid::CollectiveCall;
using braid::CollectiveKind;
using braid::fail;

namespace {

std::string where(const char* call) { return std::string(call) + ": "; }

void checkCommon(ncclComm* comm, ncclDataType_t type, const char* call) {
  braid::checkCommunicator(comm, call);
  if (!braid::isValidDataType(type))
    fail(ncclInvalidArgument, where(call) + "invalid data type " + std::to_string(type));
}

void checkRoot(const ncclComm* comm, int root, const char* call, const char* what = "root") {
  if (root < 0 || root >= comm->nranks)
    fail(ncclInvalidArgument,
         where(call) + what + " " + std::to_string(root) + " is not in [0, " + std::to_string(comm->nranks) + ")");
}

void checkBuffer(const void* buffer, size_t count, const char* call, const char* name) {
  if (!buffer && count > 0) fail(ncclInvalidArgument, where(call) + name + " is NULL");
}

// A buffer of `count` elements of `type`, `blocks` times (the calls whose buffers hold a block per rank): fails
// when its bytes overflow or exceed what one buffer can span (PTRDIFF_MAX). Every rank passes the same count,
// so every rank fails at once, the root of a Gather or Scatter and the others alike.
void checkSpan(size_t count, size_t blocks, ncclDataType_t type, const char* call) {
  size_t elements = 0, bytes = 0;
  if (__builtin_mul_overflow(count, blocks, &elements) ||
      __builtin_mul_overflow(elements, braid::dataTypeSize(type), &bytes) || bytes > PTRDIFF_MAX)
    fail(ncclInvalidArgument, where(call) + "count " + std::to_string(count) +
                                  (blocks > 1 ? " per rank of " + std::to_string(blocks) : std::string()) +
                                  " elements of " + std::to_string(braid::dataTypeSize(type)) +
                                  " bytes overflows a buffer's size");
}

// Whether a collective's buffers (one of them, at least) hold a block of `count` per rank.
bool blockPerRank(CollectiveKind kind) {
  return kind == CollectiveKind::ReduceScatter || kind == CollectiveKind::AllGather ||
         kind == CollectiveKind::AlltoAll || kind == CollectiveKind::Gather || kind == CollectiveKind::Scatter;
}

// NCCL's in-place layouts: where sendbuff lies in recvbuff (or recvbuff in sendbuff), in bytes from recvbuff.
// Other overlaps would have a rank read data it already overwrote, so they are refused rather than answered
// wrong. AlltoAll(v) copies an overlapping input aside (runtime/launch.cc) and takes any layout.
void checkOverlap(const CollectiveCall& c, const char* call) {
  if (c.shape.kind == CollectiveKind::AlltoAll || c.shape.kind == CollectiveKind::AlltoAllv) return;
  const size_t size = braid::dataTypeSize(c.type);
  const auto send = reinterpret_cast<uintptr_t>(c.sendbuff), recv = reinterpret_cast<uintptr_t>(c.recvbuff);
  if (c.sendSpan == 0 || c.recvSpan == 0 || send >= recv + c.recvSpan * size || recv >= send + c.sendSpan * size)
    return;
  const size_t block = c.shape.count * size;
  std::string inPlace;
  intptr_t sendFromRecv = 0;  // the in-place layout's sendbuff - recvbuff
  switch (c.shape.kind) {
    case CollectiveKind::AllGather:
      sendFromRecv = static_cast<intptr_t>(block * static_cast<size_t>(c.shape.rank));
      inPlace = "sendbuff == recvbuff + rank * sendcount elements";
      break;
    case CollectiveKind::Gather:
      sendFromRecv = static_cast<intptr_t>(block * static_cast<size_t>(c.shape.root));
      inPlace = "sendbuff == recvbuff + root * count elements";
      break;
    case CollectiveKind::ReduceScatter:
      sendFromRecv = -static_cast<intptr_t>(block * static_cast<size_t>(c.shape.rank));
      inPlace = "recvbuff == sendbuff + rank * recvcount elements";
      break;
    case CollectiveKind::Scatter:
      sendFromRecv = -static_cast<intptr_t>(block * static_cast<size_t>(c.shape.root));
      inPlace = "recvbuff == sendbuff + root * count elements";
      break;
    default: inPlace = "recvbuff == sendbuff";
  }
  if (static_cast<intptr_t>(send - recv) != sendFromRecv)
    fail(ncclInvalidArgument,
         where(call) + "sendbuff and recvbuff overlap but are not in place (in place: " + inPlace + ")");
}

CollectiveCall makeCall(ncclComm* comm, CollectiveKind kind, size_t count, int root, const void* sendbuff,
                        void* recvbuff, ncclDataType_t type) {
  CollectiveCall c;
  c.shape.kind = kind;
  c.shape.rank = comm->rank;
  c.shape.nranks = comm->nranks;
  c.shape.root = root;
  c.shape.count = count;
  c.sendbuff = sendbuff;
  c.recvbuff = recvbuff;
  c.type = type;
  return c;
}

// Reductions: AllReduce, Reduce, ReduceScatter. inputCount/outputCount are what this rank reads and produces.
ncclResult_t reduction(CollectiveKind kind, const char* call, const void* sendbuff, void* recvbuff, size_t count,
                       ncclDataType_t type, ncclRedOp_t op, int root, ncclComm* comm, cudaStream_t stream) {
  return apiCall(comm, [&] {
    checkCommon(comm, type, call);
    if (kind == CollectiveKind::Reduce) checkRoot(comm, root, call);
    const size_t n = static_cast<size_t>(comm->nranks);
    checkSpan(count, blockPerRank(kind) ? n : 1, type, call);
    const size_t inputCount = kind == CollectiveKind::ReduceScatter ? count * n : count;
    const bool producesOutput = kind != CollectiveKind::Reduce || comm->rank == root;
    checkBuffer(sendbuff, inputCount, call, "sendbuff");
    if (producesOutput) checkBuffer(recvbuff, count, call, "recvbuff");
    CollectiveCall c = makeCall(comm, kind, count, root, sendbuff, recvbuff, type);
    c.op = comm->redOps.resolve(op, type, comm->nranks);
    c.inputCount = inputCount;
    c.outputCount = producesOutput ? count : 0;
    c.sendSpan = inputCount;
    c.recvSpan = c.outputCount;
    checkOverlap(c, call);
    if (count > 0) braid::enqueueCollective(comm, std::move(c), stream);
  });
}

// Data movement without arithmetic. `sendCount`/`recvCount` are what this rank's buffers must hold.
ncclResult_t movement(CollectiveKind kind, const char* call, const void* sendbuff, void* recvbuff, size_t count,
                      size_t sendCount, size_t recvCount, ncclDataType_t type, int root, ncclComm* comm,
                      cudaStream_t stream) {
  return apiCall(comm, [&] {
    checkCommon(comm, type, call);
    checkSpan(count, blockPerRank(kind) ? static_cast<size_t>(comm->nranks) : 1, type, call);
    checkBuffer(sendbuff, sendCount, call, "sendbuff");
    checkBuffer(recvbuff, recvCount, call, "recvbuff");
    CollectiveCall c = makeCall(comm, kind, count, root, sendbuff, recvbuff, type);
    c.sendSpan = sendCount;
    c.recvSpan = recvCount;
    checkOverlap(c, call);
    if (count > 0) braid::enqueueCollective(comm, std::move(c), stream);
  });
}

bool isRoot(ncclComm* comm, int root) { return comm && comm->magic == ncclComm::kMagic && comm->rank == root; }
size_t ranksOf(ncclComm* comm) {
  return comm && comm->magic == ncclComm::kMagic ? static_cast<size_t>(comm->nranks) : 0;
}

// Root checks for the rooted movement collectives, before their buffers are looked at.
ncclResult_t rootCheck(ncclComm* comm, int root, const char* call) {
  return apiCall(comm, [&] {
    braid::checkCommunicator(comm, call);
    checkRoot(comm, root, call);
  });
}

ncclResult_t pointToPoint(bool isSend, const char* call, void* buffer, size_t count, ncclDataType_t type, int peer,
                          ncclComm* comm, cudaStream_t stream) {
  return apiCall(comm, [&] {
    checkCommon(comm, type, call);
    checkRoot(comm, peer, call, "peer");
    checkSpan(count, 1, type, call);
    checkBuffer(buffer, count, call, isSend ? "sendbuff" : "recvbuff");
    if (count > 0) braid::enqueuePointToPoint(comm, {isSend, peer, count * braid::dataTypeSize(type)}, buffer, stream);
  });
}

}  // namespace

BRAID_API ncclResult_t ncclAllReduce(const void* sendbuff, void* recvbuff, size_t count, ncclDataType_t datatype,
                                     ncclRedOp_t op, ncclComm_t comm, cudaStream_t stream) {
  return reduction(CollectiveKind::AllReduce, "ncclAllReduce", sendbuff, recvbuff, count, datatype, op, 0, comm,
                   stream);
}
BRAID_PROFILING_ALIAS(ncclAllReduce);

BRAID_API ncclResult_t ncclReduce(const void* sendbuff, void* recvbuff, size_t count, ncclDataType_t datatype,
                                  ncclRedOp_t op, int root, ncclComm_t comm, cudaStream_t stream) {
  return reduction(CollectiveKind::Reduce, "ncclReduce", sendbuff, recvbuff, count, datatype, op, root, comm, stream);
}
BRAID_PROFILING_ALIAS(ncclReduce);

BRAID_API ncclResult_t ncclReduceScatter(const void* sendbuff, void* recvbuff, size_t recvcount,
                                         ncclDataType_t datatype, ncclRedOp_t op, ncclComm_t comm,
                                         cudaStream_t stream) {
  return reduction(CollectiveKind::ReduceScatter, "ncclReduceScatter", sendbuff, recvbuff, recvcount, datatype, op, 0,
                   comm, stream);
}
BRAID_PROFILING_ALIAS(ncclReduceScatter);

BRAID_API ncclResult_t ncclBroadcast(const void* sendbuff, void* recvbuff, size_t count, ncclDataType_t datatype,
                                     int root, ncclComm_t comm, cudaStream_t stream) {
  if (ncclResult_t r = rootCheck(comm, root, "ncclBroadcast"); r != ncclSuccess) return r;
  return movement(CollectiveKind::Broadcast, "ncclBroadcast", sendbuff, recvbuff, count, isRoot(comm, root) ? count : 0,
                  count, datatype, root, comm, stream);
}
BRAID_PROFILING_ALIAS(ncclBroadcast);

BRAID_API ncclResult_t ncclBcast(void* buff, size_t count, ncclDataType_t datatype, int root, ncclComm_t comm,
                                 cudaStream_t stream) {
  return ncclBroadcast(buff, buff, count, datatype, root, comm, stream);
}
BRAID_PROFILING_ALIAS(ncclBcast);

BRAID_API ncclResult_t ncclAllGather(const void* sendbuff, void* recvbuff, size_t sendcount, ncclDataType_t datatype,
                                     ncclComm_t comm, cudaStream_t stream) {
  return movement(CollectiveKind::AllGather, "ncclAllGather", sendbuff, recvbuff, sendcount, sendcount,
                  sendcount * ranksOf(comm), datatype, 0, comm, stream);
}
BRAID_PROFILING_ALIAS(ncclAllGather);

BRAID_API ncclResult_t ncclAlltoAll(const void* sendbuff, void* recvbuff, size_t count, ncclDataType_t datatype,
                                    ncclComm_t comm, cudaStream_t stream) {
  return movement(CollectiveKind::AlltoAll, "ncclAlltoAll", sendbuff, recvbuff, count, count * ranksOf(comm),
                  count * ranksOf(comm), datatype, 0, comm, stream);
}
BRAID_PROFILING_ALIAS(ncclAlltoAll);

BRAID_API ncclResult_t ncclGather(const void* sendbuff, void* recvbuff, size_t count, ncclDataType_t datatype, int root,
                                  ncclComm_t comm, cudaStream_t stream) {
  if (ncclResult_t r = rootCheck(comm, root, "ncclGather"); r != ncclSuccess) return r;
  return movement(CollectiveKind::Gather, "ncclGather", sendbuff, recvbuff, count, count,
                  isRoot(comm, root) ? count * ranksOf(comm) : 0, datatype, root, comm, stream);
}
BRAID_PROFILING_ALIAS(ncclGather);

BRAID_API ncclResult_t ncclScatter(const void* sendbuff, void* recvbuff, size_t count, ncclDataType_t datatype,
                                   int root, ncclComm_t comm, cudaStream_t stream) {
  if (ncclResult_t r = rootCheck(comm, root, "ncclScatter"); r != ncclSuccess) return r;
  return movement(CollectiveKind::Scatter, "ncclScatter", sendbuff, recvbuff, count,
                  isRoot(comm, root) ? count * ranksOf(comm) : 0, count, datatype, root, comm, stream);
}
BRAID_PROFILING_ALIAS(ncclScatter);

BRAID_API ncclResult_t braidAlltoAllv(const void* sendbuff, const size_t sendcounts[], const size_t sdispls[],
                                      void* recvbuff, const size_t recvcounts[], const size_t rdispls[],
                                      ncclDataType_t datatype, ncclComm_t comm, cudaStream_t stream) {
  return apiCall(comm, [&] {
    const char* call = "braidAlltoAllv";
    checkCommon(comm, datatype, call);
    if (!sendcounts || !sdispls || !recvcounts || !rdispls)
      fail(ncclInvalidArgument, where(call) + "counts and displacements must not be NULL");
    const size_t n = static_cast<size_t>(comm->nranks);
    CollectiveCall c = makeCall(comm, CollectiveKind::AlltoAllv, 0, 0, sendbuff, recvbuff, datatype);
    c.shape.sendCounts.assign(sendcounts, sendcounts + n);
    c.shape.sendDispls.assign(sdispls, sdispls + n);
    c.shape.recvCounts.assign(recvcounts, recvcounts + n);
    c.shape.recvDispls.assign(rdispls, rdispls + n);
    size_t sent = 0, received = 0;
    for (size_t p = 0; p < n; ++p) {
      size_t sendEnd = 0, recvEnd = 0;
      if (__builtin_add_overflow(sent, sendcounts[p], &sent) ||
          __builtin_add_overflow(received, recvcounts[p], &received) ||
          __builtin_add_overflow(sdispls[p], sendcounts[p], &sendEnd) ||
          __builtin_add_overflow(rdispls[p], recvcounts[p], &recvEnd))
        fail(ncclInvalidArgument, where(call) + "counts and displacements of peer " + std::to_string(p) + " overflow");
      c.sendSpan = std::max(c.sendSpan, sendEnd);
      c.recvSpan = std::max(c.recvSpan, recvEnd);
    }
    checkSpan(std::max(c.sendSpan, c.recvSpan), 1, datatype, call);
    checkBuffer(sendbuff, sent, call, "sendbuff");
    checkBuffer(recvbuff, received, call, "recvbuff");
    if (sendcounts[comm->rank] != recvcounts[comm->rank])
      fail(ncclInvalidArgument, where(call) + "sendcounts[rank] and recvcounts[rank] differ");
    braid::enqueueCollective(comm, std::move(c), stream);
  });
}

BRAID_API ncclResult_t ncclSend(const void* sendbuff, size_t count, ncclDataType_t datatype, int peer, ncclComm_t comm,
                                cudaStream_t stream) {
  return pointToPoint(true, "ncclSend", const_cast<void*>(sendbuff), count, datatype, peer, comm, stream);
}
BRAID_PROFILING_ALIAS(ncclSend);

BRAID_API ncclResult_t ncclRecv(void* recvbuff, size_t count, ncclDataType_t datatype, int peer, ncclComm_t comm,
                                cudaStream_t stream) {
  return pointToPoint(false, "ncclRecv", recvbuff, count, datatype, peer, comm, stream);
}
BRAID_PROFILING_ALIAS(ncclRecv);

BRAID_API ncclResult_t braidRecvAnySource(void* recvbuff, size_t count, ncclDataType_t datatype, int* source,
                                          ncclComm_t comm, cudaStream_t stream) {
  return apiCall(comm, [&] {
    const char* call = "braidRecvAnySource";
    checkCommon(comm, datatype, call);
    if (!source) fail(ncclInvalidArgument, where(call) + "source is NULL");
    if (count == 0) fail(ncclInvalidArgument, where(call) + "count must be positive");
    checkSpan(count, 1, datatype, call);
    checkBuffer(recvbuff, count, call, "recvbuff");
    if (comm->nranks == 1) fail(ncclInvalidUsage, where(call) + "the communicator has no other rank");
    braid::enqueueAnySourceReceive(comm, recvbuff, count * braid::dataTypeSize(datatype), source, stream);
  });
}

BRAID_API ncclResult_t ncclGroupStart(void) {
  return apiCall(nullptr, [] { braid::groupStart(); });
}
BRAID_PROFILING_ALIAS(ncclGroupStart);

BRAID_API ncclResult_t ncclGroupEnd(void) {
  return apiCall(nullptr, [] { braid::groupEnd(); });
}
BRAID_PROFILING_ALIAS(ncclGroupEnd);

BRAID_API ncclResult_t ncclGroupSimulateEnd(ncclSimInfo_t* simInfo) {
  constexpr unsigned kSimInfoMagic = 0x74685283;  // what NCCL_SIM_INFO_INITIALIZER writes
  return apiCall(nullptr, [&] {
    if (!simInfo) fail(ncclInvalidArgument, "ncclGroupSimulateEnd: simInfo is NULL");
    if (simInfo->magic != kSimInfoMagic || simInfo->size < offsetof(ncclSimInfo_t, estimatedTime) + sizeof(float))
      fail(ncclInvalidArgument, "ncclGroupSimulateEnd: simInfo was not initialized with NCCL_SIM_INFO_INITIALIZER");
    simInfo->estimatedTime = static_cast<float>(braid::groupSimulateEnd());
  });
}
BRAID_PROFILING_ALIAS(ncclGroupSimulateEnd);
