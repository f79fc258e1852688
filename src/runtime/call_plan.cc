#include "runtime/call_plan.h"

#include "base/error.h"
#include "base/log.h"
#include "device/datatype.h"
#include "device/device.h"
#include "exec/channels_run.h"
#include "exec/direct_run.h"
#include "runtime/communicator.h"

namespace braid {
namespace {

// NCCL's size of a call (what nccl-tests prints): the buffer for AllReduce, Broadcast and Reduce; the whole
// output of AllGather and Gather; the whole input of ReduceScatter, Scatter and AlltoAll.
size_t callBytes(const CollectiveShape& s, ncclDataType_t type) {
  const size_t bytes = s.count * dataTypeSize(type);
  switch (s.kind) {
    case CollectiveKind::AllReduce:
    case CollectiveKind::Broadcast:
    case CollectiveKind::Reduce: return bytes;
    default: return bytes * static_cast<size_t>(s.nranks);
  }
}

}  // namespace

void planCall(ncclComm* comm, CollectiveCall& call) {
  if (!comm->planner) return;  // a communicator still initializing: its calls fail on use
  const size_t bytes = callBytes(call.shape, call.type);
  bool fresh = false;
  const planner::Choice choice = comm->planner->choose(call.shape.kind, bytes, &fresh);
  if (fresh)
    BRAID_INFO("TUNING", "rank %d: %s of %zu bytes on %d ranks: %s/%s%s (%s, predicted %.2f us)", comm->rank,
               collectiveName(call.shape.kind), bytes, call.shape.nranks, algorithmName(choice.algorithm),
               protocolName(choice.protocol), choice.foldedRails ? " with folded logarithmic rails" : "",
               planner::choiceSourceName(choice.source), choice.predictedUs);
  // CMA runs in the ranks' buffers (direct_run.h); the standby schedule serves should a peer's mapping fail.
  call.shape.algorithm = choice.protocol == Protocol::CrossMemory ? Algorithm::Default : choice.algorithm;
  call.shape.foldedRails = choice.foldedRails;
  call.protocol = choice.protocol;
}

RunPlan planRun(ncclComm& comm, const CollectiveCall& c) {
  if (c.protocol == Protocol::LowLatency) {
    if (!comm.mailbox) fail(ncclInternalError, "LL protocol chosen without mailboxes");
    return {RunPlan::LowLatency};
  }
  const size_t elementSize = dataTypeSize(c.type);
  const int channels = ChannelsRun::channelsFor(comm.collectiveChannels().count(), c.shape, c.protocol, elementSize);
  if (c.protocol == Protocol::CrossMemory) {
    if (!comm.crossMemoryScratch) fail(ncclInternalError, "CMA protocol chosen without cross-memory attach");
    return {RunPlan::CrossMemory, channels};
  }
  // Buffers that could be mapped go direct, unless recent calls found they are not (DirectAttempts).
  if (comm.peerBuffers && DirectRun::tried(c.shape, elementSize) && comm.directAttempts.shouldTry())
    return {RunPlan::ZeroCopy, channels};
  return {RunPlan::Schedule, channels};
}

double predictedMicroseconds(const ncclComm& comm, const CommWork& work) {
  if (!comm.planner) return 0;  // still initializing: its calls would fail
  double us = 0;
  for (const CollectiveCall& c : work.collectives)
    us += comm.planner->choose(c.shape.kind, callBytes(c.shape, c.type)).predictedUs;
  if (!work.pointToPoint.empty())
    us += pointToPointGroupCost(comm.rank, work.pointToPoint, comm.planner->model()).timeUs;
  return us;
}

bool runsAlone(const ncclComm& comm, const CollectiveCall& c) {
  return c.protocol == Protocol::LowLatency && comm.mailbox && !comm.checkCollectives && !c.op.scaleInputs &&
         !c.op.divideByRanks && !device::acceleratorsAvailable();
}

}  // namespace braid
