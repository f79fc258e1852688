#include "bootstrap/host_identity.h"

#include <unistd.h>

#include <fstream>
#include <functional>

#include "base/params.h"

namespace braid {

namespace {
const param::Text kHostId{"HOSTID",
                          param::kNcclAlias,
                          "text",
                          "any name",
                          nullptr,
                          nullptr,
                          "overrides the host identity: ranks with equal ids use shared memory"};
}  // namespace

std::string hostIdentity() {
  if (auto id = kHostId.get()) return *id;
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  std::string bootId;
  std::ifstream("/proc/sys/kernel/random/boot_id") >> bootId;
  return std::string(host) + "/" + bootId;
}

uint64_t hostIdentityHash() {
  // FNV-1a: stable across processes and builds, unlike std::hash.
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : hostIdentity()) h = (h ^ c) * 1099511628211ull;
  return h;
}

}  // namespace braid
