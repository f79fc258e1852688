// Ring orders through a host's devices (topology/ring_order.h): hops that share a link in one direction split
// it, so a ring that leaves a PCIe switch once beats one that goes back and forth; vendor links are preferred.
#include "topology/ring_order.h"

#include <gtest/gtest.h>

#include <string>

#include "topology/presets.h"

namespace braid::topo {
namespace {

int nodeNamed(const Graph& g, const std::string& name) {
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (g.nodes[i].name == name) return static_cast<int>(i);
  ADD_FAILURE() << "no node " << name;
  return 0;
}

// `switches` PCIe switches under one CPU, 4 GPUs each (GPU s*4+k under switch s), Gen4 x16 everywhere.
Graph gpusUnderSwitches(int switches) {
  std::string xml = R"(<system version="1"><cpu numaid="0" arch="x86_64" vendor="Intel" model="Xeon">)";
  char bus[16];
  for (int s = 0; s < switches; ++s) {
    std::snprintf(bus, sizeof bus, "%02x", 0x10 + 0x10 * s);
    xml += std::string(R"(<pci busid="0000:)") + bus +
           R"(:00.0" class="0x060400" link_speed="16.0 GT/s PCIe" link_width="16">)";
    for (int k = 0; k < 4; ++k) {
      std::snprintf(bus, sizeof bus, "%02x", 0x11 + 0x10 * s + k);
      xml += std::string(R"(<pci busid="0000:)") + bus +
             R"(:00.0" class="0x030200" link_speed="16.0 GT/s PCIe" link_width="16"><gpu dev=")" +
             std::to_string(s * 4 + k) + R"(" sm="80" rank=")" + std::to_string(s * 4 + k) + R"("/></pci>)";
    }
    xml += "</pci>";
  }
  xml += "</cpu></system>";
  return buildGraph(parseXml(xml, "inline"), "inline");
}

std::vector<int> devicesNamed(const Graph& g, const std::vector<int>& gpus) {
  std::vector<int> devices;
  for (int gpu : gpus) devices.push_back(nodeNamed(g, "GPU" + std::to_string(gpu)));
  return devices;
}

// Which switch each device of a ring sits under, in ring order.
std::vector<int> switchesAlong(const Graph& g, const RingOrder& ring) {
  std::vector<int> out;
  for (int d : ring.devices) out.push_back(std::stoi(g.nodes[d].name.substr(3)) / 4);
  return out;
}

int switchChanges(const std::vector<int>& switches) {
  int changes = 0;
  for (size_t i = 0; i < switches.size(); ++i) changes += switches[i] != switches[(i + 1) % switches.size()];
  return changes;
}

TEST(RingOrder, InterleavedDevicesAreRegroupedBySwitch) {
  const Graph g = gpusUnderSwitches(2);
  const PathTable paths(g);
  // Ranks numbered across the switches: every hop crosses, each uplink carries four hops each way.
  const std::vector<int> interleaved = devicesNamed(g, {0, 4, 1, 5, 2, 6, 3, 7});
  const RingOrder given = evaluateRing(g, paths, interleaved);
  const RingOrder best = bestRing(g, paths, interleaved);
  EXPECT_EQ(switchChanges(switchesAlong(g, best)), 2) << "leaves each switch once";
  EXPECT_DOUBLE_EQ(best.bandwidth, 4 * given.bandwidth);
  EXPECT_EQ(best.devices.front(), interleaved.front());
  EXPECT_EQ(best.devices.size(), interleaved.size());
  EXPECT_DOUBLE_EQ(evaluateRing(g, paths, best.devices).bandwidth, best.bandwidth);
}

TEST(RingOrder, ManyDevicesUseTheHeuristicAndStillGroupThem) {
  const Graph g = gpusUnderSwitches(3);
  const PathTable paths(g);
  const std::vector<int> interleaved = devicesNamed(g, {0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11});
  const RingOrder best = bestRing(g, paths, interleaved);
  EXPECT_EQ(switchChanges(switchesAlong(g, best)), 3);
  EXPECT_GT(best.bandwidth, evaluateRing(g, paths, interleaved).bandwidth);
  EXPECT_DOUBLE_EQ(best.bandwidth,
                   evaluateRing(g, paths, devicesNamed(g, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11})).bandwidth);
}

TEST(RingOrder, MluCardsAreCrossedOverTheirDirectLinks) {
  // Chip k of each card links to chip k of the others; chips 2c and 2c+1 share card c. In number order,
  // the hop from MLU1 to MLU2 (chip 1 to chip 0 of the next card) has no direct link.
  const Graph g = buildGraph(presetTopology("mlu370-x8"), "mlu370-x8");
  const PathTable paths(g);
  std::vector<int> devices;
  for (int i = 0; i < 8; ++i) devices.push_back(nodeNamed(g, "MLU" + std::to_string(i)));
  const RingOrder inOrder = evaluateRing(g, paths, devices);
  const RingOrder best = bestRing(g, paths, devices);
  EXPECT_GE(best.bandwidth, inOrder.bandwidth);
  EXPECT_LT(best.latency, inOrder.latency);
  for (size_t i = 0; i < best.devices.size(); ++i)
    EXPECT_EQ(paths.between(best.devices[i], best.devices[(i + 1) % 8]).hops.size(), 2u) << "one direct link";
}

TEST(RingOrder, SmallRingsAreTakenAsGiven) {
  const Graph g = gpusUnderSwitches(1);
  const PathTable paths(g);
  const std::vector<int> two = devicesNamed(g, {1, 0});
  EXPECT_EQ(bestRing(g, paths, two).devices, two);
  EXPECT_GT(bestRing(g, paths, two).bandwidth, 0);
  EXPECT_EQ(bestRing(g, paths, devicesNamed(g, {2})).bandwidth, 0);
}

TEST(RingOrder, AcceleratorsGetTheirPlaceInTheBestRing) {
  // The ring MLU0 MLU1 MLU3 MLU2 MLU4 MLU5 MLU7 MLU6 (above): each card's two chips swap places every other card.
  const auto positionsIn = [](const char* preset) {
    return acceleratorRingPositions(buildGraph(presetTopology(preset), preset));
  };
  EXPECT_EQ(positionsIn("mlu370-x8"), (std::vector<int>{0, 1, 3, 2, 4, 5, 7, 6}));
  EXPECT_TRUE(positionsIn("cpu-node").empty());
}

}  // namespace
}  // namespace braid::topo
