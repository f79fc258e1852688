#include "device/cuda/reduce_kernels.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>

#include <algorithm>
#include <cstdint>

namespace braid::cuda {
namespace {

// Small floats are combined in float and rounded once, as the host kernels do.
template <class T>
struct Wide {
  using type = T;
};
template <>
struct Wide<__half> {
  using type = float;
};
template <>
struct Wide<__nv_bfloat16> {
  using type = float;
};
template <>
struct Wide<__nv_fp8_e4m3> {
  using type = float;
};
template <>
struct Wide<__nv_fp8_e5m2> {
  using type = float;
};

template <class T>
__device__ typename Wide<T>::type widen(T v) {
  return static_cast<typename Wide<T>::type>(v);
}
template <class T>
__device__ T narrow(typename Wide<T>::type v) {
  return T(v);
}

// Max and Min keep a NaN from either side, like the host kernels: (a >= b || b != b) ? a : b.
struct Sum {
  template <class W>
  __device__ W operator()(W a, W b) const {
    return a + b;
  }
};
struct Prod {
  template <class W>
  __device__ W operator()(W a, W b) const {
    return a * b;
  }
};
struct Max {
  template <class W>
  __device__ W operator()(W a, W b) const {
    return (a >= b || b != b) ? a : b;
  }
};
struct Min {
  template <class W>
  __device__ W operator()(W a, W b) const {
    return (a <= b || b != b) ? a : b;
  }
};

template <class T, class Op>
__device__ T apply(T a, T b) {
  return narrow<T>(Op()(widen(a), widen(b)));
}

template <class T, class Op>
__global__ void reduceKernel(T* dst, const T* a, const T* b, size_t count) {
  constexpr size_t kPack = 16 / sizeof(T);
  const size_t first = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x;
  const size_t stride = static_cast<size_t>(gridDim.x) * blockDim.x;
  size_t done = 0;
  if ((reinterpret_cast<uintptr_t>(dst) | reinterpret_cast<uintptr_t>(a) | reinterpret_cast<uintptr_t>(b)) % 16 == 0) {
    const size_t packs = count / kPack;
    for (size_t p = first; p < packs; p += stride) {
      uint4 x = reinterpret_cast<const uint4*>(a)[p], y = reinterpret_cast<const uint4*>(b)[p], out;
      const T* xs = reinterpret_cast<const T*>(&x);
      const T* ys = reinterpret_cast<const T*>(&y);
      T* os = reinterpret_cast<T*>(&out);
#pragma unroll
      for (size_t k = 0; k < kPack; ++k) os[k] = apply<T, Op>(xs[k], ys[k]);
      reinterpret_cast<uint4*>(dst)[p] = out;
    }
    done = packs * kPack;
  }
  for (size_t i = done + first; i < count; i += stride) dst[i] = apply<T, Op>(a[i], b[i]);
}

template <class T, class Op>
cudaError_t launchTyped(void* dst, const void* a, const void* b, size_t count, cudaStream_t stream) {
  constexpr int kThreads = 256;
  const size_t packs = (count + 16 / sizeof(T) - 1) / (16 / sizeof(T));
  const unsigned blocks = static_cast<unsigned>(std::min<size_t>((packs + kThreads - 1) / kThreads, 4096));
  reduceKernel<T, Op><<<blocks, kThreads, 0, stream>>>(static_cast<T*>(dst), static_cast<const T*>(a),
                                                       static_cast<const T*>(b), count);
  return cudaGetLastError();
}

template <class T>
cudaError_t launchForKind(ReduceKind kind, void* dst, const void* a, const void* b, size_t count, cudaStream_t stream) {
  switch (kind) {
    case ReduceKind::Sum: return launchTyped<T, Sum>(dst, a, b, count, stream);
    case ReduceKind::Prod: return launchTyped<T, Prod>(dst, a, b, count, stream);
    case ReduceKind::Max: return launchTyped<T, Max>(dst, a, b, count, stream);
    case ReduceKind::Min: return launchTyped<T, Min>(dst, a, b, count, stream);
  }
  return cudaErrorInvalidValue;
}

}  // namespace

cudaError_t launchReduce(ncclDataType_t type, ReduceKind kind, void* dst, const void* a, const void* b, size_t count,
                         cudaStream_t stream) {
  if (count == 0) return cudaSuccess;
  switch (type) {
    case ncclInt8: return launchForKind<int8_t>(kind, dst, a, b, count, stream);
    case ncclUint8: return launchForKind<uint8_t>(kind, dst, a, b, count, stream);
    case ncclInt32: return launchForKind<int32_t>(kind, dst, a, b, count, stream);
    case ncclUint32: return launchForKind<uint32_t>(kind, dst, a, b, count, stream);
    case ncclInt64: return launchForKind<int64_t>(kind, dst, a, b, count, stream);
    case ncclUint64: return launchForKind<uint64_t>(kind, dst, a, b, count, stream);
    case ncclFloat16: return launchForKind<__half>(kind, dst, a, b, count, stream);
    case ncclFloat32: return launchForKind<float>(kind, dst, a, b, count, stream);
    case ncclFloat64: return launchForKind<double>(kind, dst, a, b, count, stream);
    case ncclBfloat16: return launchForKind<__nv_bfloat16>(kind, dst, a, b, count, stream);
    case ncclFloat8e4m3: return launchForKind<__nv_fp8_e4m3>(kind, dst, a, b, count, stream);
    case ncclFloat8e5m2: return launchForKind<__nv_fp8_e5m2>(kind, dst, a, b, count, stream);
    default: return cudaErrorInvalidValue;
  }
}

}  // namespace braid::cuda
