// The algorithms' ids. Each is a row of the registry (algorithms/registry.cc), which says what it is called,
// which collectives it serves, how it builds their schedules and what they cost; its family file holds both.
#pragma once

#include <cstdint>

namespace braid {

// Default is each collective's bandwidth-optimal standby (ring or chain for the reductions, broadcast and
// allgather; direct exchanges for the rest); the planner picks others by size.
enum class Algorithm : uint8_t {
  Default,
  Ring,
  Chain,
  Tree,
  RecursiveDoubling,
  HalvingDoubling,
  Mesh,
  Bruck,
  Direct,
  Hierarchical,
  NonuniformBruck,
  End,  // not an algorithm: one past the last id
};

}  // namespace braid
