#include "core/collective_check.h"

#include <vector>

#include "core/communicator.h"
#include "core/error.h"
#include "device/datatype.h"

namespace braid {
namespace {

struct Signature {
  uint64_t sequence;
  uint64_t count;  // AlltoAllv counts legitimately differ per rank and are left out
  int32_t kind;
  int32_t type;
  int32_t reduce;  // the arithmetic, not the PreMulSum scalar (which may differ per rank)
  int32_t root;
};

Signature signatureOf(const CollectiveCall& c, uint64_t sequence) {
  Signature s{};
  s.sequence = sequence;
  s.count = c.shape.kind == CollectiveKind::AlltoAllv ? 0 : c.shape.count;
  s.kind = static_cast<int32_t>(c.shape.kind);
  s.type = c.type;
  s.reduce = static_cast<int32_t>(c.op.kind) | (c.op.scaleInputs ? 16 : 0) | (c.op.divideByRanks ? 32 : 0);
  const bool rooted = c.shape.kind == CollectiveKind::Broadcast || c.shape.kind == CollectiveKind::Reduce ||
                      c.shape.kind == CollectiveKind::Gather || c.shape.kind == CollectiveKind::Scatter;
  s.root = rooted ? c.shape.root : -1;
  return s;
}

std::string describe(const Signature& s) {
  static const char* reductions[] = {"sum", "prod", "max", "min"};
  std::string text = std::string(collectiveName(static_cast<CollectiveKind>(s.kind))) +
                     "(count " + std::to_string(s.count) + ", " + dataTypeName(static_cast<ncclDataType_t>(s.type));
  text += std::string(", ") + reductions[s.reduce & 15] + (s.reduce & 16 ? " pre-scaled" : "") +
          (s.reduce & 32 ? " averaged" : "");
  if (s.root >= 0) text += ", root " + std::to_string(s.root);
  return text + ")";
}

bool same(const Signature& a, const Signature& b) {
  return a.sequence == b.sequence && a.count == b.count && a.kind == b.kind && a.type == b.type &&
         a.reduce == b.reduce && a.root == b.root;
}

}  // namespace

void checkCollectiveAgreement(ncclComm* comm, const CollectiveCall& call, uint64_t sequence) {
  std::vector<Signature> all(comm->nranks);
  all[comm->rank] = signatureOf(call, sequence);
  comm->bootstrap->allGather(all.data(), sizeof(Signature));
  for (int r = 0; r < comm->nranks; ++r) {
    if (same(all[r], all[0])) continue;
    fail(ncclInvalidUsage, "collective #" + std::to_string(sequence) + " differs between ranks: rank 0 calls " +
                               describe(all[0]) + " but rank " + std::to_string(r) + " calls " + describe(all[r]) +
                               " (BRAID_CHECK_COLLECTIVES)");
  }
}

}  // namespace braid
