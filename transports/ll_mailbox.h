// Low-latency (LL) mailboxes for communicators whose ranks all share one host: each rank owns a shared segment
// that every peer maps, and a small collective goes through them in one step (every rank writes its input to
// its own box and reads its peers' boxes), with no FIFO hand-off, system call or allocation.
//
// Data travels in 64-byte lines of 56 payload bytes and an 8-byte flag, the idea of NCCL's LL protocol: the
// writer stores a line's payload, then its flag (release) set to the collective's LL sequence number; a reader
// that sees the flag (acquire) sees that line's payload. Flag and data share a cache line, so one transfer
// brings both, and lines can be consumed as they land.
//
// Each box has two slots, used by alternate LL collectives. Rewriting a slot is safe without acknowledgements:
// a rank writes LL collective m only after finishing m-1, which needed every peer to have started m-1, hence to
// have finished reading everything of m-2 (every LL collective waits for all peers' first line).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "transports/shared_segment.h"

namespace braid {

struct alignas(64) LlLine {
  static constexpr size_t kPayloadBytes = 56;
  unsigned char payload[kPayloadBytes];
  std::atomic<uint64_t> flag;
};
static_assert(sizeof(LlLine) == 64, "an LL line is one cache line");

class LlMailbox {
 public:
  static constexpr size_t kCapacityBytes = 64 * 1024;  // payload per slot: the largest LL contribution of a rank
  static constexpr size_t kLinesPerSlot = (kCapacityBytes + LlLine::kPayloadBytes - 1) / LlLine::kPayloadBytes;
  static constexpr size_t kHeaderBytes = 64;  // then the two slots

  // Lines that carry `bytes` of payload: at least one, which also announces the rank's arrival.
  static size_t linesFor(size_t bytes) {
    return bytes == 0 ? 1 : (bytes + LlLine::kPayloadBytes - 1) / LlLine::kPayloadBytes;
  }
  static std::string segmentName(uint64_t nonce, int rank);

  // Creates this rank's box (before its peers open it).
  LlMailbox(uint64_t nonce, int rank, int nranks);
  // Maps every peer's box, once all exist.
  void openPeers(uint64_t nonce);

  // The first line of the slot that LL collective `sequence` uses in `rank`'s box.
  LlLine* slot(int rank, uint64_t sequence) const {
    return reinterpret_cast<LlLine*>(boxes_[rank].data() + kHeaderBytes) + (sequence & 1) * kLinesPerSlot;
  }
  int32_t ownerPid(int rank) const;
  // Scratch of kCapacityBytes where a run gathers a peer's payload out of its lines (one reduction call per
  // stretch instead of per line). One collective runs per communicator at a time.
  char* staging() const { return staging_.get(); }
  int rank() const { return rank_; }
  int nranks() const { return static_cast<int>(boxes_.size()); }

 private:
  struct Header;
  int rank_;
  std::vector<SharedSegment> boxes_;  // by rank; empty segments until openPeers
  std::unique_ptr<char[]> staging_;
};

}  // namespace braid
