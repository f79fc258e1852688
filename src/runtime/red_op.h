// Reduction operators: built-in ops and the PreMulSum handles a communicator creates, resolved into what the
// executor does (a kernel, an optional input scaling, an optional final division).
#pragma once

#include <cstdint>
#include <mutex>
#include <vector>

#include "device/host/host_reduce.h"
#include "nccl.h"

namespace braid {

struct ResolvedOp {
  ncclRedOp_t requested = ncclSum;  // what the caller passed (profiler plugins report it)
  ReduceKind kind = ReduceKind::Sum;
  bool scaleInputs = false;            // PreMulSum, and Avg on floating types (scalar 1/nranks)
  const void* scalarSource = nullptr;  // ncclScalarDevice: read when the collective runs
  alignas(8) unsigned char scalar[8] = {};
  bool divideByRanks = false;  // Avg on integer types: sum, then divide
};

class RedOpTable {
 public:
  ncclRedOp_t createPreMulSum(const void* scalar, ncclDataType_t type, ncclScalarResidence_t residence);
  void destroy(ncclRedOp_t op);  // throws ncclInvalidArgument for unknown handles
  // Throws ncclInvalidArgument for unknown ops or a PreMulSum created for another type.
  ResolvedOp resolve(ncclRedOp_t op, ncclDataType_t type, int nranks) const;

 private:
  struct PreMulSum {
    bool live = false;
    ncclDataType_t type;
    ResolvedOp resolved;
  };
  mutable std::mutex mutex_;
  std::vector<PreMulSum> ops_;
};

const char* redOpName(ncclRedOp_t op);  // nccl-tests' spelling: sum, prod, max, min, avg, mulsum

}  // namespace braid
