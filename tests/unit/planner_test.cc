// The planner's parts: BRAID_ALGO parsing, tuning files (and their errors), the cost model's shape, choices.
#include <gtest/gtest.h>

#include <sstream>

#include "algorithms/planner/planner.h"
#include "runtime/algorithm_selection.h"

namespace braid::planner {
namespace {

TEST(AlgorithmFilter, ReadsNcclSyntax) {
  AlgorithmFilter all;
  EXPECT_TRUE(all.allows(CollectiveKind::AllReduce, Algorithm::Mesh));
  AlgorithmFilter only = AlgorithmFilter::parse("ring,Tree");
  EXPECT_TRUE(only.allows(CollectiveKind::AllReduce, Algorithm::Ring));
  EXPECT_TRUE(only.allows(CollectiveKind::Broadcast, Algorithm::Tree));
  EXPECT_FALSE(only.allows(CollectiveKind::AllReduce, Algorithm::RecursiveDoubling));
  AlgorithmFilter except = AlgorithmFilter::parse("^ring");
  EXPECT_FALSE(except.allows(CollectiveKind::AllGather, Algorithm::Ring));
  EXPECT_TRUE(except.allows(CollectiveKind::AllGather, Algorithm::Bruck));
  AlgorithmFilter perCollective = AlgorithmFilter::parse("allreduce:rd,rhd; broadcast:^tree;alltoall:direct");
  EXPECT_TRUE(perCollective.allows(CollectiveKind::AllReduce, Algorithm::HalvingDoubling));
  EXPECT_FALSE(perCollective.allows(CollectiveKind::AllReduce, Algorithm::Ring));
  EXPECT_FALSE(perCollective.allows(CollectiveKind::Broadcast, Algorithm::Tree));
  EXPECT_TRUE(perCollective.allows(CollectiveKind::Reduce, Algorithm::Tree));
  EXPECT_TRUE(perCollective.restricts(CollectiveKind::AlltoAllv));
  // NCCL-only algorithms are accepted and mean nothing here.
  EXPECT_NO_THROW(AlgorithmFilter::parse("NVLS,CollNetDirect,ring"));
  EXPECT_THROW(AlgorithmFilter::parse("rings"), std::invalid_argument);
  EXPECT_THROW(AlgorithmFilter::parse("allgatherv:ring"), std::invalid_argument);
}

TEST(ProtocolFilter, ReadsNcclSyntax) {
  ProtocolFilter all;
  EXPECT_TRUE(all.lowLatency && all.simple);
  ProtocolFilter ll = ProtocolFilter::parse("LL");
  EXPECT_TRUE(ll.lowLatency && !ll.simple);
  ProtocolFilter notLl = ProtocolFilter::parse(" ^ll ");
  EXPECT_TRUE(!notLl.lowLatency && notLl.simple);
  ProtocolFilter simple = ProtocolFilter::parse("LL128,Simple");  // LL128 is NCCL's; accepted, means nothing here
  EXPECT_TRUE(!simple.lowLatency && simple.simple);
  EXPECT_THROW(ProtocolFilter::parse("LL,fast"), std::invalid_argument);
  // Braid's cross-memory attach: on by default, alone where it applies, or excluded.
  EXPECT_TRUE(all.crossMemory);
  ProtocolFilter cma = ProtocolFilter::parse("cma");
  EXPECT_TRUE(cma.crossMemory && !cma.lowLatency && !cma.simple);
  ProtocolFilter notCma = ProtocolFilter::parse("^CMA");
  EXPECT_TRUE(!notCma.crossMemory && notCma.lowLatency && notCma.simple);
  EXPECT_FALSE(simple.crossMemory);  // NCCL's list of protocols leaves it out
}

TEST(TuningFile, RoundTripsAndMatchesInOrder) {
  std::vector<TuningRule> rules = {
      {CollectiveKind::AllReduce, 2, 0, 256, Algorithm::Mesh, Protocol::LowLatency},
      {CollectiveKind::AllReduce, 16, 0, 65536, Algorithm::RecursiveDoubling},
      {CollectiveKind::AllReduce, 0, 65537, static_cast<size_t>(-1), Algorithm::Ring},
      {CollectiveKind::Broadcast, 0, 0, static_cast<size_t>(-1), Algorithm::Tree},
      {CollectiveKind::AlltoAll, 8, 0, static_cast<size_t>(-1), Algorithm::Mesh, Protocol::CrossMemory}};
  std::stringstream text;
  writeTuningRules(text, rules, "test");
  std::vector<TuningRule> back = parseTuningRules(text, "t");
  ASSERT_EQ(back.size(), 5u);
  auto algorithmOf = [&](CollectiveKind kind, int nranks, size_t bytes) {
    const TuningRule* rule = matchTuningRule(back, kind, nranks, bytes);
    return rule ? std::string(algorithmName(rule->algorithm)) + "/" + protocolName(rule->protocol) : "none";
  };
  EXPECT_EQ(algorithmOf(CollectiveKind::AllReduce, 2, 100), "mesh/LL");
  EXPECT_EQ(algorithmOf(CollectiveKind::AllReduce, 16, 100), "rd/Simple");
  EXPECT_EQ(algorithmOf(CollectiveKind::AllReduce, 8, 100), "none");
  EXPECT_EQ(algorithmOf(CollectiveKind::AllReduce, 8, 1 << 20), "ring/Simple");
  EXPECT_EQ(algorithmOf(CollectiveKind::Broadcast, 3, 1), "tree/Simple");
  EXPECT_EQ(algorithmOf(CollectiveKind::AlltoAll, 8, 1 << 20), "mesh/CMA");
}

std::string errorOf(const std::string& text) {
  std::istringstream in(text);
  try {
    parseTuningRules(in, "tune.txt");
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(TuningFile, NamesFileAndLineOfTheFirstBadLine) {
  EXPECT_EQ(errorOf("# ok\nallreduce * 0 * ring\nallreduce 4 0\n"),
            "tune.txt:3: expected 5 or 6 fields (collective ranks min_bytes max_bytes algorithm [protocol]), found 3");
  EXPECT_EQ(errorOf("allgatherx * 0 * ring\n"), "tune.txt:1: unknown collective \"allgatherx\"");
  EXPECT_EQ(errorOf("allreduce * 10 5 ring\n"), "tune.txt:1: max_bytes is below min_bytes");
  EXPECT_EQ(errorOf("allreduce -1 0 * ring\n"), "tune.txt:1: bad rank count \"-1\"");
  EXPECT_EQ(errorOf("allreduce * 0 99999999999999999999 ring\n"), "tune.txt:1: bad max_bytes \"99999999999999999999\"");
  EXPECT_EQ(errorOf("reducescatter * 0 * mesh\n"), "tune.txt:1: reducescatter has no mesh algorithm");
  EXPECT_EQ(errorOf("reducescatter * 0 * mesh LL\n"), "");  // LL is mesh for every collective it serves
  EXPECT_EQ(errorOf("allreduce * 0 * ring LL\n"),
            "tune.txt:1: LL is a one-shot exchange: it goes with mesh, for allreduce, broadcast, reduce, allgather and "
            "reducescatter");
  EXPECT_EQ(errorOf("allreduce * 0 * mesh LL128\n"), "tune.txt:1: unknown protocol \"LL128\" (LL, CMA or Simple)");
  EXPECT_EQ(errorOf("alltoall * 0 * mesh cma\n"), "");  // CMA too is mesh for every collective it serves
  EXPECT_EQ(errorOf("allreduce * 0 * ring CMA\n"),
            "tune.txt:1: CMA is a one-shot exchange: it goes with mesh, for allreduce, broadcast, reduce, allgather, "
            "reducescatter and alltoall");
  EXPECT_EQ(errorOf("gather * 0 * mesh CMA\n"),
            "tune.txt:1: CMA is a one-shot exchange: it goes with mesh, for allreduce, broadcast, reduce, allgather, "
            "reducescatter and alltoall");
  EXPECT_EQ(errorOf("\n\n  # only comments\n"), "");
}

FabricModel twoNodes(double nicGBps) {
  FabricModel m;
  m.nranks = 4;
  m.ranksPerNode = 2;
  m.intra = {0.3, 12};
  m.intraEgressGBps = 12;
  m.inter = {50, nicGBps};
  m.reduceGBps = 8;
  return m;
}

TEST(CostModel, SmallMessagesFavourFewStepsLargeOnesFavourLittleTraffic) {
  FabricModel m = twoNodes(1.2);
  m.nranks = m.ranksPerNode = 8;  // one node
  const double ringSmall = predict(CollectiveKind::AllReduce, Algorithm::Ring, 8, m).timeUs;
  const double rdSmall = predict(CollectiveKind::AllReduce, Algorithm::RecursiveDoubling, 8, m).timeUs;
  EXPECT_LT(rdSmall, ringSmall);
  const double ringLarge = predict(CollectiveKind::AllReduce, Algorithm::Ring, 64 << 20, m).timeUs;
  const double rdLarge = predict(CollectiveKind::AllReduce, Algorithm::RecursiveDoubling, 64 << 20, m).timeUs;
  EXPECT_LT(ringLarge, rdLarge);
  // busbw approaches the link bandwidth for large rings and never exceeds it.
  Prediction p = predict(CollectiveKind::AllReduce, Algorithm::Ring, size_t(1) << 30, m);
  EXPECT_GT(p.busbwGBps, 0.4 * m.intra.bandwidthGBps);
  EXPECT_LE(p.busbwGBps, m.intra.bandwidthGBps);
}

TEST(CostModel, ChannelsCapWhatEachRankMoves) {
  FabricModel m = twoNodes(100);
  m.intra.bandwidthGBps = m.intraEgressGBps = 100;
  m.reduceGBps = 1e4;  // reductions inside the copies, as on accelerators
  const size_t large = size_t(1) << 30;
  const double unlimited = predict(CollectiveKind::AllReduce, Algorithm::Ring, large, m).busbwGBps;
  const std::vector<Algorithm> algorithms = modelledAlgorithms(CollectiveKind::AllReduce, m);
  std::vector<double> unlimitedUs;
  for (Algorithm a : algorithms) unlimitedUs.push_back(predict(CollectiveKind::AllReduce, a, large, m).timeUs);
  m.channels = 2, m.channelGBps = 10;  // 20 GB/s per rank, well below its links
  for (size_t i = 0; i < algorithms.size(); ++i)
    EXPECT_GT(predict(CollectiveKind::AllReduce, algorithms[i], large, m).timeUs, 1.5 * unlimitedUs[i])
        << algorithmName(algorithms[i]);
  const double ring = predict(CollectiveKind::AllReduce, Algorithm::Ring, large, m).busbwGBps;
  EXPECT_LE(ring, 20.0);
  EXPECT_GT(ring, 0.8 * 20);
  EXPECT_GT(unlimited, 2 * 20);
  m.channels = 20;  // enough channels for the links: the links bound it again
  EXPECT_DOUBLE_EQ(predict(CollectiveKind::AllReduce, Algorithm::Ring, large, m).busbwGBps, unlimited);
}

TEST(CostModel, RailsOfNodeCountsNotAPowerOfTwoFoldForSmallMessagesAndRingForLargeOnes) {
  FabricModel m = twoNodes(12.5);
  m.nranks = 12 * m.ranksPerNode;  // 12 nodes: the logarithmic algorithm over 8 with 4 folded in, or a ring of 12
  for (CollectiveKind kind : {CollectiveKind::AllReduce, CollectiveKind::AllGather, CollectiveKind::ReduceScatter}) {
    EXPECT_TRUE(predict(kind, Algorithm::Hierarchical, 64 << 10, m).foldedRails) << collectiveName(kind);
    EXPECT_FALSE(predict(kind, Algorithm::Hierarchical, size_t(1) << 30, m).foldedRails) << collectiveName(kind);
  }
  const Planner forced(m, AlgorithmFilter::parse("allreduce:hier"), {});
  EXPECT_TRUE(forced.choose(CollectiveKind::AllReduce, 64 << 10).foldedRails);
  m.nranks = 8 * m.ranksPerNode;  // a power of two: the rails are always logarithmic, no choice to pass on
  EXPECT_FALSE(predict(CollectiveKind::AllReduce, Algorithm::Hierarchical, 64 << 10, m).foldedRails);
}

TEST(CostModel, RootedTreesOfRanksSharingCoresCostMoreThanAChain) {
  // Measured on 2 cores (docs/planner.md): with 8 ranks a chain's back-to-back calls overlap, a tree's do not.
  for (CollectiveKind kind : {CollectiveKind::Broadcast, CollectiveKind::Reduce}) {
    const FabricModel shared = hostFabricModel(8, 8, 2), own = hostFabricModel(8, 8, 8);
    EXPECT_GT(predict(kind, Algorithm::Tree, 4096, shared).timeUs, predict(kind, Algorithm::Chain, 4096, shared).timeUs)
        << collectiveName(kind);
    EXPECT_LT(predict(kind, Algorithm::Tree, 4096, own).timeUs, predict(kind, Algorithm::Chain, 4096, own).timeUs)
        << collectiveName(kind);
  }
}

TEST(CostModel, HierarchicalWinsAcrossASlowNetwork) {
  const FabricModel m = twoNodes(0.125);  // 1 Gbit/s between the nodes
  const double ring = predict(CollectiveKind::AllReduce, Algorithm::Ring, 16 << 20, m).timeUs;
  const double hier = predict(CollectiveKind::AllReduce, Algorithm::Hierarchical, 16 << 20, m).timeUs;
  EXPECT_GT(ring / hier, 1.3);
  // AllGather: each node sends its own blocks across once instead of forwarding the others' too.
  const double ringGather = predict(CollectiveKind::AllGather, Algorithm::Ring, 16 << 20, m).timeUs;
  const double hierGather = predict(CollectiveKind::AllGather, Algorithm::Hierarchical, 16 << 20, m).timeUs;
  EXPECT_GT(ringGather / hierGather, 1.3);
  const double ringScatter = predict(CollectiveKind::ReduceScatter, Algorithm::Ring, 16 << 20, m).timeUs;
  const double hierScatter = predict(CollectiveKind::ReduceScatter, Algorithm::Hierarchical, 16 << 20, m).timeUs;
  EXPECT_GT(ringScatter / hierScatter, 1.3);
}

// Nonuniform Bruck (nb) halves log2 n times for any rank count: where halving-doubling first folds the ranks
// beyond a power of two (two more steps and the whole input over once more) and a ring takes n-1 steps, the
// planner takes nb for a ReduceScatter of 12 ranks, one per node (12 nodes of an NCCL-style cluster). Large calls
// go to the ring, which copies nothing into scratch.
TEST(Planner, PicksNonuniformBruckForReduceScatterOnRankCountsThatAreNotPowersOfTwo) {
  FabricModel nodes;
  nodes.nranks = 12;
  nodes.ranksPerNode = 1;
  nodes.intra = nodes.inter = {5, 25};
  nodes.intraEgressGBps = 25;
  nodes.reduceGBps = 1e4;
  for (size_t bytes : {size_t(12) << 10, size_t(192) << 10}) {
    const Choice choice = Planner(nodes, AlgorithmFilter(), {}).choose(CollectiveKind::ReduceScatter, bytes);
    EXPECT_EQ(choice.algorithm, Algorithm::NonuniformBruck) << bytes << " bytes";
    const double nb = predict(CollectiveKind::ReduceScatter, Algorithm::NonuniformBruck, bytes, nodes).timeUs;
    EXPECT_LT(nb, predict(CollectiveKind::ReduceScatter, Algorithm::HalvingDoubling, bytes, nodes).timeUs);
    EXPECT_LT(nb, predict(CollectiveKind::ReduceScatter, Algorithm::Ring, bytes, nodes).timeUs);
  }
  // 12 ranks on 2 cores: every rank waits on the others' turns in every round, where rhd's folded ranks sit
  // out; measured 1.1-1.2x rhd's time there, so the host model keeps rhd, LL or the ring.
  const FabricModel host = hostFabricModel(12, 12, 2);
  for (size_t bytes : {size_t(8) << 10, size_t(16) << 10})
    EXPECT_NE(Planner(host, AlgorithmFilter(), {}).choose(CollectiveKind::ReduceScatter, bytes).algorithm,
              Algorithm::NonuniformBruck)
        << bytes;
  EXPECT_EQ(Planner(nodes, AlgorithmFilter(), {}).choose(CollectiveKind::ReduceScatter, size_t(768) << 20).algorithm,
            Algorithm::Ring);
}

TEST(Planner, ChoosesRunnableAlgorithmsAndHonoursOverridesAndRules) {
  FabricModel m = twoNodes(1.2);
  Planner free(m, AlgorithmFilter(), {});
  Choice small = free.choose(CollectiveKind::AllReduce, 8);
  EXPECT_NE(small.algorithm, Algorithm::Ring);
  EXPECT_EQ(small.source, ChoiceSource::Model);
  EXPECT_TRUE(hasAlgorithm(CollectiveKind::AllReduce, free.choose(CollectiveKind::AllReduce, 1 << 26).algorithm));
  Planner ringOnly(m, AlgorithmFilter::parse("allreduce:ring"), {});
  EXPECT_EQ(ringOnly.choose(CollectiveKind::AllReduce, 8).algorithm, Algorithm::Ring);
  EXPECT_EQ(ringOnly.choose(CollectiveKind::AllReduce, 8).source, ChoiceSource::Override);
  Planner nothing(m, AlgorithmFilter::parse("allgather:^ring,bruck,rd,hier"), {});
  EXPECT_EQ(nothing.choose(CollectiveKind::AllGather, 8).algorithm, Algorithm::Default);
  Planner ruled(m, AlgorithmFilter(), {{CollectiveKind::AllReduce, 0, 0, 100, Algorithm::Tree}});
  EXPECT_EQ(ruled.choose(CollectiveKind::AllReduce, 64).algorithm, Algorithm::Tree);
  EXPECT_EQ(ruled.choose(CollectiveKind::AllReduce, 64).source, ChoiceSource::TuningFile);
  bool fresh = true;
  ruled.choose(CollectiveKind::AllReduce, 64, &fresh);
  EXPECT_FALSE(fresh);  // cached
  // A rule for the hierarchical AllGather means nothing on nodes of unequal size: the model decides instead.
  FabricModel unequal = m;
  unequal.equalNodes = false;
  const TuningRule hierAllGather{CollectiveKind::AllGather, 0, 0, 100, Algorithm::Hierarchical};
  EXPECT_EQ(Planner(m, AlgorithmFilter(), {hierAllGather}).choose(CollectiveKind::AllGather, 64).algorithm,
            Algorithm::Hierarchical);
  const Choice fallback = Planner(unequal, AlgorithmFilter(), {hierAllGather}).choose(CollectiveKind::AllGather, 64);
  EXPECT_NE(fallback.algorithm, Algorithm::Hierarchical);
  EXPECT_EQ(fallback.source, ChoiceSource::Model);
  // AlltoAllv's sizes differ per rank: direct unless BRAID_ALGO rules direct out, whatever the model says.
  FabricModel many = twoNodes(1.2);
  many.nranks = 64, many.ranksPerNode = 8, many.messageOverheadUs = 0.5;  // the hierarchy sends fewer messages
  EXPECT_LT(predict(CollectiveKind::AlltoAllv, Algorithm::Hierarchical, 0, many).timeUs,
            predict(CollectiveKind::AlltoAllv, Algorithm::Direct, 0, many).timeUs);
  EXPECT_EQ(Planner(many, AlgorithmFilter(), {}).choose(CollectiveKind::AlltoAllv, 0).algorithm, Algorithm::Direct);
  EXPECT_EQ(Planner(many, AlgorithmFilter::parse("^mesh"), {}).choose(CollectiveKind::AlltoAllv, 0).algorithm,
            Algorithm::Direct);
  EXPECT_EQ(Planner(many, AlgorithmFilter::parse("alltoallv:hier"), {}).choose(CollectiveKind::AlltoAllv, 0).algorithm,
            Algorithm::Hierarchical);
  // The design view also lists what has no schedule yet.
  auto all = free.candidates(CollectiveKind::AllReduce, 1 << 20);
  EXPECT_TRUE(
      std::any_of(all.begin(), all.end(), [](const Prediction& p) { return p.algorithm == Algorithm::Hierarchical; }));
}

}  // namespace
}  // namespace braid::planner

namespace braid::planner {
namespace {

// Four ranks sharing one host's memory, with LL mailboxes (what hostFabricModel describes for this VM).
FabricModel oneHostWithMailboxes() {
  FabricModel m;
  m.nranks = m.ranksPerNode = 4;
  m.intra = {0.3, 20};
  m.intraEgressGBps = 20;
  m.inter = {20, 1.2};
  m.reduceGBps = 20;
  m.stepOverheadUs = 0.05;
  m.messageOverheadUs = 0.1;
  m.roundsEfficiency = 0.75;
  m.lowLatencyBytes = 64 * 1024;
  m.lowLatency = {0.1, 8};
  return m;
}

TEST(Planner, PicksLowLatencyForSmallCallsWithinOneHost) {
  const FabricModel m = oneHostWithMailboxes();
  Planner free(m, AlgorithmFilter(), {});
  for (CollectiveKind kind : {CollectiveKind::AllReduce, CollectiveKind::Broadcast, CollectiveKind::Reduce,
                              CollectiveKind::AllGather, CollectiveKind::ReduceScatter}) {
    const Choice small = free.choose(kind, 64);
    EXPECT_EQ(small.protocol, Protocol::LowLatency) << collectiveName(kind);
    EXPECT_EQ(small.algorithm, Algorithm::Mesh) << collectiveName(kind);
    EXPECT_EQ(free.choose(kind, 32 << 20).protocol, Protocol::Simple) << collectiveName(kind);  // bandwidth wins
  }
  EXPECT_EQ(free.choose(CollectiveKind::AlltoAll, 64).protocol, Protocol::Simple);  // no LL schedule
  // Forced, LL still stops at the mailbox's capacity (per rank: an AllGather of 4 x 64 KiB fits).
  Planner forced(m, AlgorithmFilter(), {}, ProtocolFilter::parse("LL"));
  EXPECT_EQ(forced.choose(CollectiveKind::AllReduce, 64 * 1024).protocol, Protocol::LowLatency);
  EXPECT_EQ(forced.choose(CollectiveKind::AllReduce, 64 * 1024).source, ChoiceSource::Override);
  EXPECT_EQ(forced.choose(CollectiveKind::AllReduce, 64 * 1024 + 4).protocol, Protocol::Simple);
  EXPECT_EQ(forced.choose(CollectiveKind::AllGather, 4 * 64 * 1024).protocol, Protocol::LowLatency);
  // Excluded by BRAID_PROTO, or by a BRAID_ALGO that does not allow the one-shot mesh.
  Planner noLl(m, AlgorithmFilter(), {}, ProtocolFilter::parse("^LL"));
  EXPECT_EQ(noLl.choose(CollectiveKind::AllReduce, 64).protocol, Protocol::Simple);
  Planner ringOnly(m, AlgorithmFilter::parse("allreduce:ring"), {});
  EXPECT_EQ(ringOnly.choose(CollectiveKind::AllReduce, 64).protocol, Protocol::Simple);
  EXPECT_EQ(ringOnly.choose(CollectiveKind::Broadcast, 64).protocol, Protocol::LowLatency);
  // A tuning file may ask for LL; where LL cannot serve the call its rule means mesh with Simple.
  Planner ruled(m, AlgorithmFilter(),
                {{CollectiveKind::AllReduce, 0, 0, static_cast<size_t>(-1), Algorithm::Mesh, Protocol::LowLatency}});
  EXPECT_EQ(ruled.choose(CollectiveKind::AllReduce, 1024).protocol, Protocol::LowLatency);
  EXPECT_EQ(ruled.choose(CollectiveKind::AllReduce, 1024).source, ChoiceSource::TuningFile);
  EXPECT_EQ(ruled.choose(CollectiveKind::AllReduce, 1 << 20).protocol, Protocol::Simple);
  EXPECT_EQ(ruled.choose(CollectiveKind::AllReduce, 1 << 20).algorithm, Algorithm::Mesh);
  // `braid plan --host-ranks` lists LL among the candidates.
  const auto listed = free.candidates(CollectiveKind::AllReduce, 64);
  EXPECT_TRUE(std::any_of(listed.begin(), listed.end(), [](const Prediction& p) { return planName(p) == "mesh/LL"; }));
  // Without mailboxes (ranks on several hosts) there is no LL.
  FabricModel twoHosts = m;
  twoHosts.ranksPerNode = 2;
  twoHosts.lowLatencyBytes = 0;
  EXPECT_EQ(Planner(twoHosts, AlgorithmFilter(), {}).choose(CollectiveKind::AllReduce, 64).protocol, Protocol::Simple);
}

// Cross-memory attach is priced like any plan: where the kernel copies at half a FIFO's rate (this VM) the FIFOs
// win; where it copies faster, its single copy wins the large exchanges. Forced, it serves every kind it has.
TEST(Planner, PricesCrossMemoryAgainstTheFifos) {
  FabricModel m = oneHostWithMailboxes();
  m.crossMemory = {1.2, 10};
  Planner free(m, AlgorithmFilter(), {});
  for (size_t bytes : {size_t{4096}, size_t{1} << 20, size_t{64} << 20})
    for (CollectiveKind kind : {CollectiveKind::AllReduce, CollectiveKind::AllGather, CollectiveKind::AlltoAll})
      EXPECT_NE(free.choose(kind, bytes).protocol, Protocol::CrossMemory) << collectiveName(kind) << " " << bytes;
  FabricModel fastKernel = m;
  fastKernel.crossMemory = {1.2, 40};
  const Choice large = Planner(fastKernel, AlgorithmFilter(), {}).choose(CollectiveKind::AlltoAll, 64 << 20);
  EXPECT_EQ(planName({large.algorithm, large.predictedUs, 0, 0, large.protocol}), "mesh/CMA");
  EXPECT_LT(predictCrossMemory(CollectiveKind::AlltoAll, 64 << 20, fastKernel).timeUs,
            predict(CollectiveKind::AlltoAll, Algorithm::Direct, 64 << 20, fastKernel).timeUs);

  Planner forced(m, AlgorithmFilter(), {}, ProtocolFilter::parse("CMA"));
  for (CollectiveKind kind : {CollectiveKind::AllReduce, CollectiveKind::Broadcast, CollectiveKind::Reduce,
                              CollectiveKind::AllGather, CollectiveKind::ReduceScatter, CollectiveKind::AlltoAll}) {
    const Choice c = forced.choose(kind, 8);
    EXPECT_EQ(c.protocol, Protocol::CrossMemory) << collectiveName(kind);
    EXPECT_EQ(c.source, ChoiceSource::Override) << collectiveName(kind);
  }
  EXPECT_EQ(forced.choose(CollectiveKind::Gather, 1 << 20).protocol, Protocol::Simple);
  EXPECT_EQ(forced.choose(CollectiveKind::AllReduce, 0).protocol, Protocol::Simple);  // nothing to move
  // A tuning rule asks for it; where the ranks may not attach, the rule means mesh with Simple, or the model's
  // pick for a collective without a mesh schedule.
  const std::vector<TuningRule> rules = {
      {CollectiveKind::AllReduce, 0, 0, static_cast<size_t>(-1), Algorithm::Mesh, Protocol::CrossMemory},
      {CollectiveKind::AlltoAll, 0, 0, static_cast<size_t>(-1), Algorithm::Mesh, Protocol::CrossMemory}};
  const Choice ruled = Planner(m, AlgorithmFilter(), rules).choose(CollectiveKind::AllReduce, 1 << 20);
  EXPECT_EQ(ruled.protocol, Protocol::CrossMemory);
  EXPECT_EQ(ruled.source, ChoiceSource::TuningFile);
  FabricModel cannotAttach = m;
  cannotAttach.crossMemory.bandwidthGBps = 0;
  Planner refused(cannotAttach, AlgorithmFilter(), rules, ProtocolFilter::parse("CMA"));
  EXPECT_EQ(refused.choose(CollectiveKind::AllReduce, 1 << 20).protocol, Protocol::Simple);
  EXPECT_EQ(refused.choose(CollectiveKind::AllReduce, 1 << 20).algorithm, Algorithm::Mesh);
  EXPECT_EQ(refused.choose(CollectiveKind::AlltoAll, 1 << 20).protocol, Protocol::Simple);
  EXPECT_EQ(refused.choose(CollectiveKind::AlltoAll, 1 << 20).algorithm, Algorithm::Direct);
}

}  // namespace
}  // namespace braid::planner
