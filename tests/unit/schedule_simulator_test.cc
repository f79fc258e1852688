// Every built-in schedule, run by the real executor over in-memory pipes for 1..16 ranks, with bounded pipes
// that deliver data in random pieces, and every element of every rank checked against the reference.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include <vector>

#include "algorithms/collective.h"
#include "algorithms/direct.h"
#include "algorithms/hierarchical.h"
#include "algorithms/registry.h"
#include "collperf_collectives.h"
#include "device/datatype.h"
#include "simulator.h"

namespace braid {
namespace {

using collperf::Collective;

CollectiveKind kindOf(Collective c) {
  switch (c) {
    case Collective::AllReduce: return CollectiveKind::AllReduce;
    case Collective::AllGather: return CollectiveKind::AllGather;
    case Collective::ReduceScatter: return CollectiveKind::ReduceScatter;
    case Collective::Broadcast: return CollectiveKind::Broadcast;
    case Collective::Reduce: return CollectiveKind::Reduce;
    case Collective::AlltoAll: return CollectiveKind::AlltoAll;
    case Collective::Gather: return CollectiveKind::Gather;
    default: return CollectiveKind::Scatter;
  }
}

// Runs `collective` for `nranks` and returns the number of wrong elements over all ranks (-1 on deadlock).
// What a rank's schedule sends to other nodes: how many sends, and to how many distinct partners.
struct CrossNodeSends {
  int sends = 0;
  std::vector<int> partners;
};
CrossNodeSends crossNodeSendsOf(const CollectiveShape& shape, const std::vector<int>& nodeId) {
  CrossNodeSends out;
  for (const Step& step : buildSchedule(shape).steps)
    if (step.kind == StepKind::Send && nodeId[step.peer] != nodeId[shape.rank]) {
      ++out.sends;
      if (std::find(out.partners.begin(), out.partners.end(), step.peer) == out.partners.end())
        out.partners.push_back(step.peer);
    }
  return out;
}

// The host of each of nodes x perNode ranks: numbered node by node, or dealt round-robin.
std::vector<int> nodeIdsOf(int nodes, int perNode, bool interleaved) {
  std::vector<int> nodeId(nodes * perNode);
  for (int r = 0; r < nodes * perNode; ++r) nodeId[r] = interleaved ? r % nodes : r / perNode;
  return nodeId;
}

long simulateCollective(Collective collective, int nranks, size_t count, int root, bool inPlace, ncclDataType_t type,
                        reference::TestOp op, size_t pipeBytes, uint32_t seed, Algorithm algorithm = Algorithm::Default,
                        std::shared_ptr<const NodeLayout> nodes = nullptr, bool foldedRails = false) {
  const size_t es = dataTypeSize(type);
  std::vector<std::vector<char>> send(nranks), recv(nranks);
  std::vector<collperf::CallContext> calls;
  std::vector<testing::SimulatedRank> ranks(nranks);
  for (int r = 0; r < nranks; ++r) {
    collperf::RowShape shape{count, count, count, count};
    if (collective == Collective::AllGather || collective == Collective::Gather) shape.recvElems = count * nranks;
    if (collective == Collective::ReduceScatter || collective == Collective::Scatter) shape.sendElems = count * nranks;
    if (collective == Collective::AlltoAll) shape.sendElems = shape.recvElems = count * nranks;
    send[r].assign(shape.sendElems * es + 1, 0);
    recv[r].assign(shape.recvElems * es + 1, 0);
    calls.push_back({collective, nullptr, r, nranks, root, type, op, ncclSum, shape, send[r].data(), recv[r].data(),
                     inPlace, nullptr});
    collperf::fillInputs(calls.back());
    collperf::BufferPointers p = collperf::bufferPointers(calls.back());
    if (collective == Collective::SendRecv) {
      // Point-to-point schedules count bytes and bind one buffer per call.
      std::vector<PointToPointCall> group = {{true, (r + 1) % nranks, count * es},
                                             {false, (r - 1 + nranks) % nranks, count * es}};
      ranks[r].schedule = pointToPointGroup(r, group);
      ranks[r].buffers = {nullptr, nullptr, nullptr, const_cast<char*>(p.send), p.recv};
    } else {
      CollectiveShape s{kindOf(collective), r, nranks, root, count, {}, {}, {}, {}, algorithm, nodes, {}, foldedRails};
      ranks[r].schedule = buildSchedule(s);
      ranks[r].buffers = {const_cast<char*>(p.send), p.recv};
    }
  }
  const bool bytes = collective == Collective::SendRecv;
  ReduceKind kind = op == reference::TestOp::Max ? ReduceKind::Max : ReduceKind::Sum;
  if (!testing::simulate(ranks, bytes ? 1 : es, reduceFunction(type, kind), pipeBytes, seed)) return -1;
  long wrong = 0;
  for (auto& c : calls) wrong += static_cast<long>(collperf::countWrong(c));
  return wrong;
}

struct Case {
  Collective collective;
  const char* name;
};
const Case kCases[] = {{Collective::AllReduce, "AllReduce"},
                       {Collective::AllGather, "AllGather"},
                       {Collective::ReduceScatter, "ReduceScatter"},
                       {Collective::Broadcast, "Broadcast"},
                       {Collective::Reduce, "Reduce"},
                       {Collective::AlltoAll, "AlltoAll"},
                       {Collective::Gather, "Gather"},
                       {Collective::Scatter, "Scatter"},
                       {Collective::SendRecv, "SendRecv"}};

class ScheduleSimulator : public ::testing::TestWithParam<Case> {};

TEST_P(ScheduleSimulator, AllRankCountsCountsAndRoots) {
  const Collective c = GetParam().collective;
  uint32_t seed = 1;
  for (int n = 1; n <= 16; ++n)
    for (size_t count : {size_t(0), size_t(1), size_t(3), size_t(17), size_t(250)})
      for (int root : {0, n / 2, n - 1})
        for (bool inPlace : {false, true}) {
          if (inPlace && !collperf::hasInPlace(c)) continue;
          if (root != 0 && !collperf::rooted(c)) continue;
          long wrong = simulateCollective(c, n, count, root, inPlace, ncclInt32, reference::TestOp::Sum, 64, ++seed);
          ASSERT_EQ(wrong, 0) << GetParam().name << " n=" << n << " count=" << count << " root=" << root
                              << " inPlace=" << inPlace << (wrong < 0 ? " deadlocked" : "");
        }
}

TEST_P(ScheduleSimulator, SmallAndOddTypesThroughTinyPipes) {
  // 9-byte pipes (transports must hold at least one whole element) deliver elements split in random pieces.
  const Collective c = GetParam().collective;
  uint32_t seed = 1000;
  for (ncclDataType_t type : {ncclFloat16, ncclFloat8e4m3, ncclFloat64, ncclBfloat16})
    for (int n : {2, 5, 8}) {
      long wrong = simulateCollective(c, n, 33, n - 1, false, type, reference::TestOp::Max, 9, ++seed);
      ASSERT_EQ(wrong, 0) << GetParam().name << " type=" << dataTypeName(type) << " n=" << n;
    }
}

INSTANTIATE_TEST_SUITE_P(Collectives, ScheduleSimulator, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

// Every algorithm of the registry, for every collective it serves (AlltoAllv, whose counts differ per call, has a
// test of its own below): for 1..64 ranks (powers of two and the folding of the others), or for those the
// planner considers only across nodes, over 2..5 nodes of 2 and 3 ranks, numbered node by node and interleaved.
struct AlgorithmCase {
  Collective collective;
  Algorithm algorithm;
  bool acrossNodes;
  std::string name;
};

bool collectiveOf(CollectiveKind kind, Collective* collective) {
  for (Collective c : {Collective::AllReduce, Collective::AllGather, Collective::ReduceScatter, Collective::Broadcast,
                       Collective::Reduce, Collective::AlltoAll, Collective::Gather, Collective::Scatter})
    if (kindOf(c) == kind) return *collective = c, true;
  return false;
}

std::vector<AlgorithmCase> registryCases() {
  FabricModel oneNode;
  oneNode.nranks = oneNode.ranksPerNode = 4;
  std::vector<AlgorithmCase> cases;
  for (const AlgorithmInfo& a : algorithmRegistry())
    for (const Implementation& i : a.implementations) {
      Collective c;
      if (!collectiveOf(i.kind, &c)) continue;
      cases.push_back({c, a.id, i.fits && !i.fits(oneNode), std::string(collectiveName(i.kind)) + "_" + a.name});
    }
  return cases;
}

// The layouts an algorithm runs on: n ranks on one host, or nodes x perNode ranks.
struct Layout {
  int nranks;
  std::shared_ptr<const NodeLayout> nodes;
};
std::vector<Layout> layoutsFor(const AlgorithmCase& a, int maxRanks) {
  std::vector<Layout> layouts;
  if (!a.acrossNodes) {
    for (int n = 1; n <= maxRanks; ++n) layouts.push_back({n, nullptr});
    return layouts;
  }
  for (int nodes = 2; nodes <= 5; ++nodes)
    for (int perNode : {2, 3})
      for (bool interleaved : {false, true})
        layouts.push_back({nodes * perNode, std::make_shared<const NodeLayout>(
                                                NodeLayout::fromNodeIds(nodeIdsOf(nodes, perNode, interleaved)))});
  return layouts;
}

class AlgorithmSimulator : public ::testing::TestWithParam<AlgorithmCase> {};

TEST_P(AlgorithmSimulator, OneToSixtyFourRanks) {
  const AlgorithmCase& a = GetParam();
  uint32_t seed = 5000;
  for (const Layout& layout : layoutsFor(a, 64)) {
    const int n = layout.nranks;
    for (size_t count : {size_t(0), size_t(1), size_t(5), size_t(67)})
      for (int root : {0, n - 1})
        for (bool inPlace : {false, true}) {
          if (inPlace && !collperf::hasInPlace(a.collective)) continue;
          if (root != 0 && !collperf::rooted(a.collective)) continue;
          long wrong = simulateCollective(a.collective, n, count, root, inPlace, ncclInt32, reference::TestOp::Sum, 24,
                                          ++seed, a.algorithm, layout.nodes);
          ASSERT_EQ(wrong, 0) << a.name << " n=" << n << (layout.nodes ? " across nodes" : "") << " count=" << count
                              << " root=" << root << " inPlace=" << inPlace << (wrong < 0 ? " deadlocked" : "");
        }
  }
}

TEST_P(AlgorithmSimulator, FloatsThroughTinyPipes) {
  // Max is exact in any order; float16 through 9-byte pipes splits elements between deliveries.
  const AlgorithmCase& a = GetParam();
  for (const Layout& layout : layoutsFor(a, 13)) {
    const int n = layout.nranks;
    if (!layout.nodes && n != 2 && n != 3 && n != 6 && n != 8 && n != 13) continue;
    long wrong = simulateCollective(a.collective, n, 41, n / 2, false, ncclFloat16, reference::TestOp::Max, 9, 77u + n,
                                    a.algorithm, layout.nodes);
    ASSERT_EQ(wrong, 0) << a.name << " n=" << n;
  }
}

TEST(HierarchicalSimulator, NodesOfEqualSizeContiguousOrInterleaved) {
  uint32_t seed = 9000;
  for (int nodes = 1; nodes <= 6; ++nodes)
    for (int perNode = 1; perNode <= 6; ++perNode)
      for (bool interleaved : {false, true}) {
        const int n = nodes * perNode;
        const std::vector<int> nodeId = nodeIdsOf(nodes, perNode, interleaved);
        auto layout = std::make_shared<const NodeLayout>(NodeLayout::fromNodeIds(nodeId));
        for (Collective c :
             {Collective::AllReduce, Collective::AllGather, Collective::ReduceScatter, Collective::AlltoAll})
          for (size_t count : {size_t(0), size_t(1), size_t(5), size_t(67)})
            for (bool inPlace : {false, true}) {
              if (inPlace && !collperf::hasInPlace(c)) continue;  // AlltoAll has no in-place form
              long wrong = simulateCollective(c, n, count, 0, inPlace, ncclInt32, reference::TestOp::Sum, 24, ++seed,
                                              Algorithm::Hierarchical, layout);
              ASSERT_EQ(wrong, 0) << static_cast<int>(c) << ": " << nodes << " nodes x " << perNode
                                  << (interleaved ? " interleaved" : "") << " count=" << count << " inPlace=" << inPlace
                                  << (wrong < 0 ? " deadlocked" : "");
            }
      }
  // Tiny pipes split float16 elements between deliveries.
  auto layout = std::make_shared<const NodeLayout>(NodeLayout::fromNodeIds({0, 0, 0, 1, 1, 1, 2, 2, 2}));
  ASSERT_EQ(simulateCollective(Collective::AllReduce, 9, 41, 0, false, ncclFloat16, reference::TestOp::Max, 9, 1,
                               Algorithm::Hierarchical, layout),
            0);
}

// Rings and chains follow the node layout: with ranks interleaved over nodes every collective still comes out
// right, and a ring AllReduce has each rank talk to neighbours that are in its own node but for one hop per node.
TEST(RingOrderSimulator, InterleavedRanksRingNodeByNode) {
  uint32_t seed = 15000;
  for (int nodes : {2, 3})
    for (int perNode : {1, 2, 3}) {
      const int n = nodes * perNode;
      std::vector<int> nodeId(n);
      for (int r = 0; r < n; ++r) nodeId[r] = r % nodes;
      auto layout = std::make_shared<const NodeLayout>(NodeLayout::fromNodeIds(nodeId));
      for (Collective c : {Collective::AllReduce, Collective::AllGather, Collective::ReduceScatter,
                           Collective::Broadcast, Collective::Reduce})
        for (int root : {0, n - 1})
          for (size_t count : {size_t(0), size_t(5), size_t(67)}) {
            const Algorithm a =
                c == Collective::Broadcast || c == Collective::Reduce ? Algorithm::Chain : Algorithm::Ring;
            long wrong =
                simulateCollective(c, n, count, root, false, ncclInt32, reference::TestOp::Sum, 24, ++seed, a, layout);
            ASSERT_EQ(wrong, 0) << static_cast<int>(c) << " on " << nodes << " x " << perNode << " root " << root
                                << " count " << count << (wrong < 0 ? " deadlocked" : "");
          }
      if (perNode < 2) continue;
      int crossings = 0;
      for (int r = 0; r < n; ++r) {
        CollectiveShape shape{CollectiveKind::AllReduce, r, n, 0, 64, {}, {}, {}, {}, Algorithm::Ring, layout, {}};
        for (const Step& s : buildSchedule(shape).steps)
          if (s.kind == StepKind::Send && nodeId[s.peer] != nodeId[r]) {
            ++crossings;
            break;
          }
      }
      EXPECT_EQ(crossings, nodes) << "ranks sending across nodes, " << nodes << " x " << perNode;
    }
}

// One host, ranks bound round-robin across its two NUMA nodes: the trees run over the ring order, every subtree
// a run (an arc) of ring neighbours, so fewer of their edges cross the socket link than a heap over the rank
// numbers, which crosses on every edge between an even and an odd rank (3 sends each Broadcast, 12 AllReduce).
TEST(TreeSimulator, TreesWithinAHostFollowTheRingOrder) {
  const int n = 8;
  std::vector<int> numa(n);
  for (int r = 0; r < n; ++r) numa[r] = r % 2;
  NodeLayout layout = NodeLayout::fromNodeIds(std::vector<int>(n, 0));
  layout.orderWithinNodes(numa);
  EXPECT_EQ(layout.ringOrder, (std::vector<int>{0, 2, 4, 6, 1, 3, 5, 7}));
  auto shared = std::make_shared<const NodeLayout>(layout);
  uint32_t seed = 20000;
  for (Collective c : {Collective::AllReduce, Collective::Broadcast, Collective::Reduce})
    for (int root : {0, 3, 6})
      for (size_t count : {size_t(1), size_t(67)})
        ASSERT_EQ(simulateCollective(c, n, count, root, false, ncclInt32, reference::TestOp::Sum, 24, ++seed,
                                     Algorithm::Tree, shared),
                  0)
            << static_cast<int>(c) << " root " << root << " count " << count;
  const auto crossingSends = [&](CollectiveKind kind, int root) {
    int crossings = 0;
    for (int r = 0; r < n; ++r) {
      CollectiveShape shape{kind, r, n, root, 64, {}, {}, {}, {}, Algorithm::Tree, shared, {}};
      for (const Step& step : buildSchedule(shape).steps)
        crossings += step.kind == StepKind::Send && numa[step.peer] != numa[r];
    }
    return crossings;
  };
  // Rooted at rank 0 the runs split at the NUMA boundary; rooted elsewhere they are arcs that may wrap around.
  EXPECT_EQ(crossingSends(CollectiveKind::Broadcast, 0), 1);
  EXPECT_EQ(crossingSends(CollectiveKind::Broadcast, 3), 3);
  EXPECT_EQ(crossingSends(CollectiveKind::Broadcast, 6), 2);
  EXPECT_EQ(crossingSends(CollectiveKind::AllReduce, 0), 8);  // both trees, up and down
}

// Ranks bound round-robin across two NUMA nodes of each of two hosts: the ring visits one NUMA node's ranks
// after another, so four ranks (one per host and NUMA node) send across a socket or host boundary.
TEST(RingOrderSimulator, RanksOfOneNumaNodeAreNeighbours) {
  const int n = 8;
  std::vector<int> nodeId(n), numa(n);
  for (int r = 0; r < n; ++r) nodeId[r] = r % 2, numa[r] = (r / 2) % 2;
  NodeLayout layout = NodeLayout::fromNodeIds(nodeId);
  layout.orderWithinNodes(numa);
  EXPECT_EQ(layout.ringOrder, (std::vector<int>{0, 4, 2, 6, 1, 5, 3, 7}));
  auto shared = std::make_shared<const NodeLayout>(layout);
  uint32_t seed = 16000;
  for (Collective c : {Collective::AllReduce, Collective::AllGather, Collective::ReduceScatter, Collective::Broadcast})
    for (size_t count : {size_t(1), size_t(67)}) {
      const Algorithm a = c == Collective::Broadcast ? Algorithm::Chain : Algorithm::Ring;
      ASSERT_EQ(simulateCollective(c, n, count, 3, false, ncclInt32, reference::TestOp::Sum, 24, ++seed, a, shared), 0)
          << static_cast<int>(c) << " count " << count;
    }
  int crossings = 0;
  for (int r = 0; r < n; ++r) {
    CollectiveShape shape{CollectiveKind::AllReduce, r, n, 0, 64, {}, {}, {}, {}, Algorithm::Ring, shared, {}};
    for (const Step& s : buildSchedule(shape).steps)
      if (s.kind == StepKind::Send && (nodeId[s.peer] != nodeId[r] || numa[s.peer] != numa[r])) {
        ++crossings;
        break;
      }
  }
  EXPECT_EQ(crossings, 4);
}

// rd and rhd pair ranks by their place in the ring order: with 2 nodes x 4 ranks numbered round-robin, their
// partners across nodes are 4 positions away only, and rhd, nearest partner first, sends an eighth of the
// buffer each way across instead of half.
TEST(RingOrderSimulator, RecursiveAlgorithmsPairRanksOfOneNodeFirst) {
  const int n = 8;
  const size_t count = 800;
  std::vector<int> nodeId(n);
  for (int r = 0; r < n; ++r) nodeId[r] = r % 2;
  auto layout = std::make_shared<const NodeLayout>(NodeLayout::fromNodeIds(nodeId));
  std::vector<int> position(n);
  for (int p = 0; p < n; ++p) position[layout->ringOrder[p]] = p;
  uint32_t seed = 17000;
  for (Algorithm a : {Algorithm::RecursiveDoubling, Algorithm::HalvingDoubling}) {
    for (size_t c : {size_t(0), size_t(1), size_t(67)})
      for (bool inPlace : {false, true})
        ASSERT_EQ(simulateCollective(Collective::AllReduce, n, c, 0, inPlace, ncclInt32, reference::TestOp::Sum, 24,
                                     ++seed, a, layout),
                  0)
            << algorithmName(a) << " count " << c;
    for (int r = 0; r < n; ++r) {
      CollectiveShape shape{CollectiveKind::AllReduce, r, n, 0, count, {}, {}, {}, {}, a, layout, {}};
      size_t across = 0;
      for (const Step& st : buildSchedule(shape).steps)
        if (st.peer >= 0 && nodeId[st.peer] != nodeId[r]) {
          EXPECT_EQ(position[st.peer], position[r] ^ 4) << algorithmName(a) << ": rank " << r << " and " << st.peer;
          if (st.kind == StepKind::Send) across += st.count;
        }
      EXPECT_EQ(across, a == Algorithm::HalvingDoubling ? count / 4 : count) << algorithmName(a) << " rank " << r;
    }
  }
}

// Over several nodes the trees are chains within each node joined by a tree over the nodes: whatever the
// numbering and node sizes, each tree crosses the network on N-1 edges (one send each way per edge for the
// AllReduce), and every result is right for every root.
TEST(TreeSimulator, NodeChainsJoinedAcrossNodes) {
  const std::vector<std::vector<int>> layouts = {{0, 1, 0, 1, 0, 1, 0, 1},
                                                 {0, 0, 0, 1, 1, 1, 2, 2, 2},
                                                 {0, 0, 0, 1, 1, 2},
                                                 {0, 1, 2, 3, 4},
                                                 {2, 0, 1, 1, 2, 0, 2}};
  uint32_t seed = 18000;
  for (const std::vector<int>& nodeId : layouts) {
    const int n = static_cast<int>(nodeId.size());
    auto layout = std::make_shared<const NodeLayout>(NodeLayout::fromNodeIds(nodeId));
    const int nodes = static_cast<int>(layout->members.size());
    for (size_t count : {size_t(0), size_t(1), size_t(67)})
      for (bool inPlace : {false, true})
        ASSERT_EQ(simulateCollective(Collective::AllReduce, n, count, 0, inPlace, ncclInt32, reference::TestOp::Sum, 24,
                                     ++seed, Algorithm::Tree, layout),
                  0)
            << "AllReduce on " << n << " ranks, " << nodes << " nodes, count " << count;
    for (Collective c : {Collective::Broadcast, Collective::Reduce})
      for (int root : {0, n / 2, n - 1})
        ASSERT_EQ(simulateCollective(c, n, 67, root, false, ncclInt32, reference::TestOp::Sum, 24, ++seed,
                                     Algorithm::Tree, layout),
                  0)
            << static_cast<int>(c) << " on " << n << " ranks, root " << root;
    int crossing = 0;
    for (int r = 0; r < n; ++r) {
      CollectiveShape shape{CollectiveKind::AllReduce, r, n, 0, 64, {}, {}, {}, {}, Algorithm::Tree, layout, {}};
      for (const Step& st : buildSchedule(shape).steps)
        crossing += st.kind == StepKind::Send && nodeId[st.peer] != nodeId[r];
    }
    EXPECT_EQ(crossing, 4 * (nodes - 1)) << n << " ranks on " << nodes << " nodes";
  }
}

// With a power of two of nodes the AllReduce's rails run halving-doubling (log2 N exchanges each way across the
// network instead of the ring's N-1), the AllGather's recursive doubling and the ReduceScatter's recursive
// halving; results right for 8 nodes (three rounds) in place or not.
TEST(HierarchicalSimulator, RailsOfAPowerOfTwoNodesUseHalvingDoubling) {
  uint32_t seed = 13000;
  for (int nodes : {2, 4, 8})
    for (int perNode : {1, 2, 3}) {
      const int n = nodes * perNode;
      std::vector<int> nodeId(n);
      for (int r = 0; r < n; ++r) nodeId[r] = r / perNode;
      auto layout = std::make_shared<const NodeLayout>(NodeLayout::fromNodeIds(nodeId));
      for (size_t count : {size_t(0), size_t(1), size_t(67), size_t(1000)})
        for (bool inPlace : {false, true}) {
          long wrong = simulateCollective(Collective::AllReduce, n, count, 0, inPlace, ncclInt32,
                                          reference::TestOp::Sum, 24, ++seed, Algorithm::Hierarchical, layout);
          ASSERT_EQ(wrong, 0) << nodes << " nodes x " << perNode << " count=" << count << " inPlace=" << inPlace
                              << (wrong < 0 ? " deadlocked" : "");
        }
      CollectiveShape shape{CollectiveKind::AllReduce, 0,      n, 0, 1000, {}, {}, {}, {},
                            Algorithm::Hierarchical,   layout, {}};
      int log2Nodes = 0;
      while ((1 << log2Nodes) < nodes) ++log2Nodes;
      EXPECT_EQ(crossNodeSendsOf(shape, nodeId).sends, 2 * log2Nodes) << nodes << " nodes x " << perNode;
      // The AllGather's rails double and the ReduceScatter's halve: log2 N partners across the network (a ring
      // talks to one), N-1 blocks sent.
      for (Collective c : {Collective::AllGather, Collective::ReduceScatter}) {
        const char* name = c == Collective::AllGather ? "AllGather" : "ReduceScatter";
        for (size_t count : {size_t(0), size_t(1), size_t(67)})
          for (bool inPlace : {false, true})
            ASSERT_EQ(simulateCollective(c, n, count, 0, inPlace, ncclInt32, reference::TestOp::Sum, 24, ++seed,
                                         Algorithm::Hierarchical, layout),
                      0)
                << name << " on " << nodes << " nodes x " << perNode << " count=" << count;
        CollectiveShape shape{kindOf(c), 0, n, 0, 10, {}, {}, {}, {}, Algorithm::Hierarchical, layout, {}};
        const CrossNodeSends across = crossNodeSendsOf(shape, nodeId);
        EXPECT_EQ(static_cast<int>(across.partners.size()), log2Nodes)
            << name << " on " << nodes << " nodes x " << perNode;
        EXPECT_EQ(across.sends, nodes - 1) << name << " on " << nodes << " nodes x " << perNode;
      }
    }
}

// Asked to (the planner prices both), rails of any node count run the logarithmic algorithms, the nodes beyond
// a power of two folded into a neighbour: a rank in the core talks across the network to log2 p partners
// (AllReduce: 2 log2 p sends) instead of the ring's neighbours in N-1 (AllReduce: 2(N-1)) steps.
TEST(HierarchicalSimulator, RailsOfAnyNodeCountHalveAndDoubleWhenAsked) {
  uint32_t seed = 18000;
  for (int nodes : {3, 5, 6, 7, 12})
    for (int perNode : {1, 2, 3})
      for (bool interleaved : {false, true}) {
        const int n = nodes * perNode;
        const std::vector<int> nodeId = nodeIdsOf(nodes, perNode, interleaved);
        auto layout = std::make_shared<const NodeLayout>(NodeLayout::fromNodeIds(nodeId));
        int p = 1, log2Core = 0;
        while (2 * p <= nodes) p *= 2, ++log2Core;
        for (Collective c : {Collective::AllReduce, Collective::AllGather, Collective::ReduceScatter}) {
          for (size_t count : {size_t(0), size_t(1), size_t(67), size_t(1000)})
            for (bool inPlace : {false, true}) {
              long wrong = simulateCollective(c, n, count, 0, inPlace, ncclInt32, reference::TestOp::Sum, 24, ++seed,
                                              Algorithm::Hierarchical, layout, true);
              ASSERT_EQ(wrong, 0) << static_cast<int>(c) << " on " << nodes << " nodes x " << perNode
                                  << (interleaved ? " interleaved" : "") << " count=" << count << " inPlace=" << inPlace
                                  << (wrong < 0 ? " deadlocked" : "");
            }
          // The first rank of the last node is in the core whatever the count (only the first 2(N-p) nodes fold).
          const int rank = layout->members.back().front();
          CollectiveShape shape{kindOf(c), rank, n, 0, 1000, {}, {}, {}, {}, Algorithm::Hierarchical, layout, {}, true};
          const CrossNodeSends across = crossNodeSendsOf(shape, nodeId);
          EXPECT_EQ(static_cast<int>(across.partners.size()), log2Core) << static_cast<int>(c) << " on " << nodes;
          if (c == Collective::AllReduce) {
            EXPECT_EQ(across.sends, 2 * log2Core) << nodes << " nodes x " << perNode;
          }
        }
      }
}

TEST(HierarchicalSimulator, AllReduceOverNodesOfUnequalSize) {
  uint32_t seed = 12000;
  const std::vector<std::vector<int>> layouts = {{0, 0, 1},          {0, 1, 1, 1},
                                                 {0, 0, 0, 1, 2, 2}, {0, 1, 2, 0, 1, 0, 3},
                                                 {0, 0, 0, 0, 0, 1}, {0, 1, 1, 2, 2, 2, 3, 3, 3, 3}};
  for (const auto& nodeIds : layouts) {
    auto layout = std::make_shared<const NodeLayout>(NodeLayout::fromNodeIds(nodeIds));
    const int n = static_cast<int>(nodeIds.size());
    for (size_t count : {size_t(0), size_t(1), size_t(5), size_t(67)})
      for (bool inPlace : {false, true}) {
        long wrong = simulateCollective(Collective::AllReduce, n, count, 0, inPlace, ncclInt32, reference::TestOp::Sum,
                                        24, ++seed, Algorithm::Hierarchical, layout);
        ASSERT_EQ(wrong, 0) << n << " ranks, layout #" << (&nodeIds - layouts.data()) << " count=" << count
                            << " inPlace=" << inPlace << (wrong < 0 ? " deadlocked" : "");
      }
  }
}

// Hierarchical AlltoAllv: first the rail counts exchange within each node (8-byte elements), then the data
// schedule built from what it delivered; uneven counts (zeros included), displacements with gaps, nodes
// numbered node by node and interleaved. Every element lands where recvDispls says; the gaps stay untouched.
TEST(HierarchicalSimulator, AlltoAllvAfterTheRailCountsExchange) {
  uint32_t seed = 19000;
  for (int nodes : {1, 2, 3})
    for (int perNode : {1, 2, 3})
      for (bool interleaved : {false, true}) {
        const int n = nodes * perNode;
        const std::vector<int> nodeId = nodeIdsOf(nodes, perNode, interleaved);
        auto layout = std::make_shared<const NodeLayout>(NodeLayout::fromNodeIds(nodeId));
        std::mt19937 random(++seed);
        std::vector<std::vector<size_t>> counts(n, std::vector<size_t>(n));  // [from][to]
        for (auto& row : counts)
          for (size_t& c : row) c = random() % 4 == 0 ? 0 : random() % 7;
        std::vector<std::vector<size_t>> sendCounts(n), sendDispls(n), recvCounts(n), recvDispls(n);
        std::vector<std::vector<int32_t>> send(n), recv(n);
        auto value = [](int from, int to, size_t j) { return static_cast<int32_t>(from * 10000 + to * 100 + j); };
        for (int r = 0; r < n; ++r) {
          size_t sendAt = 1, recvAt = 2;  // gaps before and between blocks
          for (int p = 0; p < n; ++p) {
            sendCounts[r].push_back(counts[r][p]), sendDispls[r].push_back(sendAt), sendAt += counts[r][p] + 1;
            recvCounts[r].push_back(counts[p][r]), recvDispls[r].push_back(recvAt), recvAt += counts[p][r] + 2;
          }
          send[r].assign(sendAt, -7);
          recv[r].assign(recvAt, -9);
          for (int p = 0; p < n; ++p)
            for (size_t j = 0; j < counts[r][p]; ++j) send[r][sendDispls[r][p] + j] = value(r, p, j);
        }
        // The counts each rank's rail needs, exchanged as the launch does.
        std::vector<std::vector<uint64_t>> out(n), in(n);
        std::vector<testing::SimulatedRank> exchange(n);
        for (int r = 0; r < n; ++r) {
          out[r] = railCountsToSend(r, *layout, sendCounts[r]);
          in[r].assign(out[r].size(), ~0ull);
          exchange[r].schedule = railCountsExchange(r, *layout);
          exchange[r].buffers = {reinterpret_cast<char*>(out[r].data()), reinterpret_cast<char*>(in[r].data())};
        }
        ASSERT_TRUE(testing::simulate(exchange, 8, nullptr, 16, ++seed));
        std::vector<testing::SimulatedRank> ranks(n);
        for (int r = 0; r < n; ++r) {
          CollectiveShape shape{CollectiveKind::AlltoAllv,
                                r,
                                n,
                                0,
                                0,
                                sendCounts[r],
                                sendDispls[r],
                                recvCounts[r],
                                recvDispls[r],
                                Algorithm::Hierarchical,
                                layout,
                                std::vector<size_t>(in[r].begin(), in[r].end())};
          ranks[r].schedule = buildSchedule(shape);
          ranks[r].buffers = {reinterpret_cast<char*>(send[r].data()), reinterpret_cast<char*>(recv[r].data())};
        }
        ASSERT_TRUE(testing::simulate(ranks, 4, reduceFunction(ncclInt32, ReduceKind::Sum), 12, ++seed))
            << nodes << " x " << perNode << " deadlocked";
        for (int r = 0; r < n; ++r) {
          std::vector<int32_t> expected(recv[r].size(), -9);
          for (int p = 0; p < n; ++p)
            for (size_t j = 0; j < counts[p][r]; ++j) expected[recvDispls[r][p] + j] = value(p, r, j);
          ASSERT_EQ(recv[r], expected) << nodes << " x " << perNode << (interleaved ? " interleaved" : "") << ", rank "
                                       << r;
        }
      }
}

// buildSchedule marks the receives whose output no step reads back (the executor may stream those past the
// cache): in a ring AllGather every receive but the last is forwarded.
TEST(ScheduleMarks, LastWritesAreTheReceivesNothingReadsBack) {
  for (int n : {2, 3, 5}) {
    CollectiveShape shape{CollectiveKind::AllGather, 0, n, 0, 100, {}, {}, {}, {}, Algorithm::Ring, nullptr, {}};
    const Schedule s = buildSchedule(shape);
    std::vector<bool> marks;
    for (const Step& st : s.steps)
      if (st.kind == StepKind::Recv) marks.push_back(st.lastWrite);
    ASSERT_EQ(marks.size(), static_cast<size_t>(n - 1));
    for (int i = 0; i < n - 1; ++i) EXPECT_EQ(marks[i], i == n - 2) << n << " ranks, receive " << i;
  }
  CollectiveShape allReduce{CollectiveKind::AllReduce, 1, 2, 0, 100, {}, {}, {}, {}, Algorithm::Ring, nullptr, {}};
  for (const Step& st : buildSchedule(allReduce).steps)
    EXPECT_EQ(st.lastWrite, st.kind == StepKind::Recv) << "2 ranks: the allgather half is never read back";
}

TEST(HierarchicalSimulator, AllGatherRefusesNodesOfUnequalSize) {
  CollectiveShape shape{CollectiveKind::AllGather,
                        0,
                        3,
                        0,
                        8,
                        {},
                        {},
                        {},
                        {},
                        Algorithm::Hierarchical,
                        std::make_shared<const NodeLayout>(NodeLayout::fromNodeIds({0, 0, 1})),
                        {}};
  EXPECT_THROW(buildSchedule(shape), std::invalid_argument);
}

INSTANTIATE_TEST_SUITE_P(Algorithms, AlgorithmSimulator, ::testing::ValuesIn(registryCases()),
                         [](const ::testing::TestParamInfo<AlgorithmCase>& info) { return info.param.name; });

TEST(ScheduleSimulatorPointToPoint, AllPairsUnevenSizesNeverDeadlock) {
  for (int n : {2, 3, 7, 12}) {
    std::vector<std::vector<std::vector<char>>> out(n, std::vector<std::vector<char>>(n)), in = out;
    std::vector<testing::SimulatedRank> ranks(n);
    auto bytesBetween = [](int from, int to) {
      return static_cast<size_t>(37 * from + 11 * to + (from == to ? 5 : 0));
    };
    for (int r = 0; r < n; ++r) {
      std::vector<PointToPointCall> calls;
      ranks[r].buffers = {nullptr, nullptr, nullptr};
      // Rank-dependent issue order: sends first on even ranks, receives first on odd ranks.
      for (int k = 0; k < 2 * n; ++k) {
        bool isSend = (k < n) == (r % 2 == 0);
        int peer = (r + k) % n;
        size_t bytes = isSend ? bytesBetween(r, peer) : bytesBetween(peer, r);
        auto& buf = isSend ? out[r][peer] : in[r][peer];
        buf.assign(bytes, 0);
        if (isSend)
          for (size_t b = 0; b < bytes; ++b) buf[b] = static_cast<char>(r * 13 + peer * 7 + b);
        calls.push_back({isSend, peer, bytes});
        ranks[r].buffers.push_back(buf.data());
      }
      ranks[r].schedule = pointToPointGroup(r, calls);
    }
    ASSERT_TRUE(testing::simulate(ranks, 1, nullptr, 16, 7u + n)) << "deadlock with " << n << " ranks";
    for (int r = 0; r < n; ++r)
      for (int p = 0; p < n; ++p) ASSERT_EQ(in[r][p], out[p][r]) << "rank " << r << " from " << p;
  }
}

}  // namespace
}  // namespace braid
