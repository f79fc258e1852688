#include "bootstrap/unique_id.h"

#include <sys/random.h>

#include <cstdlib>
#include <cstring>

#include "base/error.h"
#include "base/params.h"
#include "bootstrap/bootstrap.h"

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

// "host:port" or "[v6]:port" with a port of 1-65535 (ranks must all know it, so 0 will not do).
std::string checkAddress(const std::string& text) {
  const size_t colon = text.rfind(':');
  const std::string port = colon == std::string::npos ? "" : text.substr(colon + 1);
  char* end = nullptr;
  const long number = port.empty() ? 0 : std::strtol(port.c_str(), &end, 10);
  if (colon == 0 || colon == std::string::npos || *end != '\0' || number < 1 || number > 65535)
    return "expected host:port (a port of 1-65535; IPv6 as [addr]:port)";
  return "";
}

const param::Text kCommId{"COMM_ID",
                          param::kNcclAlias,
                          "address",
                          "host:port",
                          checkAddress,
                          "10.0.0.1",
                          "ip:port where rank 0 runs the bootstrap root; ncclGetUniqueId then just encodes it"};
const param::Text kCommSecret{"COMM_SECRET",
                              param::kBraidOnly,
                              "text",
                              "any text",
                              nullptr,
                              nullptr,
                              "mixed into the job secret when BRAID_COMM_ID is used"};
// Read by tools launched one rank at a time (collperf), through ncclParamGetParameter.
const param::Integer kRank{
    "RANK", param::kBraidOnly, -1,
    0,      (1 << 20) - 1,     "rank of a tool launched by hand (collperf), with BRAID_NRANKS and BRAID_COMM_ID"};
const param::Integer kNranks{"NRANKS", param::kBraidOnly, -1,
                             1,        1 << 20,           "rank count of a tool launched by hand (collperf)"};

// Without a shared random secret (BRAID_COMM_ID launches), all ranks derive the same one from the address, and
// BRAID_COMM_SECRET lets a site make it unguessable.
uint64_t secretForAddress(const std::string& address) {
  std::string seed = address + "/" + kCommSecret.get().value_or("");
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
  if (auto commId = kCommId.get()) {
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
