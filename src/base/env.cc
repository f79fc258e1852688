#include "base/env.h"

#include <cstdlib>

#include "base/error.h"

namespace braid {

std::optional<std::string> envValue(const std::string& name, bool ncclAlias) {
  if (const char* v = std::getenv(("BRAID_" + name).c_str()); v && *v) return std::string(v);
  if (ncclAlias) {
    if (const char* v = std::getenv(("NCCL_" + name).c_str()); v && *v) return std::string(v);
  }
  return std::nullopt;
}

long long envInt(const std::string& name, long long fallback, bool ncclAlias) {
  auto v = envValue(name, ncclAlias);
  if (!v) return fallback;
  char* end = nullptr;
  long long parsed = std::strtoll(v->c_str(), &end, 0);
  if (end == v->c_str() || *end != '\0')
    fail(ncclInvalidUsage, "environment variable BRAID_" + name + "=" + *v + " is not an integer");
  return parsed;
}

}  // namespace braid
