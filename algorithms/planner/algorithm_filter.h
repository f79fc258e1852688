// BRAID_ALGO (alias NCCL_ALGO), in NCCL's syntax: "ring,tree" allows only those algorithms, "^ring" allows all
// but ring, and "allreduce:tree,rd;broadcast:^tree" says it per collective. Names NCCL has and Braid has not
// (collnet, nvls, pat) are accepted and ignored; anything else is an error. The names are the registry's
// (algorithms/registry.h).
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "algorithms/collective.h"

namespace braid::planner {

class AlgorithmFilter {
 public:
  AlgorithmFilter();  // allows everything
  // Throws std::invalid_argument naming the part it cannot read.
  static AlgorithmFilter parse(const std::string& spec);
  bool allows(CollectiveKind kind, Algorithm algorithm) const;
  bool restricts(CollectiveKind kind) const;

 private:
  static constexpr int kKinds = static_cast<int>(CollectiveKind::Scatter) + 1;
  static_assert(static_cast<int>(Algorithm::End) <= 32, "a bit per algorithm");
  std::array<uint32_t, kKinds> allowed_;  // bit per Algorithm
};

// The collective a name means ("allreduce", "reducescatter", ...; case-insensitive).
bool parseCollectiveKind(const std::string& name, CollectiveKind* kind);
const char* collectiveKeyword(CollectiveKind kind);  // the lower-case spelling used in files and flags

}  // namespace braid::planner
