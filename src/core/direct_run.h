// A collective done in place in the ranks' own buffers (zero copy), for one-host communicators whose buffers
// peers can map (transports/shared_buffers.h: what ncclMemAlloc hands out).
//
// The ranks first agree, through their LL mailbox slots, that every buffer the collective touches is mapped:
// each posts where its send and receive buffers lie; every rank judges the same lines, so all take the same
// way; when all needed buffers are shareable, each maps its peers' and posts whether that worked (a vote).
// Then each rank does its share straight in the buffers: for AllReduce it reduces its 1/n of the elements over
// every rank's send buffer, in rank order, and writes the result into every rank's receive buffer, so every
// byte is read once and written once per rank and nothing is staged. The others: each rank copies its own
// blocks where they belong (AllGather, AlltoAll) or pulls the root's (Broadcast), or reduces its 1/n into the
// root's buffer (Reduce) or its own (ReduceScatter). A last line says a rank is done; a rank
// returns once all are (peers read its send buffer and write its receive buffer until then).
//
// If the ranks agree the buffers cannot be shared, the run finishes without moving data (fellBack()), and
// the caller runs the planner's schedule instead.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "algorithms/collective.h"
#include "core/run.h"
#include "device/host_reduce.h"
#include "transports/ll_mailbox.h"
#include "transports/shared_buffers.h"

namespace braid {

// Which collectives try the direct way: after the ranks agreed that buffers cannot be shared, the next 1, 2,
// 4, ... up to 64 that could have go straight to the schedule, so programs that never use shareable buffers
// rarely pay the agreement (a few LL rounds: ~0.2 us with a core per rank, several context switches with
// more ranks than cores). Every rank sees the same verdicts, so all skip the same calls.
class DirectAttempts {
 public:
  bool shouldTry() {
    if (skip_ == 0) return true;
    --skip_;
    return false;
  }
  // Returns whether the verdict differs from the last one (worth a log line).
  bool record(bool fellBack) {
    backoff_ = fellBack ? std::min<uint32_t>(64, backoff_ ? 2 * backoff_ : 1) : 0;
    skip_ = backoff_;
    const bool changed = fellBack != lastFellBack_ || first_;
    lastFellBack_ = fellBack, first_ = false;
    return changed;
  }

 private:
  uint32_t skip_ = 0, backoff_ = 0;
  bool lastFellBack_ = false, first_ = true;
};

class DirectRun : public Run {
 public:
  // Below this many bytes per rank the agreement costs more than the staging copy saves.
  static constexpr size_t kMinBytes = 16 * 1024;
  // Whether a collective of this shape tries the direct way; depends only on what every rank agrees on.
  static bool tried(const CollectiveShape& shape, size_t elementSize);

  DirectRun(const LlMailbox& mailbox, PeerBufferMap& peers, uint64_t sequence, const CollectiveShape& shape,
            size_t elementSize, ReduceFn reduce, const char* input, char* output);

  Progress progress() override;
  std::string describeWait() const override;
  void checkPeers() const override;
  // Finished without moving data: the ranks agreed that some buffer cannot be shared.
  bool fellBack() const { return phase_ == Phase::FellBack; }

 private:
  enum class Phase { Post, Agree, Vote, Work, Done, Finished, FellBack };
  enum Line : size_t { kSendLine, kRecvLine, kVoteLine, kDoneLine };

  bool needsSend(int rank) const;
  bool needsRecv(int rank) const;
  size_t sendBytes() const;
  size_t recvBytes() const;
  bool overlaps(const SharedBufferRef& send, const SharedBufferRef& recv) const;
  int firstWithout(size_t line) const;  // the first peer that has not posted `line`; -1 when all have
  int waitedFor() const;                // the peer the current phase waits for; -1 when none
  void agree();
  void countVotes();
  bool work();                          // a stretch of this rank's share; true once the share is done
  void reduceStretch(size_t sendOffset, size_t bytes, char* result) const;
  void copy(char* to, const char* from, size_t bytes, bool uncached) const;

  const LlMailbox& mailbox_;
  PeerBufferMap& peers_;
  uint64_t sequence_;
  CollectiveKind kind_;
  int rank_, nranks_, root_;
  size_t count_, elementSize_;
  ReduceFn reduce_;
  const char* input_;
  char* output_;
  Phase phase_ = Phase::Post;
  int busy_ = -1;                      // while posting: a peer still reading what the slot held
  bool streaming_ = false;             // outputs too large for the caches: written with streaming stores
  std::vector<char*> sendOf_, recvOf_;  // every rank's buffers, mapped here
  size_t shareBegin_ = 0, shareEnd_ = 0, worked_ = 0;  // this rank's share, in bytes, and how far it got
};

}  // namespace braid
