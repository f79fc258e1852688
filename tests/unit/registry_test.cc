// The algorithm registry (algorithms/registry.h): every row complete and consistent, and every row's cost sane
// on fabrics of one host and of many nodes. (The simulator runs every row's schedules: schedule_simulator_test.)
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <string>

#include "algorithms/planner/cost_model.h"
#include "algorithms/registry.h"
#include "runtime/algorithm_selection.h"

namespace braid {
namespace {

constexpr CollectiveKind kKinds[] = {CollectiveKind::AllReduce, CollectiveKind::Broadcast,     CollectiveKind::Reduce,
                                     CollectiveKind::AllGather, CollectiveKind::ReduceScatter, CollectiveKind::AlltoAll,
                                     CollectiveKind::AlltoAllv, CollectiveKind::Gather,        CollectiveKind::Scatter};

TEST(AlgorithmRegistry, EveryIdHasOneCompleteRowAndEveryNameParses) {
  std::set<std::string> names;
  int previous = static_cast<int>(Algorithm::Default);
  for (const AlgorithmInfo& a : algorithmRegistry()) {
    SCOPED_TRACE(a.name);
    EXPECT_GT(static_cast<int>(a.id), previous) << "rows in id order, one each";
    previous = static_cast<int>(a.id);
    EXPECT_EQ(findAlgorithm(static_cast<int>(a.id)), &a);
    EXPECT_FALSE(std::string(a.summary).empty());
    ASSERT_FALSE(a.implementations.empty());
    std::vector<const char*> spellings = a.aliases;
    spellings.push_back(a.name);
    for (const char* name : spellings) {
      EXPECT_TRUE(names.insert(name).second) << name << " names two algorithms";
      Algorithm parsed;
      ASSERT_TRUE(parseAlgorithm(std::string(name), &parsed)) << name;
      EXPECT_EQ(parsed, a.id);
    }
    std::set<int> kinds;
    for (const Implementation& i : a.implementations) {
      EXPECT_TRUE(i.build && i.cost) << collectiveName(i.kind) << ": a schedule and a cost for what it serves";
      EXPECT_TRUE(kinds.insert(static_cast<int>(i.kind)).second) << collectiveName(i.kind) << " twice";
      EXPECT_TRUE(hasAlgorithm(i.kind, a.id));
    }
  }
  // Every id but Default is a row: the rows are in id order without gaps, up to the last id.
  EXPECT_EQ(previous, static_cast<int>(Algorithm::End) - 1);
  EXPECT_EQ(static_cast<int>(algorithmRegistry().size()), previous);
  EXPECT_EQ(findAlgorithm(static_cast<int>(Algorithm::Default)), nullptr);
  EXPECT_EQ(findAlgorithm(200), nullptr);
  EXPECT_STREQ(algorithmName(Algorithm::Default), "default");
}

TEST(AlgorithmRegistry, EveryCollectiveHasItsStandbyAndUnservedPairsAreErrors) {
  for (CollectiveKind kind : kKinds) {
    EXPECT_NE(implementationOf(standbyAlgorithm(kind), kind), nullptr) << collectiveName(kind);
    EXPECT_TRUE(hasAlgorithm(kind, Algorithm::Default));
  }
  EXPECT_FALSE(hasAlgorithm(CollectiveKind::Broadcast, Algorithm::Mesh));
  CollectiveShape shape;
  shape.kind = CollectiveKind::Broadcast;
  shape.nranks = 4;
  shape.count = 8;
  shape.algorithm = Algorithm::Mesh;
  EXPECT_THROW(buildSchedule(shape), std::invalid_argument);
  FabricModel m;
  m.nranks = 4;
  EXPECT_THROW(planner::predict(CollectiveKind::Broadcast, Algorithm::Mesh, 64, m), std::invalid_argument);
}

// The fabrics the costs are checked on: ranks of one host (shared memory, with and without a core each), and
// 4 nodes of 8 accelerators over 400 Gb/s NICs.
std::vector<std::pair<std::string, FabricModel>> fabrics() {
  FabricModel nodes;
  nodes.nranks = 32;
  nodes.ranksPerNode = 8;
  nodes.intra = {1.5, 150};
  nodes.intraEgressGBps = 300;
  nodes.inter = {5, 200};
  nodes.reduceGBps = 1e4;
  return {{"2 ranks on a host", hostFabricModel(2, 2, 2)},
          {"7 ranks on 2 cores", hostFabricModel(7, 7, 2)},
          {"16 ranks on 16 cores", hostFabricModel(16, 16, 16)},
          {"4 nodes x 8", nodes}};
}

TEST(AlgorithmRegistry, EveryCostIsPositiveFiniteAndGrowsWithSize) {
  for (const auto& [fabric, model] : fabrics())
    for (const AlgorithmInfo& a : algorithmRegistry())
      for (const Implementation& i : a.implementations) {
        if (i.fits && !i.fits(model)) continue;
        double previous = 0;
        for (size_t bytes = 8; bytes <= (size_t{1} << 30); bytes *= 4) {
          const planner::Prediction p = planner::predict(i.kind, a.id, bytes, model);
          ASSERT_TRUE(std::isfinite(p.timeUs) && p.timeUs > 0)
              << a.name << " " << collectiveName(i.kind) << " on " << fabric << ", " << bytes << " bytes";
          ASSERT_GE(p.timeUs, previous) << a.name << " " << collectiveName(i.kind) << " on " << fabric << ", " << bytes
                                        << " bytes costs less than the size before";
          previous = p.timeUs;
        }
      }
}

}  // namespace
}  // namespace braid
