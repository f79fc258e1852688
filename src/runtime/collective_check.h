// BRAID_CHECK_COLLECTIVES=1 (or braidCommSetCheckCollectives): before each collective, ranks exchange its
// signature (sequence number, kind, count, type, op, root, algorithm, protocol) with a small AllGather on the
// collective channel and stop with ncclInvalidUsage naming the first rank whose call differs, instead of
// corrupting data or hanging. The exchange runs in the executor like any collective, so it waits as long as the
// collective would, notices dead peers and aborts, and costs about one small AllGather. Every rank must have the
// check on.
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/work.h"

struct ncclComm;

namespace braid {

struct CollectiveSignature {
  uint64_t sequence;
  uint64_t count;  // AlltoAllv counts legitimately differ per rank and are left out
  int32_t kind;
  int32_t type;
  int32_t reduce;  // the arithmetic, not the PreMulSum scalar (which may differ per rank)
  int32_t root;
  int32_t algorithm;  // ranks must agree on it too (BRAID_ALGO and BRAID_TUNE_FILE are per process)
  int32_t protocol;   // and on this (BRAID_PROTO)
};

CollectiveSignature signatureOf(const CollectiveCall& call, uint64_t sequence);
// The guard's tag of a call (exec/call_tag.h): its signature but the sequence number, hashed; kNoCallTag when
// the ranks turned the guard off (BRAID_CALL_TAGS=0).
uint64_t callTagOf(const ncclComm& comm, const CollectiveCall& call);
// The AllGather that exchanges one signature per rank.
CollectiveShape signatureExchange(int rank, int nranks);
// Throws ncclInvalidUsage unless every rank's signature equals rank 0's.
void checkAgreement(const std::vector<CollectiveSignature>& all);

}  // namespace braid
