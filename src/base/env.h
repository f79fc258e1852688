// Environment variables: every BRAID_X may also be given as NCCL_X where the meaning is the same.
#pragma once

#include <optional>
#include <string>

namespace braid {

// Value of BRAID_<name>, else NCCL_<name> when ncclAlias is true.
std::optional<std::string> envValue(const std::string& name, bool ncclAlias = true);
long long envInt(const std::string& name, long long fallback, bool ncclAlias = true);

}  // namespace braid
