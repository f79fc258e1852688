// One collective of the LL protocol (transports/shm/ll_mailbox.h): this rank writes its contribution to its own
// mailbox slot as soon as the slot is free, then builds its output from the lines of its peers' slots as they
// arrive, and tells its peers it is done. Every rank reduces the inputs in rank order, so all ranks get
// bit-identical results, like the mesh schedule.
#pragma once

#include <cstddef>
#include <cstdint>

#include "algorithms/collective.h"
#include "device/host/host_reduce.h"
#include "exec/run.h"
#include "transports/shm/ll_mailbox.h"

namespace braid {

class LowLatencyRun : public Run {
 public:
  // `input` is what this rank contributes (already scaled for PreMulSum), `output` its receive buffer. The
  // contribution (the count's bytes; n times that for ReduceScatter; nothing from Broadcast's non-roots) must
  // fit LlMailbox::kCapacityBytes: the planner picks LL only then.
  // `tag`: the call's (exec/call_tag.h), in every line's flag.
  LowLatencyRun(const LlMailbox& mailbox, uint64_t sequence, uint64_t tag, const CollectiveShape& shape,
                size_t elementSize, ReduceFn reduce, const char* input, char* output);

  Progress progress() override;
  std::string describeWait() const override;
  void checkPeers() const override;

 private:
  // A stretch of output formed from the same bytes of some ranks' slots: copied from one rank's, or reduced
  // over an interval of ranks in rank order.
  struct Piece {
    char* output;
    size_t offset;  // in each slot's payload
    size_t bytes;
    int firstRank, lastRank;
  };
  Piece piece(size_t index) const;  // AllGather has one per rank, the others at most one
  bool advance(const Piece& piece);
  void gather(int rank, size_t offset, size_t bytes, char* to) const;  // payload bytes out of rank's lines
  bool lineReady(int rank, size_t line) const;
  size_t contributionOf(int rank) const;
  void writeContribution();
  int waitingFor(size_t* line) const;  // the first rank whose line this run needs next; -1 when none

  const LlMailbox& mailbox_;
  uint64_t sequence_;
  uint64_t flag_;  // what this call's lines carry (LlMailbox::flagOf)
  CollectiveKind kind_;
  int rank_, nranks_, root_;
  size_t elementSize_;
  size_t bytes_;  // count * elementSize
  ReduceFn reduce_;
  const char* input_;
  char* output_;
  bool written_ = false;  // this rank's contribution is in its slot
  int busy_ = -1;         // while not written: a peer still reading what the slot held
  Piece single_{};
  size_t pieces_ = 0;
  size_t piece_ = 0, done_ = 0;  // progress through the pieces
};

}  // namespace braid
