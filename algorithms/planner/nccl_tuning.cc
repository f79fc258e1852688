#include "algorithms/planner/nccl_tuning.h"

#include <algorithm>
#include <cmath>

#include "algorithms/planner/cost_model.h"

namespace braid::planner {
namespace {

// Every figure below is NCCL 2.30's default (src/graph/tuning.cc, ncclTunerConstantsDefaults and the rules of
// ncclTopoTuneModel / ncclTopoGetAlgoTime); microseconds and GB/s.
constexpr int kLL = 0, kLL128 = 1, kSimple = 2;
int index(NcclProtocol p) { return p == NcclProtocol::LL ? kLL : p == NcclProtocol::LL128 ? kLL128 : kSimple; }

// Launch and set-up cost per algorithm and protocol (baseLatencies; NVLS has none of its own).
constexpr double kRingBaseUs[3] = {6.6, 14.0, 8.4};
constexpr double kTreeBaseUs[3] = {6.8, 14.0, 8.4};
// Cost of one step over NVLink, PCI or the network (hwLatencies).
struct StepLatency {
  double ring[3], tree[3], nvlsSimple;
};
constexpr StepLatency kNvlinkStep = {{0.6, 1.9, 3.4}, {0.6, 1.25, 4.0}, 25.0};
constexpr StepLatency kPciStep = {{1.0, 2.5, 5.7}, {1.0, 1.9, 4.0}, 0.0};
constexpr StepLatency kNetStep = {{2.7, 4.0, 14.0}, {5.0, 8.5, 14.0}, 18.0};

// Rows by GPU generation: Volta, Ampere, Hopper, Blackwell (NCCL's compCapIndex); columns by node count: one,
// two, more (its index2).
int generation(int sm) { return sm >= 100 ? 3 : sm >= 90 ? 2 : sm >= 80 ? 1 : 0; }
// The LL protocol's ceiling (llMaxBws): on one node by GPU generation; across nodes NCCL reads the first two
// rows as Intel and AMD CPUs.
constexpr double kLLMaxGBps[4][3] = {{39.0, 39.0, 20.4}, {87.7, 22.5, 19.0}, {141.0, 45.0, 35.0}, {282.0, 90.0, 70.0}};
// Per-channel ceilings of LL128 rings (perChMaxRingLL128Bws) and trees (perChMaxTreeLL128Bws).
constexpr double kRingLL128PerChannel[4] = {20.0, 20.0, 36.7, 40.0};
constexpr double kTreeLL128PerChannel[4][3] = {
    {20.0, 20.0, 20.0}, {20.0, 20.0, 20.0}, {36.7, 36.7, 29.0}, {55.6, 31.67, 20.0}};
// Trees stray from the model at middle sizes: NCCL scales their bandwidth by size, in powers of two from 64 B
// (treeCorrectionFactor; 512 MiB and above: 1).
constexpr double kTreeCorrection[3][23] = {
    {1.0, 1.0, 1.0, 1.0, .9, .8, .7, .7, .7, .7, .6, .5, .4, .4, .5, .6, .7, .8, .9, 1.0, 1.0, 1.0, 1.0},
    {1.0, 1.0, 1.0, 1.0, 1.0, .9, .8, .8, .8, .7, .6, .6, .6, .6, .6, .6, .8, .9, .9, .9, .9, 1.0, 1.0},
    {.9, .9, .9, .9, .9, .9, .9, .8, .7, .6, .6, .5, .5, .5, .5, .6, .7, .8, .7, .7, .8, .9, .9}};

// Within one node of NVLink GPUs runs fall short of NCCL's price at middle sizes and meet it from about 256 MiB:
// the first 20 MiB of an AllReduce cost 0.85 times their transfer time again, at the algorithm's (Simple)
// bandwidth: about 130 us on 8 A100s, 65 on 8 H200s. Fitted on Azure's ND A100 v4 sweep from 4 MiB to 8 GiB
// (8 A100, NCCL 2.18.5, rings; Azure/AI-benchmarking-guide, Azure_Results/ND_A100_v4_results.md); held out: its
// ND H200 v5 sweep (NCCL 2.20.5, NVLS). What in the kernels costs this is not established. Both sweeps ran 8 GPUs;
// smaller jobs keep NCCL's price (2 H100s in DigitalOcean's bare-metal NCCL guide ran 2-28 us beyond it, where this
// fill adds up to 49). Not across nodes, where NCCL's own corrections (the ring plateau, treeCorrectionFactor)
// price the middle sizes and published sweeps meet them; not over PCIe, where 8 RTX PRO 6000 under PCIe switches
// reach 40.1 GB/s at 32 MiB with NCCL's defaults (voipmonitor/rtx6kpro, hardware/pcie-bandwidth.md; this fill
// would make it about 26).
constexpr double kNvlinkFillShare = 0.85;
constexpr double kNvlinkFillBytes = 20.0 * (1 << 20);
constexpr int kNvlinkFillMinRanks = 8;

int log2Floor(double x) { return x >= 1 ? static_cast<int>(std::floor(std::log2(x))) : -1; }

// NCCL's own bus bandwidth of an algorithm and protocol (before it turns it into algorithm bandwidth), from the
// Simple protocol's; 0 where NCCL does not run that pair here.
double ncclBusGBps(const NcclTuningInput& in, NcclAlgorithm a, NcclProtocol p) {
  const int gen = generation(in.sm), nodesIndex = std::min(in.nodes, 3) - 1;
  const double llMax = kLLMaxGBps[in.nodes == 1 ? gen : (in.amdCpu ? 1 : 0)][nodesIndex];
  // LL128 needs NVLink between the GPUs of a node (NCCL: typeIntra <= PATH_NVB), sm_70 or later, and across
  // nodes a NIC within GPUDirect's reach (typeInter <= PATH_PXN on Hopper, PXB before: not through the CPU).
  if (p == NcclProtocol::LL128 && !(in.nvlinkWithinNode && in.sm >= 70 && (in.nodes == 1 || in.netWithGdr))) return 0;
  switch (a) {
    case NcclAlgorithm::Ring:
      if (p == NcclProtocol::LL) return std::min(llMax, in.ringBusGBps * 0.5);
      if (p == NcclProtocol::LL128)
        return std::min(in.ringBusGBps * 0.92, in.channels * kRingLL128PerChannel[gen]);  // 120 of 128 bytes
      return in.ringBusGBps;
    case NcclAlgorithm::Tree: {
      // nccl-tests counts a tree's bus bandwidth as 2(n-1)/n of its algorithm bandwidth, NCCL as twice it.
      const double simple = in.treeBusGBps * in.nranks / (in.nranks - 1);
      if (p == NcclProtocol::LL) return std::min(simple / 3.8, llMax);
      if (p == NcclProtocol::LL128)
        return std::min(simple * (in.nodes == 1 ? 7.0 / 9.0 : 120.0 / 128.0),
                        in.channels * kTreeLL128PerChannel[gen][nodesIndex]);
      return simple;
    }
    case NcclAlgorithm::Nvls: return p == NcclProtocol::Simple ? in.nvlsBusGBps : 0;
  }
  return 0;
}

double latencyUs(const NcclTuningInput& in, NcclAlgorithm a, NcclProtocol p) {
  const int k = index(p);
  const StepLatency& intra = in.nvlinkWithinNode ? kNvlinkStep : kPciStep;
  const int perNode = in.nranks / in.nodes;
  switch (a) {
    case NcclAlgorithm::Ring: {
      // 2(n-1) steps, of which 2(nodes-1) cross the network; with one rank per node every step does, at the
      // tree's network latency. Across nodes a step also pays the proxy's post (1 us on Intel, 2 on AMD,
      // three times with Simple).
      const int steps = 2 * (in.nranks - 1), netSteps = in.nodes > 1 ? 2 * (in.nodes - 1) : 0;
      double intraUs = intra.ring[k];
      if (in.nodes > 1) intraUs = std::max(intraUs, (in.amdCpu ? 2.0 : 1.0) * (k == kSimple ? 3 : 1));
      const double netUs = perNode == 1 ? kNetStep.tree[k] : kNetStep.ring[k];
      return kRingBaseUs[k] + (steps - netSteps) * intraUs + netSteps * netUs;
    }
    case NcclAlgorithm::Tree:  // up and down: the chain through a node, then log2(nodes) network hops
      return kTreeBaseUs[k] + 2 * ((perNode - 1) * intra.tree[k] + log2Floor(in.nodes) * kNetStep.tree[k]);
    case NcclAlgorithm::Nvls: return kNvlinkStep.nvlsSimple;
  }
  return 0;
}

// NCCL's algorithm bandwidth: n / (2(n-1)) of the bus bandwidth for rings and NVLS, half for trees.
double algorithmGBps(NcclAlgorithm a, double busGBps, int n) {
  return busGBps * (a == NcclAlgorithm::Tree ? 0.5 : n / (2.0 * (n - 1)));
}

// The algorithm bandwidth a run gets where NCCL's figure is more than the links carry. Under NVLS every GPU sends
// its whole buffer into the switch and takes the whole result back, so NVLS's algorithm bandwidth cannot beat the
// ring's over the same links. NCCL gives NVLS one bus bandwidth whatever the GPU count (tuning.cc); with two GPUs
// that is an algorithm bandwidth above the NVLink line rate, with three or more it stays below the ring's.
double runAlgorithmGBps(const NcclTuningInput& in, NcclAlgorithm a, double ncclAlgGBps) {
  return a == NcclAlgorithm::Nvls ? std::min(ncclAlgGBps, in.ringBusGBps) : ncclAlgGBps;
}

// The time one NVLink node's run takes beyond NCCL's price (kNvlinkFillShare); 0 elsewhere.
double nvlinkFillUs(const NcclTuningInput& in, NcclAlgorithm a, double bytes) {
  if (in.nodes != 1 || !in.nvlinkWithinNode || in.nranks < kNvlinkFillMinRanks) return 0;
  const double simpleGBps =
      runAlgorithmGBps(in, a, algorithmGBps(a, ncclBusGBps(in, a, NcclProtocol::Simple), in.nranks));
  return kNvlinkFillShare * std::min(bytes, kNvlinkFillBytes) / (1e3 * simpleGBps);
}

NcclEstimate estimate(const NcclTuningInput& in, NcclAlgorithm a, NcclProtocol p, double bytes, double busGBps) {
  const int n = in.nranks, k = index(p);
  double algGBps = algorithmGBps(a, busGBps, n);
  const int sizeIndex = log2Floor(bytes / 64);
  if (a == NcclAlgorithm::Tree && sizeIndex >= 0 && sizeIndex < 23) algGBps *= kTreeCorrection[k][sizeIndex];
  double lat = latencyUs(in, a, p);
  // Across nodes a Simple ring's steps plateau once each rank's share of a channel is 64 bytes or more.
  if (a == NcclAlgorithm::Ring && p == NcclProtocol::Simple && in.nodes > 1 && bytes / (in.channels * n) >= 64)
    lat *= in.sm >= 80 ? 1.4 : 1.9;
  const double ncclTimeUs = lat + bytes / (1e3 * algGBps);
  const double timeUs = lat + bytes / (1e3 * runAlgorithmGBps(in, a, algGBps)) + nvlinkFillUs(in, a, bytes);
  return {a, p, ncclTimeUs, timeUs, bytes / (1e3 * timeUs) * busBandwidthFactor(CollectiveKind::AllReduce, n)};
}

}  // namespace

const char* ncclAlgorithmName(NcclAlgorithm algorithm) {
  switch (algorithm) {
    case NcclAlgorithm::Ring: return "ring";
    case NcclAlgorithm::Tree: return "tree";
    case NcclAlgorithm::Nvls: return "nvls";
  }
  return "?";
}

const char* ncclProtocolName(NcclProtocol protocol) {
  switch (protocol) {
    case NcclProtocol::LL: return "LL";
    case NcclProtocol::LL128: return "LL128";
    case NcclProtocol::Simple: return "Simple";
  }
  return "?";
}

std::vector<NcclEstimate> ncclAllReduceEstimates(const NcclTuningInput& in, size_t bytes) {
  std::vector<NcclEstimate> out;
  if (in.sm <= 0 || in.nranks < 2 || in.nodes < 1 || in.ringBusGBps <= 0) return out;
  // NVLS across nodes needs CollNet (NVLSTree, not modelled): NCCL offers plain NVLS within one node only.
  const bool tree = in.treeBusGBps > 0, nvls = in.nodes == 1 && in.nvlsBusGBps > 0;
  for (NcclAlgorithm a : {NcclAlgorithm::Ring, NcclAlgorithm::Tree, NcclAlgorithm::Nvls}) {
    if ((a == NcclAlgorithm::Tree && !tree) || (a == NcclAlgorithm::Nvls && !nvls)) continue;
    for (NcclProtocol p : {NcclProtocol::LL, NcclProtocol::LL128, NcclProtocol::Simple})
      if (const double bus = ncclBusGBps(in, a, p); bus > 0)
        out.push_back(estimate(in, a, p, static_cast<double>(std::max<size_t>(bytes, 1)), bus));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const NcclEstimate& x, const NcclEstimate& y) { return x.ncclTimeUs < y.ncclTimeUs; });
  return out;
}

}  // namespace braid::planner
