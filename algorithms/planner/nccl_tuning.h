// NCCL's own choice of algorithm and protocol for an AllReduce, as its tuning model makes it (NCCL 2.30,
// src/graph/tuning.cc: ncclTopoTuneModel and ncclTopoGetAlgoTime). For each algorithm and protocol NCCL keeps
// a latency and a bandwidth, prices a size as latency + size / bandwidth, and runs the cheapest. Braid runs
// none of these kernels; the planner uses this to say what NCCL reaches at each size (`braid plan`), and
// perf/planner_validation.py holds it against published runs at small and middle sizes as well as large.
// Within one NVLink node runs take longer than NCCL's price at middle sizes; the estimate adds that (timeUs),
// while NCCL's pick still follows its own price (ncclTimeUs).
#pragma once

#include <cstddef>
#include <vector>

namespace braid::planner {

enum class NcclAlgorithm { Ring, Tree, Nvls };
// LL: 8-byte stores with a flag in each (half the bandwidth, the lowest latency); LL128: 128-byte lines with
// 8 flag bytes, NVLink only; Simple: bulk copies behind a fence per chunk.
enum class NcclProtocol { LL, LL128, Simple };
const char* ncclAlgorithmName(NcclAlgorithm algorithm);  // "ring", "tree", "nvls"
const char* ncclProtocolName(NcclProtocol protocol);     // "LL", "LL128", "Simple"

// What NCCL's tuning needs to know of a cluster, as the cluster model sees it.
struct NcclTuningInput {
  int nranks = 1;
  int nodes = 1;
  int sm = 0;                     // the GPUs' compute capability (90 for sm_90); 0: not an NVIDIA GPU
  bool nvlinkWithinNode = false;  // the ring's hops inside a node are NVLink (else PCI, and no LL128)
  bool amdCpu = false;            // NCCL's LL ceilings across nodes and its network overhead depend on it
  bool netWithGdr = true;         // across nodes, the GPUs reach a NIC with GPUDirect RDMA (else no LL128)
  int channels = 1;
  // Each algorithm's bus bandwidth (nccl-tests' busbw) with the Simple protocol at large sizes, 0 where NCCL
  // cannot run it here (NVLS without NVSwitch or across nodes).
  double ringBusGBps = 0;
  double treeBusGBps = 0;
  double nvlsBusGBps = 0;
};

struct NcclEstimate {
  NcclAlgorithm algorithm;
  NcclProtocol protocol;
  double ncclTimeUs;  // NCCL's own price for the size asked, which decides its pick
  double timeUs;      // what a run takes: the price plus one NVLink node's fill, NVLS within its links (nccl_tuning.cc)
  double busbwGBps;   // nccl-tests' busbw at timeUs
};

// Every algorithm and protocol NCCL would consider for an AllReduce of `bytes` per rank, cheapest by NCCL's
// price (its pick) first; empty when `in` is not an NVIDIA GPU cluster of several ranks.
std::vector<NcclEstimate> ncclAllReduceEstimates(const NcclTuningInput& in, size_t bytes);

}  // namespace braid::planner
