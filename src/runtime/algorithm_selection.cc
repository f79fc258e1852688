#include "runtime/algorithm_selection.h"

#include <sched.h>

#include <stdexcept>
#include <string>

#include "base/params.h"
#include "exec/direct_run.h"
#include "transports/shm/ll_mailbox.h"

namespace braid {

namespace {

// What the parser of a setting says is wrong with it ("" when nothing).
template <class Parse>
std::string problemOf(Parse parse) {
  try {
    parse();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

std::string checkAlgorithms(const std::string& spec) {
  return problemOf([&] { planner::AlgorithmFilter::parse(spec); });
}
std::string checkProtocols(const std::string& spec) {
  return problemOf([&] { planner::ProtocolFilter::parse(spec); });
}
std::string checkTuningFile(const std::string& path) {
  return problemOf([&] { planner::loadTuningFile(path); });
}

const param::Text kAlgo{"ALGO",
                        param::kNcclAlias,
                        "list",
                        "NCCL's syntax: ring,tree or ^mesh or allreduce:rd,rhd;...",
                        checkAlgorithms,
                        "allreduce:teleport",
                        "algorithms allowed (docs/planner.md)"};
const param::Text kProto{"PROTO",
                         param::kNcclAlias,
                         "list",
                         "LL, LL128 (ignored), Simple, CMA; ^ excludes",
                         checkProtocols,
                         "LL,Turbo",
                         "protocols allowed: LL serves small collectives of one-host communicators, CMA (cross-memory "
                         "attach) is priced against the FIFOs there; CMA alone forces it"};
const param::Text kTuneFile{"TUNE_FILE",
                            param::kBraidOnly,
                            "path",
                            "a tuning file (braid plan --tune-file writes one)",
                            checkTuningFile,
                            "/nonexistent/tune.txt",
                            "per collective, rank count and size range, the algorithm to use"};

}  // namespace

planner::AlgorithmFilter algorithmFilterFromEnv() {
  const auto spec = kAlgo.get();
  return spec ? planner::AlgorithmFilter::parse(*spec) : planner::AlgorithmFilter{};
}

planner::ProtocolFilter protocolFilterFromEnv() {
  const auto spec = kProto.get();
  return spec ? planner::ProtocolFilter::parse(*spec) : planner::ProtocolFilter{};
}

std::vector<planner::TuningRule> tuningRulesFromEnv() {
  const auto path = kTuneFile.get();
  return path ? planner::loadTuningFile(*path) : std::vector<planner::TuningRule>{};
}

int usableCores() {
  cpu_set_t cpus;
  return sched_getaffinity(0, sizeof cpus, &cpus) == 0 ? CPU_COUNT(&cpus) : 1;
}

planner::FabricModel hostFabricModel(int nranks, int localRanks, int cores) {
  // Fitted to collperf runs on a 2-core VM (perf/calibrate_planner.sh, docs/planner.md): a shared-memory
  // hand-off costs ~0.3 us; with the sender's copy and the receiver's reduction on different cores, a step
  // moves ~20 GB/s and reduces as fast; TCP between hosts ~20 us and ~1.2 GB/s. Ranks beyond the cores share
  // them: each dependent step may wait for a time slice (~1.5 us), and bandwidth divides; extra messages in
  // the same step cost little (~0.1 us). Algorithms that exchange whole halves per round overlap less than a
  // ring's chunk-by-chunk pipeline.
  const double share = localRanks > cores ? static_cast<double>(cores) / localRanks : 1.0;
  planner::FabricModel m;
  m.nranks = nranks;
  m.ranksPerNode = localRanks;
  m.intra = {0.3, 20 * share};
  m.intraEgressGBps = 20 * share;
  m.inter = {20, 1.2};
  m.reduceGBps = 20 * share;
  m.stepOverheadUs = share < 1 ? 1.5 : 0.05;
  m.ranksShareCores = share < 1;
  m.messageOverheadUs = 0.1;
  m.roundsEfficiency = 0.75;  // rd/rhd ran 1.1-1.5x a ring's time at 2-16 MiB here
  // LL mailboxes, where all ranks share the host: one line hand-off; lines move at about a third of a FIFO's
  // rate (polled line by line; perf/compare.sh, docs/planner.md).
  if (nranks > 1 && localRanks == nranks) {
    m.lowLatencyBytes = LlMailbox::kCapacityBytes;
    m.lowLatency = {0.1, 6 * share};
    // Cross-memory attach (if the communicator finds the ranks may attach): a system call that pins the pages
    // costs ~1.2 us, then the kernel copies ~10 GB/s between a peer's buffer and cache-hot scratch (fitted to
    // collperf with BRAID_PROTO=CMA, 2 and 8 ranks; docs/performance.md).
    m.crossMemory = {1.2, 10 * share};
    m.crossMemoryCallBytes = DirectRun::kCrossMemoryStretchBytes;
  }
  return m;
}

}  // namespace braid
