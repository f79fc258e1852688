// Low-latency (LL) mailboxes for communicators whose ranks all share one host: each rank owns a shared segment
// that every peer maps, and a small collective goes through them in one step (every rank writes its input to
// its own box and reads its peers' boxes), with no FIFO hand-off, system call or allocation.
//
// Data travels in 64-byte lines of 56 payload bytes and an 8-byte flag, the idea of NCCL's LL protocol: the
// writer stores a line's payload, then its flag (release) set from the collective's LL sequence number and its
// call's tag (flagOf); a reader that sees the flag it expects (acquire) sees that line's payload. Flag and data share a
// cache line, so one transfer brings both, and lines can be consumed as they land.
//
// Each box has eight slots of 16 KiB, used by LL collectives in turn (150 KB per rank), and a counter of the LL
// collectives its owner has finished (so has read all it needed of). A rank writes collective m into slot m % 8
// once every peer has finished m-8: then nobody still reads what the slot held. A rank only waits for the
// peers whose data it needs, so a Broadcast's root may run up to eight calls ahead of its receivers, as a
// chain's would through its FIFO. Peers' counters are remembered and read again only when a slot looks busy.
//
// A box's header also holds its owner's doorbell (src/base/doorbell.h): a rank that idles sleeps there, and
// peers that made progress ring it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "base/doorbell.h"
#include "transports/shm/shared_segment.h"

namespace braid {

struct alignas(64) LlLine {
  static constexpr size_t kPayloadBytes = 56;
  unsigned char payload[kPayloadBytes];
  std::atomic<uint64_t> flag;

  // Copies up to a line's payload; a whole line is a fixed-size copy the compiler inlines (7 moves instead of
  // a call into libc).
  static void copyPayload(void* to, const void* from, size_t bytes) {
    if (bytes == kPayloadBytes) std::memcpy(to, from, kPayloadBytes);
    else std::memcpy(to, from, bytes);
  }
  // Writes up to kPayloadBytes, then the flag (LlMailbox::flagOf) that makes them visible.
  void post(const void* data, size_t bytes, uint64_t flagValue) {
    copyPayload(payload, data, bytes);
    flag.store(flagValue, std::memory_order_release);
  }
  bool holds(uint64_t flagValue) const { return flag.load(std::memory_order_acquire) == flagValue; }
};
static_assert(sizeof(LlLine) == 64, "an LL line is one cache line");

class LlMailbox {
 public:
  static constexpr size_t kCapacityBytes = 16 * 1024;  // payload per slot: the largest LL contribution of a rank
  static constexpr size_t kLinesPerSlot = (kCapacityBytes + LlLine::kPayloadBytes - 1) / LlLine::kPayloadBytes;
  static constexpr uint64_t kSlots = 8;
  static constexpr size_t kHeaderBytes = 192;  // lines of identity, finished-counter and doorbell; the slots

  // A line's flag: the LL sequence's low 40 bits (a slot's uses stay distinct when it wraps) under the top 24
  // bits of the call's tag (exec/call_tag.h), so that another call's line never looks ready.
  static constexpr uint64_t kSequenceMask = (uint64_t{1} << 40) - 1;
  static uint64_t flagOf(uint64_t sequence, uint64_t tag) {
    return (sequence & kSequenceMask) | (tag & ~kSequenceMask);
  }
  // Whether `flag` was posted for the same LL collective as `expected` by another call (a line never written
  // holds 0: no call's).
  static bool postedByAnotherCall(uint64_t flag, uint64_t expected) {
    return flag != expected && (flag & kSequenceMask) == (expected & kSequenceMask) && (flag & ~kSequenceMask) != 0;
  }

  // Lines that carry `bytes` of payload.
  static size_t linesFor(size_t bytes) { return (bytes + LlLine::kPayloadBytes - 1) / LlLine::kPayloadBytes; }

  // Creates this rank's box, named names[rank] (before its peers open it).
  LlMailbox(const std::vector<std::string>& names, int rank);
  // Maps every peer's box, once all exist.
  void openPeers(const std::vector<std::string>& names);

  // The first line of the slot that LL collective `sequence` uses in `rank`'s box.
  LlLine* slot(int rank, uint64_t sequence) const {
    return reinterpret_cast<LlLine*>(boxes_[rank].data() + kHeaderBytes) + (sequence % kSlots) * kLinesPerSlot;
  }
  // Whether this rank may write LL collective `sequence` into its slot; if not, `busy` is a peer still reading.
  bool slotFree(uint64_t sequence, int* busy) const;
  // What a run that found its slot busy waits for, for diagnostics.
  static std::string describeBusySlot(uint64_t sequence, int busy);
  // Tells the peers that this rank is done with LL collective `sequence`.
  void finished(uint64_t sequence) const { finishedCounter(rank_).store(sequence, std::memory_order_release); }
  int32_t ownerPid(int rank) const;
  // Whether this process may read `rank`'s memory by cross-memory attach (transports/shm/cross_memory.h).
  bool crossMemoryReaches(int rank) const;
  Doorbell& doorbell(int rank) const { return *reinterpret_cast<Doorbell*>(boxes_[rank].data() + 128); }
  Doorbell& ownDoorbell() const { return doorbell(rank_); }
  // Shared memory mapped here (this rank's box and its peers'), for ncclCommMemStats.
  size_t heldBytes() const {
    size_t bytes = 0;
    for (const SharedSegment& box : boxes_) bytes += box.bytes();
    return bytes;
  }
  // After this rank made progress: wakes the peers that sleep (a load per peer when none does).
  void wakeSleepingPeers() const {
    for (int r = 0; r < nranks(); ++r)
      if (r != rank_) doorbell(r).ringIfSleeping();
  }
  // Scratch of kCapacityBytes where a run gathers a peer's payload out of its lines (one reduction call per
  // stretch instead of per line). One collective runs per communicator at a time.
  char* staging() const { return staging_.get(); }
  int nranks() const { return static_cast<int>(boxes_.size()); }

 private:
  struct Header;
  std::atomic<uint64_t>& finishedCounter(int rank) const {
    return *reinterpret_cast<std::atomic<uint64_t>*>(boxes_[rank].data() + 64);
  }
  int rank_;
  std::vector<SharedSegment> boxes_;  // by rank; empty segments until openPeers
  std::unique_ptr<char[]> staging_;
  mutable std::vector<uint64_t> seenFinished_;  // peers' counters as last read
};

}  // namespace braid
