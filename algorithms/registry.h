// The algorithm registry: one row per algorithm (algorithms/registry.cc), with everything Braid needs to know of
// it. For each collective it serves, a row gives the schedule (the IR, algorithms/schedule.h) one rank runs for
// a call's shape and the call's predicted time on a fabric (algorithms/cost.h); the executor runs the first,
// the planner compares the second, the simulator tests run every row for 1..64 ranks and the cost-model tests
// price every row. Names, parsing (BRAID_ALGO, tuning files), the planner's candidates and the checks of
// collective signatures all come from here.
//
// Adding an algorithm: its family file (schedules and costs, e.g. algorithms/nonuniform_bruck.cc), its id in
// algorithms/algorithm.h and its row in registry.cc (docs/contributing.md).
#pragma once

#include <vector>

#include "algorithms/algorithm.h"
#include "algorithms/collective.h"
#include "algorithms/cost.h"

namespace braid {

// What an algorithm does for one collective.
struct Implementation {
  CollectiveKind kind;
  // This rank's schedule for `shape` (std::invalid_argument when the shape cannot take it, e.g. no node layout).
  Schedule (*build)(const CollectiveShape& shape);
  // The time of a call of `bytes` (NCCL's size: the buffer of AllReduce, Broadcast and Reduce; the whole output
  // of AllGather and Gather; the whole input of ReduceScatter, Scatter and AlltoAll) on `model`'s ranks, n > 1.
  Price (*cost)(double bytes, const FabricModel& model);
  // Where the planner may pick it (null: on any fabric); a forced choice may still run it elsewhere when its
  // schedule can (e.g. a hierarchical algorithm on one node degenerates to its inner phases).
  bool (*fits)(const FabricModel& model) = nullptr;
};

struct AlgorithmInfo {
  Algorithm id;
  const char* name;                  // in BRAID_ALGO, tuning files, logs and `braid plan`
  std::vector<const char*> aliases;  // NCCL's and the literature's spellings, also accepted
  const char* summary;               // one line for people
  std::vector<Implementation> implementations;
};

// Every algorithm, in id order (Default, the standby, has no row: buildSchedule resolves it first).
const std::vector<AlgorithmInfo>& algorithmRegistry();
// The row of `id`; null for Default and for numbers that name no algorithm (a peer's signature).
const AlgorithmInfo* findAlgorithm(int id);
// What `algorithm` does for `kind`; null when it does not serve it.
const Implementation* implementationOf(Algorithm algorithm, CollectiveKind kind);
// Each collective's standby: what Default means for it.
Algorithm standbyAlgorithm(CollectiveKind kind);

const char* algorithmName(Algorithm algorithm);  // "default", "ring", ...
// By name or alias, any case; false when nothing is called `name`.
bool parseAlgorithm(const std::string& name, Algorithm* algorithm);
// Whether buildSchedule has `algorithm` for `kind` (Default always).
bool hasAlgorithm(CollectiveKind kind, Algorithm algorithm);

}  // namespace braid
