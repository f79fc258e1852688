// collperf's command line: nccl-tests' flags plus Braid's launch options.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "nccl.h"
#include "reference_data.h"

namespace braid::collperf {

struct Options {
  std::string collective;  // allreduce, allgather, ...
  size_t minBytes = 32 << 20, maxBytes = 32 << 20;
  size_t stepBytes = 1 << 20;  // -i, used when the factor is 1
  double stepFactor = 1;       // -f
  int iters = 20, warmupIters = 5, aggIters = 1;
  int check = 1;
  std::vector<reference::TestOp> ops = {reference::TestOp::Sum};
  std::vector<ncclDataType_t> types = {ncclFloat32};
  int root = 0;
  int blocking = 0;        // -z: with --host-stream, synchronize after every call
  int average = 1;         // -a: 0 rank 0, 1 mean, 2 min, 3 max over ranks
  int timeoutSeconds = 0;  // -T
  int localRanks = 1;      // -np
  bool hostStream = false;
  bool host = false;      // --host: host memory even where a GPU is visible
  int localRegister = 0;  // -R 1: host buffers from ncclMemAlloc, registered (peers on the host use them in place)
  std::string jsonFile;
  bool probe = false;  // --probe: gather each rank's facts and run the probes for `braid doctor` (into --json)
};

// Parses argv; prints help or the error and exits on bad input (exit code 1 for errors, 0 for --help).
Options parseOptions(int argc, char** argv);

}  // namespace braid::collperf
