// Tuning files (BRAID_TUNE_FILE): per collective, rank count and size range, the algorithm to use. `braid plan
// --tune-file` writes them; the library loads them at communicator init. One rule per line:
//
//   # collective  ranks  min_bytes  max_bytes  algorithm  [protocol]
//   allreduce     2      0          256        mesh       LL
//   allreduce     16     0          65536      rd
//   allreduce     *      65537      *          ring
//
// `*` matches any rank count / leaves the range open. Lines are tried in order; the first match wins. The
// protocol is Simple unless the line says LL or CMA (only with mesh, for the collectives they serve; where a
// communicator cannot use them, e.g. has no LL mailboxes, the call is too large for them or its ranks may not
// attach to each other, the rule means mesh with Simple, or the model's pick where mesh has no schedule).
#pragma once

#include <cstddef>
#include <istream>
#include <ostream>
#include <string>
#include <vector>

#include "algorithms/collective.h"

namespace braid::planner {

struct TuningRule {
  CollectiveKind kind;
  int nranks = 0;  // 0: any
  size_t minBytes = 0;
  size_t maxBytes = static_cast<size_t>(-1);
  Algorithm algorithm;
  Protocol protocol = Protocol::Simple;
};

// Throws std::invalid_argument "name:line: what" for the first malformed line.
std::vector<TuningRule> parseTuningRules(std::istream& in, const std::string& name);
std::vector<TuningRule> loadTuningFile(const std::string& path);  // also fails when the file cannot be read
void writeTuningRules(std::ostream& out, const std::vector<TuningRule>& rules, const std::string& comment);

// The first rule that matches, or null.
const TuningRule* matchTuningRule(const std::vector<TuningRule>& rules, CollectiveKind kind, int nranks, size_t bytes);

}  // namespace braid::planner
