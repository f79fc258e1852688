#include "direct_collectives.h"

#include <cstdio>

#include "fork_ranks.h"

namespace braid::testing {

int32_t valueOf(int r, int i, size_t j) { return (r + 1) * 1000 + i * 7 + static_cast<int32_t>(j % 1009); }

int runAndCheck(Kind kind, bool inPlace, size_t count, int call, int32_t* send, int32_t* recv, ncclComm_t comm,
                int rank, int nranks) {
  int problems = 0;
  const int root = call % nranks;
  const size_t sendCount = kind == Kind::ReduceScatter || kind == Kind::AlltoAll ? count * nranks : count;
  const size_t recvCount = kind == Kind::AllGather || kind == Kind::AlltoAll ? count * nranks : count;
  // In place, the input sits where NCCL says: the whole buffer, or this rank's block of it.
  int32_t* input = send;
  int32_t* output = recv;
  if (inPlace) {
    output = send;
    if (kind == Kind::AllGather) input = output + rank * count;
    if (kind == Kind::ReduceScatter) output = send + rank * count;
  }
  for (size_t j = 0; j < recvCount; ++j) output[j] = -1;
  for (size_t j = 0; j < sendCount; ++j) input[j] = valueOf(rank, call, j);
  ncclResult_t r = ncclSuccess;
  switch (kind) {
    case Kind::AllReduce: r = ncclAllReduce(input, output, count, ncclInt32, ncclSum, comm, nullptr); break;
    case Kind::Broadcast: r = ncclBroadcast(input, output, count, ncclInt32, root, comm, nullptr); break;
    case Kind::Reduce: r = ncclReduce(input, output, count, ncclInt32, ncclSum, root, comm, nullptr); break;
    case Kind::AllGather: r = ncclAllGather(input, output, count, ncclInt32, comm, nullptr); break;
    case Kind::ReduceScatter: r = ncclReduceScatter(input, output, count, ncclInt32, ncclSum, comm, nullptr); break;
    case Kind::AlltoAll: r = ncclAlltoAll(input, output, count, ncclInt32, comm, nullptr); break;
  }
  RANK_EXPECT(r == ncclSuccess, "call %d: %s", call, ncclGetLastError(comm));
  if (kind == Kind::Reduce && rank != root) return problems;
  for (size_t j = 0; j < recvCount && problems == 0; ++j) {
    int32_t expected = 0;
    switch (kind) {
      case Kind::AllReduce:
      case Kind::Reduce:
        for (int p = 0; p < nranks; ++p) expected += valueOf(p, call, j);
        break;
      case Kind::Broadcast: expected = valueOf(root, call, j); break;
      case Kind::AllGather: expected = valueOf(static_cast<int>(j / count), call, j % count); break;
      case Kind::ReduceScatter:
        for (int p = 0; p < nranks; ++p) expected += valueOf(p, call, rank * count + j);
        break;
      case Kind::AlltoAll: expected = valueOf(static_cast<int>(j / count), call, rank * count + j % count); break;
    }
    RANK_EXPECT(output[j] == expected, "call %d (kind %d, %s, count %zu): element %zu is %d, expected %d", call,
                static_cast<int>(kind), inPlace ? "in place" : "out of place", count, j, output[j], expected);
  }
  return problems;
}

int runEveryKind(const std::vector<size_t>& counts, int rounds, int32_t* send, int32_t* recv, ncclComm_t comm, int rank,
                 int nranks) {
  int problems = 0, call = 0;
  for (int round = 0; round < rounds; ++round)
    for (Kind kind : kKinds)
      for (bool inPlace : {false, true})
        for (size_t count : counts)
          problems += runAndCheck(kind, inPlace, count, call++, send, recv, comm, rank, nranks);
  return problems;
}

}  // namespace braid::testing
