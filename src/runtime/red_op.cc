#include "runtime/red_op.h"

#include <cstring>
#include <string>

#include "base/error.h"
#include "device/datatype.h"

namespace braid {

ncclRedOp_t RedOpTable::createPreMulSum(const void* scalar, ncclDataType_t type, ncclScalarResidence_t residence) {
  PreMulSum entry;
  entry.live = true;
  entry.type = type;
  entry.resolved.scaleInputs = true;
  if (residence == ncclScalarHostImmediate) std::memcpy(entry.resolved.scalar, scalar, dataTypeSize(type));
  else entry.resolved.scalarSource = scalar;
  std::lock_guard<std::mutex> lock(mutex_);
  for (size_t i = 0; i < ops_.size(); ++i) {
    if (!ops_[i].live) {
      ops_[i] = entry;
      return static_cast<ncclRedOp_t>(ncclNumOps + i);
    }
  }
  if (ops_.size() >= static_cast<size_t>(ncclMaxRedOp - ncclNumOps))
    fail(ncclInvalidUsage, "too many PreMulSum operators on this communicator");
  ops_.push_back(entry);
  return static_cast<ncclRedOp_t>(ncclNumOps + ops_.size() - 1);
}

void RedOpTable::destroy(ncclRedOp_t op) {
  std::lock_guard<std::mutex> lock(mutex_);
  size_t index = static_cast<size_t>(op) - ncclNumOps;
  if (op < ncclNumOps || index >= ops_.size() || !ops_[index].live)
    fail(ncclInvalidArgument,
         "ncclRedOpDestroy: op " + std::to_string(op) + " is not a PreMulSum of this communicator");
  ops_[index].live = false;
}

ResolvedOp RedOpTable::resolve(ncclRedOp_t op, ncclDataType_t type, int nranks) const {
  ResolvedOp r;
  r.requested = op;
  switch (op) {
    case ncclSum: return r;
    case ncclProd: r.kind = ReduceKind::Prod; return r;
    case ncclMax: r.kind = ReduceKind::Max; return r;
    case ncclMin: r.kind = ReduceKind::Min; return r;
    case ncclAvg:
      // As NCCL: floating types multiply each input by 1/n before summing, integers divide the sum.
      if (isFloatingType(type)) {
        r.scaleInputs = true;
        reciprocalScalar(type, nranks, r.scalar);
      } else {
        r.divideByRanks = true;
      }
      return r;
    default: break;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  size_t index = static_cast<size_t>(op) - ncclNumOps;
  if (op < ncclNumOps || index >= ops_.size() || !ops_[index].live)
    fail(ncclInvalidArgument, "invalid reduction op " + std::to_string(op));
  if (ops_[index].type != type)
    fail(ncclInvalidArgument, std::string("PreMulSum op was created for ") + dataTypeName(ops_[index].type) +
                                  " but the collective uses " + dataTypeName(type));
  ResolvedOp premulSum = ops_[index].resolved;
  premulSum.requested = op;
  return premulSum;
}

const char* redOpName(ncclRedOp_t op) {
  static const char* names[] = {"sum", "prod", "max", "min", "avg"};
  return op >= 0 && op < ncclNumOps ? names[op] : "mulsum";
}

}  // namespace braid
