// A collective done in place in the ranks' own buffers (zero copy), for one-host communicators whose buffers
// peers can map (transports/shm/shared_buffers.h: what ncclMemAlloc hands out).
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
// the caller runs the planner's schedule instead; unless the planner chose cross-memory attach (protocol CMA,
// transports/shm/cross_memory.h): then the ranks do the same shares without the vote, the kernel copying what a
// rank reads from or writes to its peers' buffers (reductions read peers' stretches into scratch first). (An
// AlltoAll in place reaches a run with its input copied aside: src/runtime/launch.cc.)
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "algorithms/collective.h"
#include "device/host/host_reduce.h"
#include "exec/run.h"
#include "transports/shm/ll_mailbox.h"
#include "transports/shm/shared_buffers.h"

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
  // Cross-memory attach moves stretches of this size: one system call per peer each (the planner's
  // FabricModel::crossMemoryCallBytes); a reduction's scratch holds three.
  static constexpr size_t kCrossMemoryStretchBytes = 64 * 1024;
  static constexpr size_t kCrossMemoryScratchBytes = 3 * kCrossMemoryStretchBytes;
  // Whether a collective of this shape tries the direct way; depends only on what every rank agrees on.
  static bool tried(const CollectiveShape& shape, size_t elementSize);

  // `crossMemoryScratch` (kCrossMemoryScratchBytes), when the planner chose CMA: buffers that cannot be
  // mapped are reached by cross-memory attach; null: such buffers make the run fall back.
  // `peers` null: no buffer is mapped (BRAID_ZERO_COPY=0), so only cross-memory attach can run it.
  // `tag`: the call's (exec/call_tag.h), in every line's flag.
  DirectRun(const LlMailbox& mailbox, PeerBufferMap* peers, uint64_t sequence, uint64_t tag,
            const CollectiveShape& shape, size_t elementSize, ReduceFn reduce, const char* input, char* output,
            char* crossMemoryScratch);

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
  void useCrossMemory(const std::vector<SharedBufferRef>& sends, const std::vector<SharedBufferRef>& recvs);
  int firstWithout(size_t line) const;  // the first peer that has not posted `line`; -1 when all have
  int waitedFor() const;                // the peer the current phase waits for; -1 when none
  void agree();
  void countVotes();
  bool work();  // a stretch of this rank's share; true once the share is done
  void reduceStretch(size_t sendOffset, size_t bytes, char* result) const;
  void copy(char* to, const char* from, size_t bytes, bool uncached) const;
  // Rank r's send buffer at `offset`: in place when mapped, else read into `scratch` by cross-memory attach.
  const char* sourceOf(int r, size_t offset, size_t bytes, char* scratch) const;
  // Copies rank r's send bytes at `offset` to `to` (here), or `from` (here) to rank r's receive buffer.
  void fetch(int r, size_t offset, char* to, size_t bytes) const;
  void deliver(int r, size_t offset, const char* from, size_t bytes) const;

  const LlMailbox& mailbox_;
  PeerBufferMap* peers_;
  uint64_t sequence_;
  uint64_t flag_;  // what this call's lines carry (LlMailbox::flagOf)
  CollectiveKind kind_;
  int rank_, nranks_, root_;
  size_t count_, elementSize_;
  ReduceFn reduce_;
  const char* input_;
  char* output_;
  Phase phase_ = Phase::Post;
  int busy_ = -1;                                  // while posting: a peer still reading what the slot held
  bool streaming_ = false;                         // outputs too large for the caches: written with streaming stores
  std::vector<char*> sendOf_, recvOf_;             // every rank's buffers, mapped here (peers': null with cross memory)
  char* crossMemoryScratch_;                       // null unless the planner chose CMA
  bool crossMemory_ = false;                       // peers' buffers are reached by cross-memory attach
  std::vector<uint64_t> remoteSend_, remoteRecv_;  // then: every rank's buffers in its own address space
  size_t shareBegin_ = 0, shareEnd_ = 0, worked_ = 0;  // this rank's share, in bytes, and how far it got
};

}  // namespace braid
