// Reference data for checking collectives: input patterns whose reductions are exact in every NCCL type, and
// the results they must produce. collperf's -c check and the test suite both use it.
#pragma once

#include <cstddef>
#include <string>

#include "nccl.h"

namespace braid::reference {

// The reductions a check can exercise: the built-in ops, plus PreMulSum with scalar kPreMulScalar.
enum class TestOp { Sum, Prod, Max, Min, Avg, PreMulSum };
constexpr int kTestOpCount = 6;
constexpr double kPreMulScalar = 2.0;
const char* testOpName(TestOp op);  // nccl-tests' names: sum prod max min avg mulsum
bool parseTestOp(const std::string& name, TestOp& op);

void storeValue(ncclDataType_t type, void* buffer, size_t index, double value);
double loadValue(ncclDataType_t type, const void* buffer, size_t index);

// Input of `rank` at `index` for a reduction: small integers, chosen so that every partial sum, product,
// maximum and minimum over up to 16 ranks is exactly representable (fp8 included).
double reductionInput(ncclDataType_t type, TestOp op, int rank, size_t index);
// The reduction of reductionInput over `nranks`. `tolerance` is 0 where the result must be bit-exact and the
// allowed error where NCCL's definition rounds (Avg on floating types multiplies by a rounded 1/n).
double reductionResult(ncclDataType_t type, TestOp op, int nranks, size_t index, double& tolerance);

// Data for collectives that move without arithmetic: `source` names the block (rank, or rank and peer).
double movementValue(ncclDataType_t type, int source, size_t index);

// Whether element `index` of `buffer` holds `want` (bit-exact when tolerance is 0).
bool holds(ncclDataType_t type, const void* buffer, size_t index, double want, double tolerance);

}  // namespace braid::reference
