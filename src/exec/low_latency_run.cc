#include "exec/low_latency_run.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "exec/call_tag.h"

namespace braid {
namespace {
constexpr size_t kPrefetchLines = 16;
}  // namespace

LowLatencyRun::LowLatencyRun(const LlMailbox& mailbox, uint64_t sequence, uint64_t tag, const CollectiveShape& shape,
                             size_t elementSize, ReduceFn reduce, const char* input, char* output)
    : mailbox_(mailbox),
      sequence_(sequence),
      flag_(LlMailbox::flagOf(sequence, tag)),
      kind_(shape.kind),
      rank_(shape.rank),
      nranks_(shape.nranks),
      root_(shape.root),
      elementSize_(elementSize),
      bytes_(shape.count * elementSize),
      reduce_(reduce),
      input_(input),
      output_(output) {
  const int last = shape.nranks - 1;
  switch (shape.kind) {
    case CollectiveKind::AllReduce: single_ = {output, 0, bytes_, 0, last}, pieces_ = 1; break;
    case CollectiveKind::ReduceScatter: single_ = {output, shape.rank * bytes_, bytes_, 0, last}, pieces_ = 1; break;
    case CollectiveKind::Reduce:
      if (shape.rank == shape.root) single_ = {output, 0, bytes_, 0, last}, pieces_ = 1;
      break;
    case CollectiveKind::Broadcast:
      if (shape.rank != shape.root) single_ = {output, 0, bytes_, shape.root, shape.root}, pieces_ = 1;
      else if (output != input) std::memcpy(output, input, bytes_);
      break;
    case CollectiveKind::AllGather: pieces_ = static_cast<size_t>(shape.nranks); break;
    default: break;  // hasLowLatency() says which kinds come here
  }
}

// Line by line, each line's flag after its payload.
void LowLatencyRun::writeContribution() {
  const size_t contribution = contributionOf(rank_);
  LlLine* lines = mailbox_.slot(rank_, sequence_);
  for (size_t i = 0, n = LlMailbox::linesFor(contribution); i < n; ++i) {
    const size_t at = i * LlLine::kPayloadBytes;
    lines[i].post(input_ + at, std::min(LlLine::kPayloadBytes, contribution - at), flag_);
  }
  written_ = true;
}

LowLatencyRun::Piece LowLatencyRun::piece(size_t index) const {
  if (kind_ != CollectiveKind::AllGather) return single_;
  const int rank = static_cast<int>(index);
  return {output_ + index * bytes_, 0, bytes_, rank, rank};
}

bool LowLatencyRun::lineReady(int rank, size_t line) const { return mailbox_.slot(rank, sequence_)[line].holds(flag_); }

size_t LowLatencyRun::contributionOf(int rank) const {
  switch (kind_) {
    case CollectiveKind::ReduceScatter: return bytes_ * static_cast<size_t>(nranks_);
    case CollectiveKind::Broadcast: return rank == root_ ? bytes_ : 0;
    default: return bytes_;
  }
}

bool LowLatencyRun::advance(const Piece& p) {
  // First the flags of every line still needed, as far as they have arrived: independent loads, so the lines
  // (flag and payload travel together) come over in parallel; then the work, on lines now in this core's cache.
  constexpr size_t kLine = LlLine::kPayloadBytes;
  const size_t lastLine = (p.offset + p.bytes - 1) / kLine;
  size_t arrived = (p.offset + done_) / kLine;
  for (; arrived <= lastLine; ++arrived) {
    bool all = true;
    for (int r = p.firstRank; r <= p.lastRank; ++r) all &= lineReady(r, arrived);
    if (!all) break;
  }
  // Ask for the next lines too, so that they travel together rather than one after the other as each one's
  // flag turns up (a transfer between cores costs 0.07-0.25 us on the CI VM).
  for (size_t line = arrived; line <= std::min(lastLine, arrived + kPrefetchLines); ++line)
    for (int r = p.firstRank; r <= p.lastRank; ++r) __builtin_prefetch(mailbox_.slot(r, sequence_) + line);
  if (arrived * kLine <= p.offset + done_) return false;  // not even the line now due
  const size_t end = std::min(p.bytes, arrived * kLine - p.offset);
  // The first rank's bytes go straight to the output; each other rank's are reduced in one call, straight
  // from its line where they fit in one, else gathered out of its lines first. Elements never straddle lines
  // (56 is a multiple of every element size).
  char* out = p.output + done_;
  const size_t at = p.offset + done_, bytes = end - done_;
  const bool withinOneLine = at % kLine + bytes <= kLine;
  for (int r = p.firstRank; r <= p.lastRank; ++r) {
    if (r == p.firstRank) {
      gather(r, at, bytes, out);
    } else if (withinOneLine) {
      reduce_(out, out, mailbox_.slot(r, sequence_)[at / kLine].payload + at % kLine, bytes / elementSize_);
    } else {
      gather(r, at, bytes, mailbox_.staging());
      reduce_(out, out, mailbox_.staging(), bytes / elementSize_);
    }
  }
  done_ = end;
  return true;
}

void LowLatencyRun::gather(int rank, size_t offset, size_t bytes, char* to) const {
  const LlLine* lines = mailbox_.slot(rank, sequence_);
  while (bytes > 0) {
    const size_t within = offset % LlLine::kPayloadBytes;
    const size_t take = std::min(LlLine::kPayloadBytes - within, bytes);
    LlLine::copyPayload(to, lines[offset / LlLine::kPayloadBytes].payload + within, take);
    to += take, offset += take, bytes -= take;
  }
}

Run::Progress LowLatencyRun::progress() {
  bool moved = false;
  if (!written_) {
    if (!mailbox_.slotFree(sequence_, &busy_)) return {false, false};
    writeContribution();
    moved = true;
  }
  for (; piece_ < pieces_; ++piece_, done_ = 0) {
    const Piece p = piece(piece_);
    moved |= advance(p);
    if (done_ < p.bytes) return {false, moved};
  }
  mailbox_.finished(sequence_);
  return {true, moved};
}

int LowLatencyRun::waitingFor(size_t* line) const {
  if (piece_ < pieces_) {
    const Piece p = piece(piece_);
    *line = (p.offset + done_) / LlLine::kPayloadBytes;
    for (int r = p.firstRank; r <= p.lastRank; ++r)
      if (!lineReady(r, *line)) return r;
  }
  return -1;
}

std::string LowLatencyRun::describeWait() const {
  if (!written_) return LlMailbox::describeBusySlot(sequence_, busy_);
  size_t line = 0;
  const int rank = waitingFor(&line);
  if (rank < 0) return "nothing";
  return "LL line " + std::to_string(line + 1) + " of " + std::to_string(LlMailbox::linesFor(contributionOf(rank))) +
         " (from rank " + std::to_string(rank) + ")";
}

// A peer that wrote all its lines may have left; one still owing lines, or still reading a slot this rank
// needs, must be alive. One whose lines are another call's made a different call (the lines of a contribution
// all carry the same flag, so its first tells).
void LowLatencyRun::checkPeers() const {
  if (!written_ && busy_ >= 0) checkProcessAlive(mailbox_.ownerPid(busy_), ("rank " + std::to_string(busy_)).c_str());
  for (int r = 0; r < nranks_; ++r) {
    const size_t lines = LlMailbox::linesFor(contributionOf(r));
    if (r == rank_ || lines == 0 || lineReady(r, lines - 1)) continue;
    const uint64_t flag = mailbox_.slot(r, sequence_)[0].flag.load(std::memory_order_acquire);
    if (LlMailbox::postedByAnotherCall(flag, flag_)) failMismatchedCall(r, flag, flag_);
    checkProcessAlive(mailbox_.ownerPid(r), ("rank " + std::to_string(r)).c_str());
  }
}

}  // namespace braid
