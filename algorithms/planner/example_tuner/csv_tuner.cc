// An example tuner plugin: rules from a CSV file steer NCCL's (or Braid's) choice of algorithm and protocol.
// It exports ncclTunerPlugin_v2 to _v6 (built with BRAID_EXAMPLE_TUNER_ABI=N: version N alone, for the tests).
//
// The file named by EXAMPLE_TUNER_RULES holds lines of
//   collective,minBytes,maxBytes,algorithm,protocol
// e.g. "allreduce,0,65536,tree,simple" (maxBytes -1: no limit; '#' starts a comment). For a call of that
// collective and size, the first matching rule's cell of the cost table costs nothing, so it wins wherever the
// library offers it (its cost is not NCCL_ALGO_PROTO_IGNORE); v2 names the cell instead. No file, no rule: the
// table is left as it is.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "braid/tuner_plugin.h"

namespace {

struct Rule {
  ncclFunc_t collective;
  size_t minBytes, maxBytes;
  int algorithm, protocol;
};

struct Context {
  std::vector<Rule> rules;
};

ncclDebugLogger_t logger = nullptr;

template <size_t N>
int indexOf(const std::string& word, const char* const (&names)[N]) {
  for (size_t i = 0; i < N; ++i)
    if (word == names[i]) return static_cast<int>(i);
  return -1;
}

// The collectives' names in ncclFunc_t order (Braid's spelling); algorithms and protocols in NCCL's.
const char* const kCollectives[] = {"broadcast", "reduce", "allgather", "reducescatter", "allreduce", "sendrecv",
                                    "send",      "recv",   "alltoall",  "scatter",       "gather"};
const char* const kAlgorithms[] = {"tree", "ring", "collnetdirect", "collnetchain", "nvls", "nvlstree", "pat"};
const char* const kProtocols[] = {"ll", "ll128", "simple"};

// Reads the rules; a malformed line is reported (WARN) and skipped.
std::vector<Rule> readRules() {
  std::vector<Rule> rules;
  const char* path = std::getenv("EXAMPLE_TUNER_RULES");
  if (!path) return rules;
  std::ifstream in(path);
  if (!in && logger) logger(NCCL_LOG_WARN, 0, __FILE__, __LINE__, "example tuner: cannot read %s", path);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    line = line.substr(0, line.find('#'));
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::vector<std::string> fields;
    std::stringstream split(line);
    for (std::string f; std::getline(split, f, ',');) fields.push_back(f.substr(0, f.find_last_not_of(" \t\r") + 1));
    int collective = -1, algorithm = -1, protocol = -1;
    long long minBytes = -1, maxBytes = -2;
    if (fields.size() == 5) {
      collective = indexOf(fields[0], kCollectives);
      algorithm = indexOf(fields[3], kAlgorithms);
      protocol = indexOf(fields[4], kProtocols);
      minBytes = std::atoll(fields[1].c_str());
      maxBytes = std::atoll(fields[2].c_str());
    }
    if (collective < 0 || algorithm < 0 || protocol < 0 || minBytes < 0 || maxBytes < -1) {
      if (logger) logger(NCCL_LOG_WARN, 0, __FILE__, __LINE__, "example tuner: %s:%d: not a rule", path, number);
      continue;
    }
    rules.push_back({static_cast<ncclFunc_t>(collective), static_cast<size_t>(minBytes),
                     maxBytes < 0 ? SIZE_MAX : static_cast<size_t>(maxBytes), algorithm, protocol});
  }
  if (logger) logger(NCCL_LOG_INFO, 0, __FILE__, __LINE__, "example tuner: %zu rules from %s", rules.size(), path);
  return rules;
}

const Rule* match(void* context, ncclFunc_t collective, size_t bytes) {
  for (const Rule& r : static_cast<Context*>(context)->rules)
    if (r.collective == collective && bytes >= r.minBytes && bytes <= r.maxBytes) return &r;
  return nullptr;
}

ncclResult_t init(size_t, size_t, ncclDebugLogger_t logFunction, void** context) {
  logger = logFunction;
  *context = new Context{readRules()};
  return ncclSuccess;
}

[[maybe_unused]] ncclResult_t initContext(void** context, uint64_t, size_t nRanks, size_t nNodes,
                                          ncclDebugLogger_t logFunction, ncclNvlDomainInfo_v5_t*,
                                          ncclTunerConstants_v5_t*) {
  return init(nRanks, nNodes, logFunction, context);
}

ncclResult_t destroy(void* context) {
  delete static_cast<Context*>(context);
  return ncclSuccess;
}

// v3 and later: the matching rule's cell costs nothing, where it is offered.
[[maybe_unused]] ncclResult_t editTable(void* context, ncclFunc_t collective, size_t bytes, int, float** costTable,
                                        int numAlgo, int numProto, int, int*) {
  const Rule* r = match(context, collective, bytes);
  if (!r || r->algorithm >= numAlgo || r->protocol >= numProto) return ncclSuccess;
  auto* table = reinterpret_cast<float*>(costTable);  // float[numAlgo][numProto]
  float& cell = table[r->algorithm * numProto + r->protocol];
  if (cell != NCCL_ALGO_PROTO_IGNORE) cell = 0.0f;
  return ncclSuccess;
}

[[maybe_unused]] ncclResult_t editTableV3(void* context, ncclFunc_t collective, size_t bytes, int pipeOps,
                                          float** costTable, int numAlgo, int numProto, int* channels) {
  return editTable(context, collective, bytes, pipeOps, costTable, numAlgo, numProto, 0, channels);
}

[[maybe_unused]] ncclResult_t nameCell(void* context, ncclFunc_t collective, size_t bytes, int, int, int,
                                       int* algorithm, int* protocol, int*) {
  if (const Rule* r = match(context, collective, bytes)) *algorithm = r->algorithm, *protocol = r->protocol;
  return ncclSuccess;
}

[[maybe_unused]] ncclResult_t chunkSize(void*, ncclFunc_t, size_t, int, int, int, size_t*) {
  return ncclSuccess;  // the library's own
}

}  // namespace

#ifndef BRAID_EXAMPLE_TUNER_ABI
#define BRAID_EXAMPLE_TUNER_ABI 0  // every version
#endif
#define BRAID_EXPORTS(version) (BRAID_EXAMPLE_TUNER_ABI == 0 || BRAID_EXAMPLE_TUNER_ABI == (version))
#define BRAID_TABLE(type, symbol) extern "C" __attribute__((visibility("default"))) const type symbol

#if BRAID_EXPORTS(2)
BRAID_TABLE(ncclTuner_v2_t, ncclTunerPlugin_v2) = {"braid-example-tuner", init, nameCell, destroy};
#endif
#if BRAID_EXPORTS(3)
BRAID_TABLE(ncclTuner_v3_t, ncclTunerPlugin_v3) = {"braid-example-tuner", init, editTableV3, destroy};
#endif
#if BRAID_EXPORTS(4)
BRAID_TABLE(ncclTuner_v4_t, ncclTunerPlugin_v4) = {"braid-example-tuner", init, editTable, destroy};
#endif
#if BRAID_EXPORTS(5)
BRAID_TABLE(ncclTuner_v5_t, ncclTunerPlugin_v5) = {"braid-example-tuner", initContext, editTable, destroy};
#endif
#if BRAID_EXPORTS(6)
BRAID_TABLE(ncclTuner_v6_t, ncclTunerPlugin_v6) = {"braid-example-tuner", initContext, editTable, destroy, chunkSize};
#endif
