// NCCL's tuning model (algorithms/planner/nccl_tuning.h): which protocol wins at which size, the rules that bound
// each protocol, and one estimate checked against the figure NCCL itself printed.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

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
  EXPECT_NEAR(pick(in, 1).ncclTimeUs, 6.6 + 14 * 0.6, 0.01);
  const auto all = ncclAllReduceEstimates(in, 1);
  EXPECT_NEAR(find(all, NcclAlgorithm::Ring, NcclProtocol::Simple)->ncclTimeUs, 8.4 + 14 * 3.4, 0.01);
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
  EXPECT_NEAR(find(ncclAllReduceEstimates(in, 1), NcclAlgorithm::Ring, NcclProtocol::Simple)->ncclTimeUs,
              8.4 + 14 * 5.7, 0.01);
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
  for (const auto& [bytes, printedUs] : {std::pair<size_t, double>{4096, 25.874907}, {8192, 26.549810}}) {
    const std::vector<NcclEstimate> all = ncclAllReduceEstimates(in, bytes);
    const NcclEstimate* tree = find(all, NcclAlgorithm::Tree, NcclProtocol::LL);
    EXPECT_NEAR(tree->ncclTimeUs, printedUs, 0.01);
    EXPECT_EQ(tree->timeUs, tree->ncclTimeUs);  // across nodes a run takes what NCCL prices
  }
}

// Within one NVLink node a run takes NCCL's price plus 0.85 times the first 20 MiB's transfer at the algorithm's
// Simple bandwidth (Azure's A100 and H200 sweeps); NCCL still picks by its price.
TEST(NcclTuning, OneNvlinkNodeTakesLongerThanNcclsPriceAtMiddleSizes) {
  NcclTuningInput in = hopperNode();
  const double ringAlgGBps = 370.0 * 8 / 14;
  const NcclEstimate middle = pick(in, 8 << 20);
  EXPECT_EQ(name(middle), "ring/LL128");  // NCCL's pick is unchanged: LL128's price is still the lowest
  EXPECT_NEAR(middle.timeUs - middle.ncclTimeUs, 0.85 * (8 << 20) / (1e3 * ringAlgGBps), 0.01);
  EXPECT_NEAR(middle.busbwGBps, (8 << 20) / (1e3 * middle.timeUs) * 14 / 8, 0.01);
  const NcclEstimate large = pick(in, 1ull << 30);  // from 20 MiB on the fill no longer grows
  EXPECT_NEAR(large.timeUs - large.ncclTimeUs, 0.85 * (20 << 20) / (1e3 * ringAlgGBps), 0.01);
  in.nvlsBusGBps = 480;  // NVLS pays it at its own bandwidth
  const NcclEstimate nvls = pick(in, 1ull << 30);
  EXPECT_NEAR(nvls.timeUs - nvls.ncclTimeUs, 0.85 * (20 << 20) / (1e3 * 480.0 * 8 / 14), 0.01);

  // Not over PCIe, not across nodes, and not for jobs of fewer than 8 GPUs (both sweeps ran 8).
  NcclTuningInput pcie = hopperNode();
  pcie.nvlinkWithinNode = false;
  NcclTuningInput twoNodes = hopperNode();
  twoNodes.nodes = 2, twoNodes.nranks = 16;
  NcclTuningInput fourGpus = hopperNode();
  fourGpus.nranks = 4;
  for (const NcclTuningInput& other : {pcie, twoNodes, fourGpus})
    for (const NcclEstimate& e : ncclAllReduceEstimates(other, 8 << 20)) EXPECT_EQ(e.timeUs, e.ncclTimeUs);
}

// NCCL gives NVLS one bus bandwidth whatever the GPU count; with two GPUs that is an algorithm bandwidth of 480 GB/s
// over links of 450. NCCL still picks NVLS by that price, but the run cannot beat the ring over the same links:
// every GPU sends its whole buffer into the switch and takes the whole result back.
TEST(NcclTuning, NvlsWithTwoGpusStaysWithinTheirLinks) {
  NcclTuningInput in = hopperNode();
  in.nranks = 2, in.nvlsBusGBps = 480;
  const NcclEstimate nvls = pick(in, size_t(64) << 30);
  EXPECT_EQ(name(nvls), "nvls/Simple");
  EXPECT_NEAR((size_t(64) << 30) / (1e3 * (nvls.ncclTimeUs - 25)), 480, 0.1);  // NCCL's price: 480 GB/s
  EXPECT_NEAR(nvls.busbwGBps, 370, 1);                                         // the run: the ring's 370
  in.nranks = 4;  // 480 busbw is 320 GB/s of algorithm bandwidth here, below the links: unchanged
  const NcclEstimate four = pick(in, size_t(64) << 30);
  EXPECT_NEAR(four.busbwGBps, 480, 1);
}

TEST(NcclTuning, NothingForOtherDevicesOrOneRank) {
  NcclTuningInput in = hopperNode();
  in.sm = 0;
  EXPECT_TRUE(ncclAllReduceEstimates(in, 1 << 20).empty());
  in = hopperNode();
  in.nranks = 1;
  EXPECT_TRUE(ncclAllReduceEstimates(in, 1 << 20).empty());
}
