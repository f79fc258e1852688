#include "exec/schedule_run.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "base/error.h"
#include "device/host/streaming_copy.h"
#include "exec/call_tag.h"

namespace braid {
namespace {
// Outputs from receives this large (and never read back by the schedule) bypass the cache: at this size the
// output cannot stay in the cache anyway, and ordinary stores would first read every line.
constexpr size_t kStreamingStepBytes = size_t{4} << 20;
// A first piece of a stream up to this size carries the call's tag in the same message (trySendAfter): a FIFO slot
// of its own would cost a small collective a hand-off between cores (~0.15 us on the CI VM). Larger pieces
// follow the tag on their own, so that they stay aligned as they were.
constexpr size_t kTagRideBytes = 2048;
}  // namespace

ScheduleRun::ScheduleRun(const Schedule& schedule, const std::vector<char*>& buffers, size_t elementSize,
                         ReduceFn reduce, ChannelConnections& connections, uint64_t tag) {
  start(schedule, buffers, elementSize, reduce, connections, tag);
}

void ScheduleRun::start(const Schedule& schedule, const std::vector<char*>& buffers, size_t elementSize,
                        ReduceFn reduce, ChannelConnections& connections, uint64_t tag) {
  schedule_ = &schedule;
  buffers_.assign(buffers.begin(), buffers.end());
  elementSize_ = elementSize;
  reduce_ = reduce;
  connections_ = &connections;
  tagBlock_[0] = tag_ = tag;
  sendFirst_ = tag != kNoCallTag;
  doneBytes_.assign(schedule.steps.size(), 0);
  const size_t peers = connections.send.size();
  sendQueues_.resize(peers);
  recvQueues_.resize(peers);
  const size_t tagBytes = tag == kNoCallTag ? kTagBlockBytes : 0;
  for (auto* queues : {&sendQueues_, &recvQueues_})
    for (Queue& q : *queues) q.steps.clear(), q.head = 0, q.tagBytes = tagBytes;  // clear() keeps the capacity
  activePeers_.clear();
  localSteps_.clear();
  finishedSteps_ = 0;
  streamed_ = false;
  for (size_t i = 0; i < schedule.steps.size(); ++i) {
    const Step& s = schedule.steps[i];
    if (s.kind == StepKind::Copy || s.kind == StepKind::Reduce) {
      if (s.count == 0) ++finishedSteps_;
      else localSteps_.push_back(static_cast<int>(i));
      continue;
    }
    if (s.peer < 0 || static_cast<size_t>(s.peer) >= peers)
      fail(ncclInternalError, "schedule step " + std::to_string(i) + " names peer " + std::to_string(s.peer));
    bool isSend = s.kind == StepKind::Send;
    if (isSend ? !connections.send[s.peer] : !connections.recv[s.peer])
      fail(ncclInternalError, "no connection to rank " + std::to_string(s.peer));
    (isSend ? sendQueues_ : recvQueues_)[s.peer].steps.push_back(static_cast<int>(i));
    if (std::find(activePeers_.begin(), activePeers_.end(), s.peer) == activePeers_.end())
      activePeers_.push_back(s.peer);
  }
  if (!observer_) return;
  for (int peer : activePeers_)
    for (bool isSend : {true, false}) {
      const Queue& q = (isSend ? sendQueues_ : recvQueues_)[peer];
      if (q.steps.empty()) continue;
      const size_t firstBytes = schedule.steps[q.steps.front()].count * elementSize;
      observer_->trafficStarted(peer, isSend, static_cast<int>(q.steps.size()), firstBytes);
      observer_->stepStarted(peer, isSend, 0, firstBytes);
    }
}

void ScheduleRun::stepDone(int peer, bool isSend, const Queue& q) {
  const bool last = q.head + 1 == q.steps.size();
  observer_->stepFinished(peer, isSend, last);
  if (!last)
    observer_->stepStarted(peer, isSend, static_cast<int>(q.head + 1),
                           steps()[q.steps[q.head + 1]].count * elementSize_);
}

size_t ScheduleRun::limitBytes(const Step& step) const {
  const size_t total = step.count * elementSize_;
  // An empty step passes on its own gate: it is done only when what it waits for is.
  int gate = step.after;
  bool throughEmpty = false;
  while (gate >= 0 && steps()[gate].count == 0) gate = steps()[gate].after, throughEmpty = true;
  if (gate < 0) return total;
  const size_t gateDone = doneBytes_[gate];
  if (gateDone == steps()[gate].count * elementSize_) return total;
  if (throughEmpty) return 0;
  // The gating step's finished prefix, in whole elements, shifted to this step's elements.
  const size_t ready = gateDone / elementSize_;
  if (ready <= step.afterOffset) return 0;  // kWholeStep: until the gate is finished
  return std::min(total, (ready - step.afterOffset) * elementSize_);
}

bool ScheduleRun::sendTag(int peer, Queue& q, bool& moved) {
  SendConnection& conn = *connections_->send[peer];
  const int first = q.steps[q.head];
  const size_t ready = limitBytes(steps()[first]) - doneBytes_[first];
  if (q.tagBytes == 0 && ready > 0 && ready <= kTagRideBytes) {
    // The tag and the first piece in one message; the transport may take less, as always.
    const size_t n =
        conn.trySendAfter(tagBlock_, kTagBlockBytes, address(steps()[first].src) + doneBytes_[first], ready);
    q.tagBytes = std::min(n, kTagBlockBytes);
    doneBytes_[first] += n - q.tagBytes;
    moved |= n > 0;
  }
  while (q.tagBytes < kTagBlockBytes) {
    const size_t n = conn.trySend(reinterpret_cast<const char*>(tagBlock_) + q.tagBytes, kTagBlockBytes - q.tagBytes);
    if (n == 0) return false;
    q.tagBytes += n;
    moved = true;
  }
  return true;
}

// The tag ahead of a peer's data for this call; another call's fails at once, before any of its bytes is used.
bool ScheduleRun::recvTag(int peer, Queue& q, bool& moved) {
  RecvConnection& conn = *connections_->recv[peer];
  while (q.tagBytes < kTagBlockBytes) {
    const Chunk chunk = conn.peek();
    const size_t take = std::min(chunk.size, kTagBlockBytes - q.tagBytes);
    if (take == 0) return false;
    if (q.tagBytes < sizeof q.tagSeen)
      std::memcpy(reinterpret_cast<char*>(&q.tagSeen) + q.tagBytes, chunk.data,
                  std::min(take, sizeof q.tagSeen - q.tagBytes));
    conn.release(take);
    q.tagBytes += take;
    moved = true;
  }
  if (q.tagSeen != tag_ && tag_ != kNoCallTag) failMismatchedCall(peer, q.tagSeen, tag_);
  return true;
}

bool ScheduleRun::advanceSend(int peer) {
  Queue& q = sendQueues_[peer];
  bool moved = false;
  // Sends already taken may still need pushing: message networks progress only when asked, and the next step
  // for this peer may be gated on data that the peer sends only once it has received these.
  if (!q.steps.empty()) connections_->send[peer]->flush();
  if (q.head < q.steps.size() && !sendTag(peer, q, moved)) return moved;
  while (q.head < q.steps.size()) {
    int index = q.steps[q.head];
    const Step& step = steps()[index];
    size_t& done = doneBytes_[index];
    const size_t limit = limitBytes(step);
    const char* src = address(step.src);
    while (done < limit) {
      size_t n = connections_->send[peer]->trySend(src + done, limit - done);
      if (n == 0) break;
      if (observer_ && done == 0) observer_->stepMoving(peer, true);
      done += n;
      moved = true;
    }
    if (done < step.count * elementSize_) return moved;
    if (observer_) stepDone(peer, true, q);
    ++q.head, ++finishedSteps_;
  }
  return moved;
}

bool ScheduleRun::advanceRecv(int peer) {
  Queue& q = recvQueues_[peer];
  RecvConnection& conn = *connections_->recv[peer];
  bool moved = false;
  if (q.head < q.steps.size() && !recvTag(peer, q, moved)) return moved;
  while (q.head < q.steps.size()) {
    int index = q.steps[q.head];
    const Step& step = steps()[index];
    size_t& done = doneBytes_[index];
    const size_t total = step.count * elementSize_;
    while (done < total) {
      size_t limit = limitBytes(step);
      if (done >= limit) return moved;
      Chunk chunk = conn.peek();
      size_t take = std::min(chunk.size, limit - done);
      if (step.kind == StepKind::RecvReduce) {
        take -= take % elementSize_;  // reduce whole elements only; the rest stays in the stream
        const char* incoming = chunk.data;
        if (take > 0 && reinterpret_cast<uintptr_t>(incoming) % elementSize_ != 0) {
          // A byte stream (sockets) can present elements off their natural alignment; kernels need it.
          bounce_.resize((take + sizeof(uint64_t) - 1) / sizeof(uint64_t));
          std::memcpy(bounce_.data(), incoming, take);
          incoming = reinterpret_cast<const char*>(bounce_.data());
        }
        if (take > 0) reduce_(address(step.dst) + done, address(step.src) + done, incoming, take / elementSize_);
      } else if (take > 0 && step.lastWrite && total >= kStreamingStepBytes) {
        copyStreaming(address(step.dst) + done, chunk.data, take);
        streamed_ = true;
      } else if (take > 0) {
        std::memcpy(address(step.dst) + done, chunk.data, take);
      }
      if (take == 0) return moved;
      if (observer_ && done == 0) observer_->stepMoving(peer, false);
      conn.release(take);
      done += take;
      moved = true;
    }
    if (observer_) stepDone(peer, false, q);
    ++q.head, ++finishedSteps_;
  }
  return moved;
}

bool ScheduleRun::advanceLocal(int index) {
  const Step& step = steps()[index];
  size_t& done = doneBytes_[index];
  const size_t limit = limitBytes(step);
  if (limit <= done) return false;
  char* dst = address(step.dst);
  const char* src = address(step.src);
  if (step.kind == StepKind::Reduce) reduce_(dst + done, dst + done, src + done, (limit - done) / elementSize_);
  else if (dst != src) std::memcpy(dst + done, src + done, limit - done);
  done = limit;
  if (done == step.count * elementSize_) ++finishedSteps_;
  return true;
}

ScheduleRun::Progress ScheduleRun::progress() {
  bool movedAny = false;
  for (bool again = true; again;) {
    bool moved = false;
    for (int index : localSteps_)
      if (doneBytes_[index] < steps()[index].count * elementSize_) moved |= advanceLocal(index);
    // A tagged run's first round sends before it receives: the tags go out (riding on the first data, which the
    // local steps may just have made ready), so that every peer can judge this call even if a receive then
    // fails this rank.
    const bool receive = !sendFirst_;
    sendFirst_ = false;
    if (receive)
      for (int peer : activePeers_) moved |= advanceRecv(peer);
    for (int peer : activePeers_) moved |= advanceSend(peer);
    movedAny |= moved;
    again = moved || !receive;
  }
  bool finished = finishedSteps_ == steps().size();
  for (int peer : activePeers_)
    if (finished && !sendQueues_[peer].steps.empty() && !connections_->send[peer]->flush()) finished = false;
  if (finished && streamed_) fenceStreaming();  // before whoever learns of the finish reads the outputs
  return {finished, movedAny};
}

std::string ScheduleRun::describeWait() const {
  for (size_t i = 0; i < steps().size(); ++i) {
    const Step& s = steps()[i];
    size_t total = s.count * elementSize_;
    if (doneBytes_[i] >= total) continue;
    static const char* kinds[] = {"send to", "recv from", "recv-reduce from", "copy", "reduce"};
    std::string what = kinds[static_cast<int>(s.kind)];
    if (s.kind != StepKind::Copy && s.kind != StepKind::Reduce) what += " rank " + std::to_string(s.peer);
    return "step " + std::to_string(i) + " (" + what + "): " + std::to_string(doneBytes_[i]) + " of " +
           std::to_string(total) + " bytes";
  }
  return "nothing";
}

// Only peers this run still needs: with rd, mesh or the hierarchical schedules a peer may finish its part, leave
// and close its connections while this rank still waits on others.
void ScheduleRun::checkPeers() const {
  for (int peer : activePeers_) {
    const Queue& sends = sendQueues_[peer];
    const Queue& receives = recvQueues_[peer];
    if (sends.head < sends.steps.size() || (!sends.steps.empty() && !connections_->send[peer]->flush()))
      connections_->send[peer]->checkPeer();
    if (receives.head < receives.steps.size()) connections_->recv[peer]->checkPeer();
  }
}

}  // namespace braid
