#include "runtime/launch_profile.h"

#include "algorithms/planner/planner.h"
#include "algorithms/registry.h"
#include "device/datatype.h"
#include "runtime/communicator.h"

namespace braid {
namespace {

// NCCL's spelling where the algorithm is one of NCCL's, else Braid's name.
const char* ncclAlgorithmName(Algorithm algorithm) {
  if (algorithm == Algorithm::Ring) return "Ring";
  if (algorithm == Algorithm::Tree) return "Tree";
  return algorithmName(algorithm);
}

ProfilerEvent pointToPointEvent(const PointToPointCall& call, char* buffer, void* apiEvent, void* group) {
  ProfilerEvent e;
  e.type = ncclProfileP2p;
  e.parent = apiEvent;
  e.parentGroup = group;
  e.func = call.isSend ? ncclFuncSend : ncclFuncRecv;
  e.funcName = call.isSend ? "Send" : "Recv";
  e.count = call.bytes;  // the batch keeps bytes, not the caller's type
  e.peer = call.peer;
  e.recvBuff = buffer;  // the descriptor's one buffer, sent from or received into
  return e;
}

}  // namespace

void ProfiledSteps::reset(ProfilerSession* session, int channel, int nranks, void* parent) {
  session_ = session;
  channel_ = channel;
  slots_.assign(2 * static_cast<size_t>(nranks), Slot{parent});
}

void ProfiledSteps::trafficStarted(int peer, bool isSend, int steps, size_t firstStepBytes) {
  if (!session_->wants(ncclProfileProxyOp)) return;
  Slot& s = slot(peer, isSend);
  ProfilerEvent e;
  e.type = ncclProfileProxyOp;
  e.parent = s.parent;
  e.channel = channel_;
  e.peer = peer;
  e.isSend = isSend;
  e.nSteps = steps;
  e.chunkSize = firstStepBytes;
  s.traffic = session_->start(e);
}

// A send step waits for its data (the step it follows) and room at the peer, then for its bytes to go out; a
// receive waits for bytes, then consumes them into its output.
void ProfiledSteps::stepStarted(int peer, bool isSend, int step, size_t bytes) {
  if (!session_->wants(ncclProfileProxyStep)) return;
  Slot& s = slot(peer, isSend);
  ProfilerEvent e;
  e.type = ncclProfileProxyStep;
  e.parent = s.traffic;
  e.step = step;
  s.step = session_->start(e);
  s.stepBytes = bytes;
  session_->record(s.step, isSend ? ncclProfilerProxyStepSendGPUWait : ncclProfilerProxyStepRecvWait, 0);
}

void ProfiledSteps::stepMoving(int peer, bool isSend) {
  Slot& s = slot(peer, isSend);
  if (s.step)
    session_->record(s.step, isSend ? ncclProfilerProxyStepSendWait : ncclProfilerProxyStepRecvGPUWait, s.stepBytes);
}

void ProfiledSteps::stepFinished(int peer, bool isSend, bool last) {
  Slot& s = slot(peer, isSend);
  if (s.step) session_->stop(s.step), s.step = nullptr;
  if (last && s.traffic) session_->stop(s.traffic), s.traffic = nullptr;
}

void ProfiledSteps::stopAll() {
  for (Slot& s : slots_) {
    if (s.step) session_->stop(s.step), s.step = nullptr;
    if (s.traffic) session_->stop(s.traffic), s.traffic = nullptr;
  }
}

void LaunchProfile::begin(const CommWork& work) {
  session_ = work.comm->profiler.get();
  if (!session_) return;
  work_ = &work;
  ProfilerEvent group;
  group.type = ncclProfileGroup;
  group_ = session_->wants(ncclProfileGroup) ? session_->start(group) : nullptr;
  pointToPoint_.clear();
  if (work.pointToPoint.empty()) return;
  pointToPointSteps_.reset(session_, 0, work.comm->nranks, nullptr);
  for (size_t i = 0; i < work.pointToPoint.size(); ++i) {
    const PointToPointCall& call = work.pointToPoint[i];
    void* api = i < work.pointToPointApiEvents.size() ? work.pointToPointApiEvents[i] : nullptr;
    void* handle = session_->wants(ncclProfileP2p)
                       ? session_->start(pointToPointEvent(call, work.pointToPointBuffers[i], api, group_))
                       : nullptr;
    pointToPoint_.push_back(handle);
    // A peer's traffic in one direction carries all calls with it in that direction: the first is its parent.
    pointToPointSteps_.setParentOnce(call.peer, call.isSend, handle);
  }
}

void LaunchProfile::collectiveStarted(const CollectiveCall& call, const RunPlan& plan, uint64_t sequence) {
  if (!session_ || !session_->wants(ncclProfileColl)) return;
  const std::optional<ncclFunc_t> func = planner::ncclFuncOf(call.shape.kind);
  ProfilerEvent e;
  e.type = ncclProfileColl;
  e.parent = call.apiEvent;
  e.parentGroup = group_;
  e.func = func ? *func : ncclFuncAlltoAll;  // AlltoAllv is NCCL's AlltoAll with counts
  e.funcName = collectiveName(call.shape.kind);
  e.datatype = call.type;
  e.count = call.shape.count;
  e.root = call.shape.root;
  e.sendBuff = call.sendbuff;
  e.recvBuff = call.recvbuff;
  e.op = static_cast<uint32_t>(call.op.requested);
  e.seqNumber = sequence;
  e.trafficBytes = call.shape.count * dataTypeSize(call.type);
  e.nChannels = plan.channels;
  e.algo = planner::ncclAlgorithmOf(call.shape.algorithm).value_or(NCCL_ALGO_UNDEF);
  e.algoName = ncclAlgorithmName(call.shape.algorithm);
  e.proto = planner::ncclProtocolOf(call.protocol).value_or(NCCL_PROTO_UNDEF);
  e.protoName = protocolName(call.protocol);
  collective_ = session_->start(e);
}

std::vector<StepObserver*> LaunchProfile::collectiveObservers(int channels) {
  if (!session_) return {};
  if (static_cast<int>(channels_.size()) < channels) channels_.resize(channels);
  std::vector<StepObserver*> observers;
  for (int c = 0; c < channels; ++c) {
    channels_[c].reset(session_, c, work_->comm->nranks, collective_);
    observers.push_back(&channels_[c]);
  }
  return observers;
}

void LaunchProfile::collectiveFinished() {
  if (!session_) return;
  session_->stop(collective_);
  collective_ = nullptr;
}

void LaunchProfile::pointToPointFinished() {
  if (!session_) return;
  for (void*& handle : pointToPoint_) session_->stop(handle), handle = nullptr;
}

void LaunchProfile::end() {
  if (!session_) return;
  for (ProfiledSteps& steps : channels_) steps.stopAll();
  pointToPointSteps_.stopAll();
  collectiveFinished();
  pointToPointFinished();
  session_->stop(group_);
  group_ = nullptr;
  session_ = nullptr;
  work_ = nullptr;
}

}  // namespace braid
