// Element-wise arithmetic of the host device: the reduction kernels every schedule step uses.
#pragma once

#include <cstddef>
#include <cstdint>

#include "device/reduction.h"
#include "nccl.h"

namespace braid {

// dst[i] = a[i] (op) b[i]; dst may alias a or b.
using ReduceFn = void (*)(void* dst, const void* a, const void* b, size_t count);
ReduceFn reduceFunction(ncclDataType_t type, ReduceKind kind);        // vector kernels where the CPU has them
ReduceFn scalarReduceFunction(ncclDataType_t type, ReduceKind kind);  // the reference they must agree with

// dst[i] = src[i] * scalar, computed in the element type (PreMulSum and floating-point Avg); may alias.
void scaleElements(ncclDataType_t type, void* dst, const void* src, size_t count, const void* scalar);

// buf[i] /= divisor with C integer division (integer Avg: sum, then divide).
void divideElements(ncclDataType_t type, void* buf, size_t count, uint64_t divisor);

// Writes 1/n in the element type (the PreMulSum scalar of a floating-point Avg).
void reciprocalScalar(ncclDataType_t type, int n, void* out);

}  // namespace braid
