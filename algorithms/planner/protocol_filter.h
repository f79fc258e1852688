// BRAID_PROTO (alias NCCL_PROTO), in NCCL's syntax: "LL,Simple" allows those protocols, "^LL" all but LL;
// case-insensitive. Besides NCCL's LL and Simple, Braid's CMA (cross-memory attach); LL128 is accepted and
// ignored (Braid's host path has no LL128); anything else is an error. Simple stays the fallback whatever the
// filter says, since LL and CMA serve only collectives within a host: "LL" alone means LL wherever it
// applies, "CMA" alone CMA wherever it applies, "^LL" or "Simple" never LL.
#pragma once

#include <string>

namespace braid::planner {

struct ProtocolFilter {
  bool lowLatency = true;
  bool simple = true;
  bool crossMemory = true;
  // Throws std::invalid_argument naming the part it cannot read.
  static ProtocolFilter parse(const std::string& spec);
};

}  // namespace braid::planner
