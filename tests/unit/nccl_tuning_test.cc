// NCCL's tuning model (algorithms/planner/nccl_tuning.h): which protocol wins at which size, the rules that bound
// each protocol, and one estimate checked against the figure NCCL itself printed.
#include <gtest/gtest.h>

#include <string>

#include "algorithms/planner/nccl_tuning.h"

using namespace braid::planner;

namespace {

// One node of 8 H100s over NVSwitch, as the cluster model gives it: 370 GB/s ring (sjeaugey's figure), NVLS off.
NcclTuningInput hopperNode() {
  NcclTuningInput in;
  in.nranks = 8;
  in.sm = 90;
  in.nvlinkWithinNode = true;
  in.channels = 16;
  in.ringBusGBps = 370;
  return in;
}

NcclEstimate pick(const NcclTuningInput& in, size_t bytes) {
  const std::vector<NcclEstimate> all = ncclAllReduceEstimates(in, bytes);
  EXPECT_FALSE(all.empty());
  return all.front();
}

std::string name(const NcclEstimate& e) {
  return std::string(ncclAlgorithmName(e.algorithm)) + "/" + ncclProtocolName(e.protocol);
}

const NcclEstimate* find(const std::vector<NcclEstimate>& all, NcclAlgorithm a, NcclProtocol p) {
  for (const NcclEstimate& e : all)
    if (e.algorithm == a && e.protocol == p) return &e;
  return nullptr;
}

}  // namespace

TEST(NcclTuning, ProtocolFollowsTheSizeOnOneNvlinkNode) {
  const NcclTuningInput in = hopperNode();
  EXPECT_EQ(name(pick(in, 64 << 10)), "ring/LL");        // LL: 15 us of latency, half the bandwidth
  EXPECT_EQ(name(pick(in, 8 << 20)), "ring/LL128");      // LL128: 92% of the bandwidth at 41 us
  EXPECT_EQ(name(pick(in, 1ull << 30)), "ring/Simple");  // Simple: all of it, 56 us
  // The latencies NCCL adds up: 6.6 + 14 steps x 0.6 us for LL, 8.4 + 14 x 3.4 for Simple.
  EXPECT_NEAR(pick(in, 1).timeUs, 6.6 + 14 * 0.6, 0.01);
  const auto all = ncclAllReduceEstimates(in, 1);
  EXPECT_NEAR(find(all, NcclAlgorithm::Ring, NcclProtocol::Simple)->timeUs, 8.4 + 14 * 3.4, 0.01);
}

TEST(NcclTuning, EachProtocolKeepsItsShareOfTheBandwidth) {
  const NcclTuningInput in = hopperNode();
  const auto huge = ncclAllReduceEstimates(in, size_t(64) << 30);
  EXPECT_NEAR(find(huge, NcclAlgorithm::Ring, NcclProtocol::Simple)->busbwGBps, 370, 1);
  EXPECT_NEAR(find(huge, NcclAlgorithm::Ring, NcclProtocol::LL128)->busbwGBps, 0.92 * 370, 1);
  // LL would carry half the ring's 370 but Hopper's LL ceiling on one node is 141 GB/s.
  EXPECT_NEAR(find(huge, NcclAlgorithm::Ring, NcclProtocol::LL)->busbwGBps, 141, 1);
}

TEST(NcclTuning, NoLL128WithoutNvlink) {
  NcclTuningInput in = hopperNode();
  in.nvlinkWithinNode = false;  // PCIe between the GPUs: PCI step latencies, and NCCL leaves LL128 off
  const auto all = ncclAllReduceEstimates(in, 8 << 20);
  EXPECT_EQ(find(all, NcclAlgorithm::Ring, NcclProtocol::LL128), nullptr);
  EXPECT_NEAR(find(ncclAllReduceEstimates(in, 1), NcclAlgorithm::Ring, NcclProtocol::Simple)->timeUs, 8.4 + 14 * 5.7,
              0.01);
}

