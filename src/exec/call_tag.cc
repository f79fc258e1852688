#include "exec/call_tag.h"

#include <string>

#include "base/error.h"

namespace braid {
namespace {

constexpr int kKindShift = 56;
constexpr int kKinds = static_cast<int>(CollectiveKind::Scatter) + 1;

}  // namespace

uint64_t makeCallTag(CollectiveKind kind, uint64_t hashOfTheRest) {
  const uint64_t kindByte = static_cast<uint64_t>(kind) + 1;
  return kindByte << kKindShift | (hashOfTheRest & ((uint64_t{1} << kKindShift) - 1));
}

void failMismatchedCall(int peer, uint64_t theirs, uint64_t mine) {
  // A peer's tag is data from outside this process: its kind is range-checked before it names anything.
  const int theirKind = static_cast<int>(theirs >> kKindShift) - 1;
  const int myKind = static_cast<int>(mine >> kKindShift) - 1;
  const std::string myCall = collectiveName(static_cast<CollectiveKind>(myKind));
  std::string what = "rank " + std::to_string(peer);
  if (theirKind == myKind)
    what += "'s " + myCall + " differs from this rank's in count, datatype, op, root or algorithm";
  else if (theirKind >= 0 && theirKind < kKinds)
    what += " called " + std::string(collectiveName(static_cast<CollectiveKind>(theirKind))) +
            " where this rank called " + myCall;
  else what += " sent data that is no collective's where this rank called " + myCall;
  // Data of the two calls may be left in the streams: the communicator cannot go on.
  throw Error(ncclInvalidUsage,
              "mismatched collective: " + what +
                  " (every rank must make the same calls in the same order; BRAID_CHECK_COLLECTIVES=1 names the "
                  "difference)",
              true);
}

}  // namespace braid
