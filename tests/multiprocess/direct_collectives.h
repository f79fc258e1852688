// Collectives that run direct (src/exec/direct_run.h: zero copy, cross-memory attach) checked element by
// element: each of the six kinds with rank-specific values, fresh each call, in place or not.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "nccl.h"

namespace braid::testing {

enum class Kind { AllReduce, Broadcast, Reduce, AllGather, ReduceScatter, AlltoAll };
constexpr Kind kKinds[] = {Kind::AllReduce, Kind::Broadcast,     Kind::Reduce,
                           Kind::AllGather, Kind::ReduceScatter, Kind::AlltoAll};

// What rank r contributes at element j of call i.
int32_t valueOf(int r, int i, size_t j);

// Runs one collective with rank-specific values in `send` (at least count * nranks elements) and `recv` (the
// same), in place when asked, and checks every element this rank receives;
// returns the number of problems (printed).
int runAndCheck(Kind kind, bool inPlace, size_t count, int call, int32_t* send, int32_t* recv, ncclComm_t comm,
                int rank, int nranks);
// runAndCheck for every kind, out of place and in place, at each of `counts`, `rounds` times over (`send` and
// `recv` hold the largest count times nranks); returns all the problems.
int runEveryKind(const std::vector<size_t>& counts, int rounds, int32_t* send, int32_t* recv, ncclComm_t comm, int rank,
                 int nranks);

}  // namespace braid::testing
