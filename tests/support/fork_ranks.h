// Runs a function as N real ranks: forked processes that share one ncclUniqueId. A rank reports problems by
// returning a non-zero count; the parent turns exit statuses into a test verdict.
#pragma once

#include <functional>
#include <string>

#include "nccl.h"

namespace braid::testing {

// `rankMain(rank, nranks, id)` runs in each child; returns the number of problems found. Returns a description
// of every rank that failed, crashed or did not finish within `timeoutSeconds` (empty when all passed).
std::string forkRanks(int nranks, const std::function<int(int rank, int nranks, const ncclUniqueId& id)>& rankMain,
                      int timeoutSeconds = 120);
// The same with an id the caller made (and may, for example, attack while the ranks join).
std::string forkRanksWithId(const ncclUniqueId& id, int nranks,
                            const std::function<int(int rank, int nranks, const ncclUniqueId& id)>& rankMain,
                            int timeoutSeconds = 120);

// For use inside rankMain: prints the problem (with the rank) and counts it.
#define RANK_EXPECT(cond, ...)                                                                                         \
  do {                                                                                                                 \
    if (!(cond)) {                                                                                                     \
      std::fprintf(stderr, "rank %d: %s:%d: expected %s: ", rank, __FILE__, __LINE__, #cond);                          \
      std::fprintf(stderr, __VA_ARGS__);                                                                               \
      std::fprintf(stderr, "\n");                                                                                      \
      ++problems;                                                                                                      \
    }                                                                                                                  \
  } while (0)

}  // namespace braid::testing
