// The always-on guard against mismatched collectives (ranks that call different collectives, or the same one
// with another count, datatype, op, root or algorithm): every collective's data carries a tag of the call that
// sent it, and a receiver that finds another call's tag fails with ncclInvalidUsage, naming the rank, instead of
// reducing the wrong bytes or waiting for bytes that never come.
//
// A tag: the collective's kind + 1 in its top byte (never 0), a hash of the rest of the call below. Schedules
// send it in a 64-byte block ahead of their first data to each peer, in the same message as a small first piece
// (ScheduleRun); LL and direct runs fold its top 24 bits into their lines' flags (LlMailbox::flagOf), which costs
// nothing: a line is ready when its flag equals one precomputed value, as before. Only ranks that receive from a
// differing rank can tell: a rank that only sends (a Reduce's non-root over LL, a Broadcast's root) finishes its
// call. BRAID_CALL_TAGS=0 on any rank: no tags (kNoCallTag). BRAID_CHECK_COLLECTIVES=1 compares every rank's full
// signature before each call instead (runtime/collective_check.h).
#pragma once

#include <cstdint>

#include "algorithms/collective.h"

namespace braid {

constexpr uint64_t kNoCallTag = 0;  // exchanges that are no user's collective (point-to-point, the checks)

uint64_t makeCallTag(CollectiveKind kind, uint64_t hashOfTheRest);

// Throws ncclInvalidUsage: rank `peer` sent data tagged `theirs` where this rank's call has `mine`.
[[noreturn]] void failMismatchedCall(int peer, uint64_t theirs, uint64_t mine);

}  // namespace braid
