#include "bootstrap/unique_id.h"

#include <sys/random.h>

#include <cstring>

#include "bootstrap/bootstrap.h"
#include "base/env.h"
#include "base/error.h"

namespace braid {
namespace {

constexpr uint32_t kIdMagic = 0x44495242;  // "BRID"
constexpr uint32_t kIdVersion = 1;

struct WireId {
  uint32_t magic;
  uint32_t version;
  uint64_t secret;
  uint32_t rootOnRankZero;
  uint32_t reserved;
  sockaddr_in6 root;  // large enough for either family
};
static_assert(sizeof(WireId) <= NCCL_UNIQUE_ID_BYTES, "unique id does not fit");

// Without a shared random secret (BRAID_COMM_ID launches), all ranks derive the same one from the address, and
// BRAID_COMM_SECRET lets a site make it unguessable.
uint64_t secretForAddress(const std::string& address) {
  std::string seed = address + "/" + envValue("COMM_SECRET", false).value_or("");
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : seed) h = (h ^ c) * 1099511628211ull;
  return h;
}

}  // namespace

uint64_t randomU64() {
  uint64_t v = 0;
  if (getrandom(&v, sizeof v, 0) != static_cast<ssize_t>(sizeof v)) failErrno("getrandom");
  return v;
}

ncclUniqueId encodeUniqueId(const UniqueIdContents& c) {
  ncclUniqueId id;
  std::memset(&id, 0, sizeof id);
  WireId w{};
  w.magic = kIdMagic;
  w.version = kIdVersion;
  w.secret = c.secret;
  w.rootOnRankZero = c.rootOnRankZero ? 1 : 0;
  std::memcpy(&w.root, &c.root.v6, sizeof w.root);
  std::memcpy(id.internal, &w, sizeof w);
  return id;
}

UniqueIdContents decodeUniqueId(const ncclUniqueId& id) {
  WireId w;
  std::memcpy(&w, id.internal, sizeof w);
  if (w.magic != kIdMagic || w.version != kIdVersion)
    fail(ncclInvalidArgument, "the unique id was not made by ncclGetUniqueId of this Braid version");
  UniqueIdContents c;
  std::memcpy(&c.root.v6, &w.root, sizeof w.root);
  if (c.root.sa.sa_family != AF_INET && c.root.sa.sa_family != AF_INET6)
    fail(ncclInvalidArgument, "the unique id names no IPv4 or IPv6 root address");
  c.secret = w.secret;
  c.rootOnRankZero = w.rootOnRankZero != 0;
  return c;
}

UniqueIdContents createUniqueId() {
  UniqueIdContents c;
  if (auto commId = envValue("COMM_ID")) {
    c.root = SocketAddress::parse(*commId);
    c.secret = secretForAddress(*commId);
    c.rootOnRankZero = true;
    return c;
  }
  c.secret = randomU64();
  c.root = localInterfaceAddress();
  c.root.v4.sin_port = 0;
  startBootstrapRoot(c.root, c.secret);
  return c;
}

}  // namespace braid
