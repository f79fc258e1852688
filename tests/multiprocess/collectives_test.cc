// Every collective, data type and reduction op over real forked ranks and real transports, in place and out of
// place, with counts of 0, 1, odd and larger than the transport buffers. Every element is checked.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "algorithms/planner/algorithm_filter.h"
#include "algorithms/registry.h"
#include "collperf_collectives.h"
#include "device/datatype.h"
#include "fork_ranks.h"
#include "wiring.h"

namespace braid {
namespace {

using collperf::Collective;

using testing::Wiring;

struct RankSetup {
  int nranks;
  Wiring wiring;
};

std::string nameOf(const ::testing::TestParamInfo<RankSetup>& info) {
  return std::to_string(info.param.nranks) + "ranks_" + testing::wiringName(info.param.wiring);
}

// The row whose NCCL count argument is `count` (rows are sized by their total bytes, as in nccl-tests).
collperf::RowShape shapeFor(Collective c, size_t count, ncclDataType_t type, int nranks) {
  const bool whole =
      c == Collective::AllReduce || c == Collective::Broadcast || c == Collective::Reduce || c == Collective::SendRecv;
  const size_t es = dataTypeSize(type);
  return collperf::rowShape(c, (whole ? count : count * nranks) * es, es, nranks);
}

int runOne(collperf::CallContext& call, int& problems, const char* what) {
  const int rank = call.rank;
  collperf::fillInputs(call);
  ncclResult_t r = collperf::launch(call);
  RANK_EXPECT(r == ncclSuccess, "%s: %s (%s)", what, ncclGetErrorString(r), ncclGetLastError(nullptr));
  size_t wrong = r == ncclSuccess ? collperf::countWrong(call) : 0;
  RANK_EXPECT(wrong == 0, "%s type %s op %s count %zu%s: %zu wrong elements", what, dataTypeName(call.type),
              reference::testOpName(call.op), call.shape.count, call.inPlace ? " in-place" : "", wrong);
  return problems;
}

// `algorithms`, when set, is a BRAID_ALGO value, and only the collectives it names are run; `protocols` a
// BRAID_PROTO value.
int everyCollective(int rank, int nranks, const ncclUniqueId& id, Wiring wiring, const char* algorithms = nullptr,
                    const char* protocols = nullptr) {
  int problems = 0;
  testing::useWiring(wiring, rank);
  if (algorithms) setenv("BRAID_ALGO", algorithms, 1);
  if (protocols) setenv("BRAID_PROTO", protocols, 1);
  ncclComm_t comm;
  ncclResult_t init = ncclCommInitRank(&comm, nranks, id, rank);
  RANK_EXPECT(init == ncclSuccess, "init: %s", ncclGetLastError(nullptr));
  if (init != ncclSuccess) return problems;
  const char* names[] = {"AllReduce", "AllGather", "ReduceScatter", "Broadcast", "Reduce",
                         "AlltoAll",  "Gather",    "Scatter",       "SendRecv"};
  const char* keywords[] = {"allreduce", "allgather", "reducescatter", "broadcast", "reduce",
                            "alltoall",  "gather",    "scatter",       "sendrecv"};
  for (int ci = 0; ci < 9; ++ci) {
    const Collective c = static_cast<Collective>(ci);
    if (algorithms && !std::strstr(algorithms, (std::string(keywords[ci]) + ":").c_str())) continue;
    for (int t = 0; t < ncclNumTypes; ++t) {
      const ncclDataType_t type = static_cast<ncclDataType_t>(t);
      const int opCount = collperf::reduces(c) ? reference::kTestOpCount : 1;
      for (int o = 0; o < opCount; ++o) {
        const reference::TestOp op = static_cast<reference::TestOp>(o);
        ncclRedOp_t ncclOp = static_cast<ncclRedOp_t>(o);
        if (op == reference::TestOp::PreMulSum) {
          alignas(8) unsigned char scalar[8];
          reference::storeValue(type, scalar, 0, reference::kPreMulScalar);
          ncclRedOpCreatePreMulSum(&ncclOp, scalar, type, ncclScalarHostImmediate, comm);
        }
        for (size_t count : {size_t(0), size_t(1), size_t(7), size_t(1001)})
          for (bool inPlace : {false, true}) {
            if (inPlace && !collperf::hasInPlace(c)) continue;
            collperf::RowShape shape = shapeFor(c, count, type, nranks);
            std::vector<char> send(shape.sendElems * dataTypeSize(type) + 8),
                recv(shape.recvElems * dataTypeSize(type) + 8);
            collperf::CallContext call{c,      comm,  rank,        nranks,      nranks - 1, type,   op,
                                       ncclOp, shape, send.data(), recv.data(), inPlace,    nullptr};
            runOne(call, problems, names[ci]);
          }
        if (op == reference::TestOp::PreMulSum) ncclRedOpDestroy(ncclOp, comm);
      }
    }
    // Larger than every transport buffer (shm FIFOs hold 2 MiB, socket staging 1 MiB).
    const size_t big = (3u << 20) / sizeof(float) + 3;
    collperf::RowShape shape = shapeFor(c, big, ncclFloat32, nranks);
    std::vector<char> send(shape.sendElems * 4 + 8), recv(shape.recvElems * 4 + 8);
    collperf::CallContext call{c,       comm,  rank,        nranks,      0,     ncclFloat32, reference::TestOp::Sum,
                               ncclSum, shape, send.data(), recv.data(), false, nullptr};
    runOne(call, problems, names[ci]);
  }
  RANK_EXPECT(ncclCommDestroy(comm) == ncclSuccess, "destroy");
  return problems;
}

// Receives of 4 MiB and more that the schedule never reads back go out with streaming stores (schedule_run.cc):
// two ranks over shared memory, every collective that ends in such receives, in place and out of place.
TEST(LargeCollectives, OutputsWrittenPastTheCacheAreRight) {
  std::string failures = testing::forkRanks(
      2,
      [](int rank, int nranks, const ncclUniqueId& id) {
        int problems = 0;
        ncclComm_t comm;
        RANK_EXPECT(ncclCommInitRank(&comm, nranks, id, rank) == ncclSuccess, "init: %s", ncclGetLastError(nullptr));
        const size_t count = (9u << 20) / sizeof(float) + 3;  // AllReduce: two 4.5 MiB halves
        for (Collective c : {Collective::AllReduce, Collective::AllGather, Collective::Broadcast, Collective::AlltoAll})
          for (bool inPlace : {false, true}) {
            if (inPlace && !collperf::hasInPlace(c)) continue;
            const size_t perCall = c == Collective::AllReduce || c == Collective::Broadcast ? count : count / 2;
            collperf::RowShape shape = shapeFor(c, perCall, ncclFloat32, nranks);
            std::vector<char> send(shape.sendElems * 4 + 8), recv(shape.recvElems * 4 + 8);
            collperf::CallContext call{
                c,       comm,  rank,        nranks,      1,       ncclFloat32, reference::TestOp::Sum,
                ncclSum, shape, send.data(), recv.data(), inPlace, nullptr};
            runOne(call, problems, "large");
          }
        RANK_EXPECT(ncclCommDestroy(comm) == ncclSuccess, "destroy");
        return problems;
      },
      300);
  EXPECT_EQ(failures, "");
}

class Collectives : public ::testing::TestWithParam<RankSetup> {};

TEST_P(Collectives, EveryTypeOpAndPlacement) {
  const RankSetup s = GetParam();
  std::string failures = testing::forkRanks(
      s.nranks,
      [&](int rank, int nranks, const ncclUniqueId& id) { return everyCollective(rank, nranks, id, s.wiring); }, 600);
  EXPECT_EQ(failures, "");
}

INSTANTIATE_TEST_SUITE_P(Ranks, Collectives,
                         ::testing::Values(RankSetup{1, Wiring::SharedMemory}, RankSetup{2, Wiring::SharedMemory},
                                           RankSetup{3, Wiring::SharedMemory}, RankSetup{4, Wiring::SharedMemory},
                                           RankSetup{8, Wiring::SharedMemory}, RankSetup{2, Wiring::Sockets},
                                           RankSetup{3, Wiring::Sockets}, RankSetup{4, Wiring::Mixed},
                                           RankSetup{3, Wiring::Mixed},  // a host with 2 ranks, one alone
                                           RankSetup{4, Wiring::Interleaved}, RankSetup{3, Wiring::OfiTcp},
                                           RankSetup{3, Wiring::OfiShm}, RankSetup{3, Wiring::Plugin},
                                           RankSetup{3, Wiring::StripedSockets}),
                         nameOf);

// Each algorithm forced through BRAID_ALGO, on rank counts that are and are not powers of two; and each
// protocol through BRAID_PROTO (LL serves the small calls of one-host communicators by default; Simple keeps
// the schedules of those sizes covered).
struct ForcedCase {
  const char* algorithms;
  int nranks;
  Wiring wiring;
  const char* name;
  const char* protocols = nullptr;
};

class ForcedAlgorithm : public ::testing::TestWithParam<ForcedCase> {};

TEST_P(ForcedAlgorithm, EveryTypeOpAndPlacement) {
  const ForcedCase f = GetParam();
  std::string failures = testing::forkRanks(
      f.nranks,
      [&](int rank, int nranks, const ncclUniqueId& id) {
        return everyCollective(rank, nranks, id, f.wiring, f.algorithms, f.protocols);
      },
      600);
  EXPECT_EQ(failures, "");
}

INSTANTIATE_TEST_SUITE_P(
    Algorithms, ForcedAlgorithm,
    ::testing::Values(
        ForcedCase{"allreduce:ring;allgather:ring;broadcast:chain;reduce:chain", 3, Wiring::SharedMemory,
                   "ring_chain_3"},
        ForcedCase{"allreduce:tree;broadcast:tree;reduce:tree", 5, Wiring::SharedMemory, "tree_5"},
        ForcedCase{"allreduce:tree;broadcast:tree;reduce:tree", 5, Wiring::Mixed, "tree_2_2_1_mixed"},
        ForcedCase{"allreduce:rd", 3, Wiring::SharedMemory, "rd_3"},
        ForcedCase{"allreduce:rd", 4, Wiring::Mixed, "rd_4_mixed"},
        ForcedCase{"allreduce:rhd", 6, Wiring::SharedMemory, "rhd_6"},
        ForcedCase{"allreduce:rhd", 3, Wiring::Sockets, "rhd_3_sockets"},
        ForcedCase{"allreduce:mesh;allgather:bruck", 3, Wiring::SharedMemory, "mesh_bruck_3", "Simple"},
        ForcedCase{"allgather:bruck", 5, Wiring::SharedMemory, "bruck_5"},
        ForcedCase{"allgather:rd;reducescatter:rhd", 4, Wiring::SharedMemory, "rd_rh_4"},
        ForcedCase{"allgather:rd;reducescatter:rhd", 8, Wiring::Mixed, "rd_rh_8_mixed"},
        ForcedCase{"allgather:rd;reducescatter:rhd", 6, Wiring::Mixed, "rd_rh_6_mixed"},
        ForcedCase{"allreduce:hier", 4, Wiring::Mixed, "hier_2x2_mixed"},
        ForcedCase{"allreduce:hier", 6, Wiring::Mixed, "hier_3x2_mixed"},
        // 6 nodes: the model folds the rails into halving and doubling for the small sizes and
        // rings the large ones
        ForcedCase{"allreduce:hier;allgather:hier;reducescatter:hier", 12, Wiring::Mixed, "hier_6x2_mixed"},
        ForcedCase{"allgather:hier;reducescatter:hier;alltoall:hier", 6, Wiring::Mixed, "hier_ag_rs_a2a_3x2_mixed"},
        // 4 nodes: the rails double (AllGather) and halve (ReduceScatter) in two rounds
        ForcedCase{"allgather:hier;reducescatter:hier", 8, Wiring::Mixed, "hier_ag_rs_4x2_mixed"},
        ForcedCase{"allreduce:hier", 5, Wiring::Mixed, "hier_unequal_2_2_1_mixed"},
        ForcedCase{nullptr, 2, Wiring::SharedMemory, "simple_2", "Simple"},
        ForcedCase{nullptr, 4, Wiring::SharedMemory, "simple_4", "^LL"},
        ForcedCase{nullptr, 3, Wiring::SharedMemory, "ll_3", "LL"},
        ForcedCase{nullptr, 8, Wiring::SharedMemory, "ll_8", "LL"},
        // Cross-memory attach wherever it applies (Simple elsewhere: Gather, Scatter, point to point)
        ForcedCase{nullptr, 3, Wiring::SharedMemory, "cma_3", "CMA"},
        ForcedCase{nullptr, 8, Wiring::SharedMemory, "cma_8", "CMA"}),
    [](const ::testing::TestParamInfo<ForcedCase>& info) { return std::string(info.param.name); });

// Every algorithm of the registry forced through BRAID_ALGO for every collective it serves, so that a new row is
// run for real without a line here: 5 ranks on one host, and 3 hosts of 2 ranks (where the hierarchical ones
// apply). The cases above add layouts that particular algorithms care about.
struct RegisteredCase {
  std::string algorithms;
  int nranks;
  Wiring wiring;
  std::string name;
};

std::vector<RegisteredCase> registeredCases() {
  std::vector<RegisteredCase> cases;
  for (const AlgorithmInfo& a : algorithmRegistry()) {
    std::string filter;
    for (const Implementation& i : a.implementations)
      if (i.kind != CollectiveKind::AlltoAllv)  // follows alltoall's setting
        filter += std::string(filter.empty() ? "" : ";") + planner::collectiveKeyword(i.kind) + ":" + a.name;
    cases.push_back({filter, 5, Wiring::SharedMemory, std::string(a.name) + "_5"});
    cases.push_back({filter, 6, Wiring::Mixed, std::string(a.name) + "_3x2_mixed"});
  }
  return cases;
}

class RegisteredAlgorithm : public ::testing::TestWithParam<RegisteredCase> {};

TEST_P(RegisteredAlgorithm, EveryCollectiveItServesEveryTypeOpAndPlacement) {
  const RegisteredCase& c = GetParam();
  std::string failures = testing::forkRanks(
      c.nranks,
      [&](int rank, int nranks, const ncclUniqueId& id) {
        return everyCollective(rank, nranks, id, c.wiring, c.algorithms.c_str());
      },
      600);
  EXPECT_EQ(failures, "") << "BRAID_ALGO=" << c.algorithms;
}

INSTANTIATE_TEST_SUITE_P(Registry, RegisteredAlgorithm, ::testing::ValuesIn(registeredCases()),
                         [](const ::testing::TestParamInfo<RegisteredCase>& info) { return info.param.name; });

}  // namespace
}  // namespace braid
