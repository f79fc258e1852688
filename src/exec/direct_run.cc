#include "exec/direct_run.h"

#include <algorithm>
#include <cstring>

#include "device/host/streaming_copy.h"
#include "exec/call_tag.h"
#include "transports/shm/cross_memory.h"

namespace braid {
namespace {

constexpr size_t kShareAlignment = 4096;                     // shares start on page boundaries
constexpr size_t kStretchBytes = LlMailbox::kCapacityBytes;  // reduced in the mailbox's staging, cache-hot
constexpr size_t kBytesPerProgress = 1 << 20;                // then back to the launch loop (health, other comms)
constexpr size_t kStreamingBytes = size_t{8} << 20;          // outputs of all ranks together: from this, stream them
static_assert(sizeof(SharedBufferRef) <= LlLine::kPayloadBytes, "a buffer's description fits one LL line");

}  // namespace

bool DirectRun::tried(const CollectiveShape& shape, size_t elementSize) {
  switch (shape.kind) {
    case CollectiveKind::AllReduce:
    case CollectiveKind::ReduceScatter:
    case CollectiveKind::AllGather:
    case CollectiveKind::Broadcast:
    case CollectiveKind::Reduce:
    case CollectiveKind::AlltoAll: return shape.count * elementSize >= kMinBytes;
    default: return false;
  }
}

DirectRun::DirectRun(const LlMailbox& mailbox, PeerBufferMap* peers, uint64_t sequence, uint64_t tag,
                     const CollectiveShape& shape, size_t elementSize, ReduceFn reduce, const char* input, char* output,
                     char* crossMemoryScratch)
    : mailbox_(mailbox),
      peers_(peers),
      sequence_(sequence),
      flag_(LlMailbox::flagOf(sequence, tag)),
      kind_(shape.kind),
      rank_(shape.rank),
      nranks_(shape.nranks),
      root_(shape.root),
      count_(shape.count),
      elementSize_(elementSize),
      reduce_(reduce),
      input_(input),
      output_(output),
      sendOf_(shape.nranks, nullptr),
      recvOf_(shape.nranks, nullptr),
      crossMemoryScratch_(crossMemoryScratch) {
  sendOf_[rank_] = const_cast<char*>(input_);
  recvOf_[rank_] = output_;
  const size_t bytes = count_ * elementSize_;
  shareEnd_ = kind_ == CollectiveKind::AlltoAll ? sendBytes() : bytes;
  streaming_ = recvBytes() * static_cast<size_t>(nranks_) >= kStreamingBytes;
  if (kind_ == CollectiveKind::AllReduce || kind_ == CollectiveKind::Reduce) {
    // 1/n of the elements each, whole pages.
    const size_t n = static_cast<size_t>(nranks_);
    const size_t share = ((bytes + n - 1) / n + kShareAlignment - 1) / kShareAlignment * kShareAlignment;
    shareBegin_ = std::min(bytes, share * static_cast<size_t>(rank_));
    shareEnd_ = std::min(bytes, shareBegin_ + share);
  }
}

// Which buffers the collective touches on other ranks than their owner's.
bool DirectRun::needsSend(int rank) const {
  switch (kind_) {
    case CollectiveKind::AllReduce:
    case CollectiveKind::ReduceScatter:
    case CollectiveKind::Reduce: return true;
    case CollectiveKind::Broadcast: return rank == root_;
    default: return false;
  }
}

bool DirectRun::needsRecv(int rank) const {
  switch (kind_) {
    case CollectiveKind::AllReduce:
    case CollectiveKind::AllGather:
    case CollectiveKind::AlltoAll: return true;
    case CollectiveKind::Reduce: return rank == root_;
    default: return false;
  }
}

size_t DirectRun::sendBytes() const {
  const bool perRank = kind_ == CollectiveKind::ReduceScatter || kind_ == CollectiveKind::AlltoAll;
  return count_ * elementSize_ * (perRank ? static_cast<size_t>(nranks_) : 1);
}

size_t DirectRun::recvBytes() const {
  const bool perRank = kind_ == CollectiveKind::AllGather || kind_ == CollectiveKind::AlltoAll;
  return count_ * elementSize_ * (perRank ? static_cast<size_t>(nranks_) : 1);
}

int DirectRun::firstWithout(size_t line) const {
  for (int r = 0; r < nranks_; ++r)
    if (r != rank_ && !mailbox_.slot(r, sequence_)[line].holds(flag_)) return r;
  return -1;
}

// Every rank reads the same lines, so every rank reaches the same verdict.
void DirectRun::agree() {
  std::vector<SharedBufferRef> sends(nranks_), recvs(nranks_);
  bool shareable = peers_ != nullptr;
  for (int r = 0; r < nranks_; ++r) {
    const LlLine* lines = mailbox_.slot(r, sequence_);
    std::memcpy(&sends[r], lines[kSendLine].payload, sizeof(SharedBufferRef));
    std::memcpy(&recvs[r], lines[kRecvLine].payload, sizeof(SharedBufferRef));
    shareable &= (!needsSend(r) || sends[r].shareable()) && (!needsRecv(r) || recvs[r].shareable());
  }
  if (!shareable && !crossMemoryScratch_) {
    mailbox_.finished(sequence_);
    phase_ = Phase::FellBack;
    return;
  }
  if (!shareable) return useCrossMemory(sends, recvs);
  bool mapped = true;
  for (int r = 0; r < nranks_ && mapped; ++r) {
    if (r == rank_) continue;
    if (needsSend(r)) mapped &= (sendOf_[r] = peers_->resolve(r, sends[r])) != nullptr;
    if (needsRecv(r)) mapped &= (recvOf_[r] = peers_->resolve(r, recvs[r])) != nullptr;
  }
  const unsigned char vote = mapped ? 1 : 0;
  mailbox_.slot(rank_, sequence_)[kVoteLine].post(&vote, 1, flag_);
  phase_ = Phase::Vote;
}

// Nothing to map, so nothing to vote on: every rank knows its peers' addresses and may attach to them (the
// communicator checked at init), so all go to work.
void DirectRun::useCrossMemory(const std::vector<SharedBufferRef>& sends, const std::vector<SharedBufferRef>& recvs) {
  crossMemory_ = true;
  remoteSend_.resize(nranks_);
  remoteRecv_.resize(nranks_);
  for (int r = 0; r < nranks_; ++r) remoteSend_[r] = sends[r].address, remoteRecv_[r] = recvs[r].address;
  phase_ = Phase::Work;
}

void DirectRun::countVotes() {
  bool all = true;
  for (int r = 0; r < nranks_; ++r) all &= mailbox_.slot(r, sequence_)[kVoteLine].payload[0] == 1;
  phase_ = all ? Phase::Work : Phase::FellBack;
  if (!all) mailbox_.finished(sequence_);
}

const char* DirectRun::sourceOf(int r, size_t offset, size_t bytes, char* scratch) const {
  if (!crossMemory_ || r == rank_) return sendOf_[r] + offset;
  cross_memory::read(mailbox_.ownerPid(r), remoteSend_[r] + offset, scratch, bytes);
  return scratch;
}

void DirectRun::fetch(int r, size_t offset, char* to, size_t bytes) const {
  if (!crossMemory_ || r == rank_) copy(to, sendOf_[r] + offset, bytes, true);
  else cross_memory::read(mailbox_.ownerPid(r), remoteSend_[r] + offset, to, bytes);
}

void DirectRun::deliver(int r, size_t offset, const char* from, size_t bytes) const {
  if (!crossMemory_ || r == rank_) copy(recvOf_[r] + offset, from, bytes, recvOf_[r] != sendOf_[r]);
  else cross_memory::write(mailbox_.ownerPid(r), remoteRecv_[r] + offset, from, bytes);
}

// In rank order over every rank's send buffer, as the mesh schedule does: the same bits whoever computes them.
// With cross memory, `result` is the scratch's first stretch and peers' stretches land in the other two.
void DirectRun::reduceStretch(size_t sendOffset, size_t bytes, char* result) const {
  const size_t count = bytes / elementSize_;
  char* first = crossMemory_ ? crossMemoryScratch_ + kCrossMemoryStretchBytes : nullptr;
  char* next = crossMemory_ ? first + kCrossMemoryStretchBytes : nullptr;
  reduce_(result, sourceOf(0, sendOffset, bytes, first), sourceOf(1, sendOffset, bytes, next), count);
  for (int r = 2; r < nranks_; ++r) reduce_(result, result, sourceOf(r, sendOffset, bytes, next), count);
}

// An output that is also an input was just read, so its lines are in this core's cache: ordinary stores then.
void DirectRun::copy(char* to, const char* from, size_t bytes, bool uncached) const {
  if (streaming_ && uncached) copyStreaming(to, from, bytes);
  else std::memcpy(to, from, bytes);
}

bool DirectRun::work() {
  const size_t stop = std::min(shareEnd_, shareBegin_ + worked_ + kBytesPerProgress);
  const size_t block = count_ * elementSize_;  // one rank's part of a per-rank buffer
  const size_t own = static_cast<size_t>(rank_) * block;
  const size_t stretch = crossMemory_ ? kCrossMemoryStretchBytes : kStretchBytes;
  for (size_t at = shareBegin_ + worked_, bytes = 0; at < stop; at += bytes) {
    bytes = std::min(stretch, stop - at);
    if (kind_ == CollectiveKind::AlltoAll) bytes = std::min(bytes, block - at % block);  // one peer's block
    // Reductions go through the staging buffer: an in-place buffer may be a rank's input and its output.
    char* staging = crossMemory_ ? crossMemoryScratch_ : mailbox_.staging();
    switch (kind_) {
      case CollectiveKind::AllReduce:
        reduceStretch(at, bytes, staging);
        for (int r = 0; r < nranks_; ++r) deliver(r, at, staging, bytes);
        break;
      case CollectiveKind::Reduce:
        reduceStretch(at, bytes, staging);
        deliver(root_, at, staging, bytes);
        break;
      case CollectiveKind::ReduceScatter:
        reduceStretch(own + at, bytes, staging);
        copy(output_ + at, staging, bytes, output_ != input_ + own);
        break;
      case CollectiveKind::AllGather:
        for (int r = 0; r < nranks_; ++r)
          if (r != rank_ || output_ + own != input_) deliver(r, own + at, input_ + at, bytes);
        break;
      case CollectiveKind::Broadcast:
        if (output_ != input_ || rank_ != root_) fetch(root_, at, output_ + at, bytes);
        break;
      case CollectiveKind::AlltoAll:  // block p of this rank's input goes to block `rank` of rank p's output
        deliver(static_cast<int>(at / block), own + at % block, input_ + at, bytes);
        break;
      default: break;
    }
  }
  worked_ = stop - shareBegin_;
  return stop == shareEnd_;
}

Run::Progress DirectRun::progress() {
  bool moved = false;
  for (;;) {
    switch (phase_) {
      case Phase::Post: {
        if (!mailbox_.slotFree(sequence_, &busy_)) return {false, moved};
        const SharedBufferRef send = shared_buffers::find(input_, sendBytes());
        const SharedBufferRef recv = shared_buffers::find(output_, recvBytes());
        LlLine* lines = mailbox_.slot(rank_, sequence_);
        lines[kSendLine].post(&send, sizeof send, flag_);
        lines[kRecvLine].post(&recv, sizeof recv, flag_);
        phase_ = Phase::Agree;
        moved = true;
        break;
      }
      case Phase::Agree:  // the receive line is posted after the send line: its flag vouches for both
        if (firstWithout(kRecvLine) >= 0) return {false, moved};
        agree();
        moved = true;
        break;
      case Phase::Vote:
        if (firstWithout(kVoteLine) >= 0) return {false, moved};
        countVotes();
        break;
      case Phase::Work: {
        const bool done = work();
        moved = true;
        if (!done) return {false, true};
        if (streaming_) fenceStreaming();  // the outputs before the flag that says they are there
        const unsigned char one = 1;
        mailbox_.slot(rank_, sequence_)[kDoneLine].post(&one, 1, flag_);
        phase_ = Phase::Done;
        break;
      }
      case Phase::Done:
        if (firstWithout(kDoneLine) >= 0) return {false, moved};
        mailbox_.finished(sequence_);
        phase_ = Phase::Finished;
        break;
      case Phase::Finished:
      case Phase::FellBack: return {true, moved};
    }
  }
}

int DirectRun::waitedFor() const {
  switch (phase_) {
    case Phase::Post: return busy_;
    case Phase::Agree: return firstWithout(kRecvLine);
    case Phase::Vote: return firstWithout(kVoteLine);
    case Phase::Done: return firstWithout(kDoneLine);
    default: return -1;
  }
}

std::string DirectRun::describeWait() const {
  const std::string who = std::to_string(waitedFor());
  const std::string of = std::string(crossMemory_ ? " (cross-memory attach" : " (zero copy") + ", LL collective " +
                         std::to_string(sequence_) + ")";
  switch (phase_) {
    case Phase::Post: return LlMailbox::describeBusySlot(sequence_, busy_);
    case Phase::Agree: return "buffer addresses of rank " + who + of;
    case Phase::Vote: return "whether rank " + who + " mapped the buffers" + of;
    case Phase::Done: return "rank " + who + " to finish its share" + of;
    default: return "nothing";
  }
}

// The peer this run waits for must be alive, and making the same call (every line of a call carries the same
// flag, so its send line tells); one that posted everything may have left.
void DirectRun::checkPeers() const {
  const int waited = waitedFor();
  if (waited < 0) return;
  if (phase_ != Phase::Post) {
    const uint64_t flag = mailbox_.slot(waited, sequence_)[kSendLine].flag.load(std::memory_order_acquire);
    if (LlMailbox::postedByAnotherCall(flag, flag_)) failMismatchedCall(waited, flag, flag_);
  }
  checkProcessAlive(mailbox_.ownerPid(waited), ("rank " + std::to_string(waited)).c_str());
}

}  // namespace braid
