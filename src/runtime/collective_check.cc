#include "runtime/collective_check.h"

#include <vector>

#include "algorithms/registry.h"
#include "base/error.h"
#include "device/datatype.h"
#include "exec/call_tag.h"
#include "runtime/communicator.h"

namespace braid {
namespace {

using Signature = CollectiveSignature;

bool same(const Signature& a, const Signature& b) {
  return a.sequence == b.sequence && a.count == b.count && a.kind == b.kind && a.type == b.type &&
         a.reduce == b.reduce && a.root == b.root && a.algorithm == b.algorithm && a.protocol == b.protocol;
}

// A peer's signature is data from outside this process: every field is range-checked before it names anything.
std::string describe(const Signature& s) {
  static const char* reductions[] = {"sum", "prod", "max", "min"};
  const auto type = static_cast<ncclDataType_t>(s.type);
  const int reduce = s.reduce & 15;
  std::string text = std::string(collectiveName(static_cast<CollectiveKind>(s.kind))) + "(count " +
                     std::to_string(s.count) + ", " + (isValidDataType(type) ? dataTypeName(type) : "type ?");
  text += std::string(", ") + (reduce < 4 ? reductions[reduce] : "op ?") + (s.reduce & 16 ? " pre-scaled" : "") +
          (s.reduce & 32 ? " averaged" : "");
  if (s.root >= 0) text += ", root " + std::to_string(s.root);
  const AlgorithmInfo* algorithm = findAlgorithm(s.algorithm);
  text += std::string(", ") + (algorithm                                                 ? algorithm->name
                               : s.algorithm == static_cast<int32_t>(Algorithm::Default) ? "default"
                                                                                         : "algorithm ?");
  const bool special = s.protocol == static_cast<int32_t>(Protocol::LowLatency) ||
                       s.protocol == static_cast<int32_t>(Protocol::CrossMemory);
  if (special) text += std::string("/") + protocolName(static_cast<Protocol>(s.protocol));
  return text + ")";
}

// What the signature and the tag record of a call: its op, its root (-1 for unrooted kinds) and its count
// (AlltoAllv counts legitimately differ per rank: 0).
int32_t reduceBitsOf(const CollectiveCall& c) {
  return static_cast<int32_t>(c.op.kind) | (c.op.scaleInputs ? 16 : 0) | (c.op.divideByRanks ? 32 : 0);
}
int32_t rootOf(const CollectiveCall& c) {
  const bool rooted = c.shape.kind == CollectiveKind::Broadcast || c.shape.kind == CollectiveKind::Reduce ||
                      c.shape.kind == CollectiveKind::Gather || c.shape.kind == CollectiveKind::Scatter;
  return rooted ? c.shape.root : -1;
}
uint64_t countOf(const CollectiveCall& c) { return c.shape.kind == CollectiveKind::AlltoAllv ? 0 : c.shape.count; }

}  // namespace

CollectiveSignature signatureOf(const CollectiveCall& c, uint64_t sequence) {
  Signature s{};
  s.sequence = sequence;
  s.count = countOf(c);
  s.kind = static_cast<int32_t>(c.shape.kind);
  s.type = c.type;
  s.reduce = reduceBitsOf(c);
  s.root = rootOf(c);
  s.algorithm = static_cast<int32_t>(c.shape.algorithm);
  s.protocol = static_cast<int32_t>(c.protocol);
  return s;
}

// Computed for every call, so a few instructions: the small fields packed into one word beside the count, then
// splitmix64's finalizer, so that calls differing in one field differ in every part of the tag (LL lines carry
// only 16 bits of it).
uint64_t callTagOf(const ncclComm& comm, const CollectiveCall& c) {
  if (!comm.callTags) return kNoCallTag;
  const uint64_t small = static_cast<uint64_t>(c.type & 0xff) | static_cast<uint64_t>(reduceBitsOf(c) & 0xff) << 8 |
                         static_cast<uint64_t>(static_cast<int32_t>(c.shape.algorithm) & 0xff) << 16 |
                         static_cast<uint64_t>(static_cast<int32_t>(c.protocol) & 0xff) << 24 |
                         static_cast<uint64_t>(static_cast<uint32_t>(rootOf(c))) << 32;
  uint64_t hash = countOf(c) * 0x9e3779b97f4a7c15ull + small;
  hash = (hash ^ (hash >> 30)) * 0xbf58476d1ce4e5b9ull;
  hash = (hash ^ (hash >> 27)) * 0x94d049bb133111ebull;
  return makeCallTag(c.shape.kind, hash ^ (hash >> 31));
}

CollectiveShape signatureExchange(int rank, int nranks) {
  CollectiveShape shape;
  shape.kind = CollectiveKind::AllGather;
  shape.rank = rank;
  shape.nranks = nranks;
  shape.count = sizeof(Signature);
  return shape;
}

void checkAgreement(const std::vector<CollectiveSignature>& all) {
  for (size_t r = 0; r < all.size(); ++r) {
    if (same(all[r], all[0])) continue;
    fail(ncclInvalidUsage, "collective #" + std::to_string(all[0].sequence) + " differs between ranks: rank 0 calls " +
                               describe(all[0]) + " but rank " + std::to_string(r) + " calls " + describe(all[r]) +
                               " (BRAID_CHECK_COLLECTIVES)");
  }
}

}  // namespace braid
