// Vector kernels for the host reductions, picked at run time from what the CPU has: AVX-512 or AVX2 for the
// native types, AVX2 + F16C for float16, AVX2 integer shifts for bfloat16. They give the scalar kernels'
// results bit for bit (a NaN may carry another payload). fp8 stays scalar.
#pragma once

#include "device/host/host_reduce.h"

namespace braid {

enum class SimdLevel { None = 0, Avx2 = 1, Avx512 = 2 };

// What this CPU supports, capped by BRAID_SIMD (none, avx2 or avx512; for comparisons and tests).
SimdLevel simdLevel();
const char* simdLevelName(SimdLevel level);

// The vector kernel for `type` and `kind` at `level`, or nullptr where there is none (use the scalar one).
ReduceFn simdReduceFunction(ncclDataType_t type, ReduceKind kind, SimdLevel level);

}  // namespace braid