TEST(NcclTuning, NoLL128AcrossNodesWithoutGpuDirect) {
  NcclTuningInput in = hopperNode();
  in.nodes = 2, in.nranks = 16;
  EXPECT_NE(find(ncclAllReduceEstimates(in, 8 << 20), NcclAlgorithm::Ring, NcclProtocol::LL128), nullptr);
  in.netWithGdr = false;  // the NICs hang off the CPUs: NCCL's typeInter is PHB or SYS
  EXPECT_EQ(find(ncclAllReduceEstimates(in, 8 << 20), NcclAlgorithm::Ring, NcclProtocol::LL128), nullptr);
}

TEST(NcclTuning, NvlsWithinOneNodeOnly) {
  NcclTuningInput in = hopperNode();
  in.nvlsBusGBps = 480;
  EXPECT_EQ(name(pick(in, 1ull << 30)), "nvls/Simple");
  EXPECT_NEAR(pick(in, size_t(64) << 30).busbwGBps, 480, 1);
  in.nodes = 2, in.nranks = 16;
  for (const NcclEstimate& e : ncclAllReduceEstimates(in, 1ull << 30)) EXPECT_NE(e.algorithm, NcclAlgorithm::Nvls);
}

TEST(NcclTuning, TreeAcrossNodesAndItsSizeCorrection) {
  NcclTuningInput in = hopperNode();
  in.nodes = 4, in.nranks = 32, in.treeBusGBps = 180;
  const auto huge = ncclAllReduceEstimates(in, size_t(64) << 30);
  EXPECT_NEAR(find(huge, NcclAlgorithm::Tree, NcclProtocol::Simple)->busbwGBps, 180, 1);
  // Up and down the chain of 8 in each node, then log2(4) = 2 network hops each way: 8.4 + 2 (7 x 4 + 2 x 14).
  const auto tiny = ncclAllReduceEstimates(in, 1);
  EXPECT_NEAR(find(tiny, NcclAlgorithm::Tree, NcclProtocol::Simple)->timeUs, 8.4 + 2 * (7 * 4.0 + 2 * 14.0), 0.05);
  // At 1 MiB NCCL scales the Simple tree's bandwidth by 0.5 (its treeCorrectionFactor for 2^14 x 64 B).
  const double simpleTree =
      find(ncclAllReduceEstimates(in, 1 << 20), NcclAlgorithm::Tree, NcclProtocol::Simple)->timeUs;
  const double latency = find(tiny, NcclAlgorithm::Tree, NcclProtocol::Simple)->timeUs;
  const double algGBps = 180.0 * 32 / 31 * 0.5 * 0.5;
  EXPECT_NEAR(simpleTree, latency + (1 << 20) / (1e3 * algGBps), 0.05);
}

// NCCL's own log (NVIDIA/nccl#1453, an H100 cluster): "4096 Bytes -> Algo 0 proto 0 time 25.874907" and 26.549810
// for 8192 B, its LL tree. Two nodes of 8 NVLink GPUs give its latency, 6.8 + 2 (7 x 0.6 + 1 x 5.0) = 25.2 us,
// from NCCL's constants alone; the tree's Simple bandwidth (66 GB/s in NCCL's terms) is read off the same two lines.
TEST(NcclTuning, ReproducesTheEstimatesNcclPrinted) {
  NcclTuningInput in = hopperNode();
  in.nodes = 2, in.nranks = 16;
  in.treeBusGBps = 66.0 * 15 / 16;
  EXPECT_NEAR(find(ncclAllReduceEstimates(in, 4096), NcclAlgorithm::Tree, NcclProtocol::LL)->timeUs, 25.874907, 0.01);
  EXPECT_NEAR(find(ncclAllReduceEstimates(in, 8192), NcclAlgorithm::Tree, NcclProtocol::LL)->timeUs, 26.549810, 0.01);
}

TEST(NcclTuning, NothingForOtherDevicesOrOneRank) {
  NcclTuningInput in = hopperNode();
  in.sm = 0;
  EXPECT_TRUE(ncclAllReduceEstimates(in, 1 << 20).empty());
  in = hopperNode();
  in.nranks = 1;
  EXPECT_TRUE(ncclAllReduceEstimates(in, 1 << 20).empty());
}
