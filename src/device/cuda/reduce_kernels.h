// The CUDA device's element-wise reductions: dst[i] = a[i] (op) b[i] for every NCCL type (fp8 and bf16 included)
// and op, launched on a stream, reading and writing 16 bytes per thread where the pointers allow.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>

#include "device/reduction.h"
#include "nccl.h"

namespace braid::cuda {

cudaError_t launchReduce(ncclDataType_t type, ReduceKind kind, void* dst, const void* a, const void* b, size_t count,
                         cudaStream_t stream);

}  // namespace braid::cuda
