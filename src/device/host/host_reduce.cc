#include "device/host/host_reduce.h"

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "device/host/reduce_ops.h"
#include "device/host/simd_reduce.h"
#include "device/host/small_floats.h"

namespace braid {
namespace {

template <class T>
constexpr bool kIsSmallFloat =
    std::is_same_v<T, Half> || std::is_same_v<T, Bfloat16> || std::is_same_v<T, Fp8e4m3> || std::is_same_v<T, Fp8e5m2>;

template <class T, ReduceKind K>
void reduceLoop(void* dst, const void* a, const void* b, size_t count) {
  T* d = static_cast<T*>(dst);
  const T* x = static_cast<const T*>(a);
  const T* y = static_cast<const T*>(b);
  if constexpr (kIsSmallFloat<T>) {
    // One rounding per operation, done through float: exact for these formats (float has > 2p+2 bits).
    for (size_t i = 0; i < count; ++i) d[i] = fromFloat<T>(applyReduce<float, K>(toFloat(x[i]), toFloat(y[i])));
  } else {
    for (size_t i = 0; i < count; ++i) d[i] = applyReduce<T, K>(x[i], y[i]);
  }
}

template <class T>
ReduceFn pick(ReduceKind kind) {
  switch (kind) {
    case ReduceKind::Sum: return reduceLoop<T, ReduceKind::Sum>;
    case ReduceKind::Prod: return reduceLoop<T, ReduceKind::Prod>;
    case ReduceKind::Max: return reduceLoop<T, ReduceKind::Max>;
    case ReduceKind::Min: return reduceLoop<T, ReduceKind::Min>;
  }
  return nullptr;
}

// Calls f(T{}) with the storage type of `type`.
template <class F>
auto withType(ncclDataType_t type, F&& f) {
  switch (type) {
    case ncclInt8: return f(int8_t{});
    case ncclUint8: return f(uint8_t{});
    case ncclInt32: return f(int32_t{});
    case ncclUint32: return f(uint32_t{});
    case ncclInt64: return f(int64_t{});
    case ncclUint64: return f(uint64_t{});
    case ncclFloat16: return f(Half{});
    case ncclFloat32: return f(float{});
    case ncclFloat64: return f(double{});
    case ncclBfloat16: return f(Bfloat16{});
    case ncclFloat8e4m3: return f(Fp8e4m3{});
    case ncclFloat8e5m2: return f(Fp8e5m2{});
    default: return f(uint8_t{});
  }
}

}  // namespace

ReduceFn scalarReduceFunction(ncclDataType_t type, ReduceKind kind) {
  return withType(type, [kind](auto tag) { return pick<decltype(tag)>(kind); });
}

ReduceFn reduceFunction(ncclDataType_t type, ReduceKind kind) {
  if (ReduceFn vector = simdReduceFunction(type, kind, simdLevel())) return vector;
  return scalarReduceFunction(type, kind);
}

void scaleElements(ncclDataType_t type, void* dst, const void* src, size_t count, const void* scalar) {
  withType(type, [&](auto tag) {
    using T = decltype(tag);
    T* d = static_cast<T*>(dst);
    const T* s = static_cast<const T*>(src);
    const T factor = *static_cast<const T*>(scalar);
    if (ReduceFn multiply = simdReduceFunction(type, ReduceKind::Prod, simdLevel())) {
      // The vector product kernel against a block of factors: the same arithmetic, element by element.
      constexpr size_t kBlock = 256;
      T factors[kBlock];
      std::fill(factors, factors + kBlock, factor);
      for (size_t i = 0; i < count; i += kBlock) multiply(d + i, s + i, factors, std::min(kBlock, count - i));
      return;
    }
    if constexpr (kIsSmallFloat<T>) {
      const float f = toFloat(factor);
      for (size_t i = 0; i < count; ++i) d[i] = fromFloat<T>(toFloat(s[i]) * f);
    } else {
      for (size_t i = 0; i < count; ++i) d[i] = applyReduce<T, ReduceKind::Prod>(s[i], factor);
    }
  });
}

void divideElements(ncclDataType_t type, void* buf, size_t count, uint64_t divisor) {
  withType(type, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_integral_v<T>) {
      T* d = static_cast<T*>(buf);
      for (size_t i = 0; i < count; ++i) d[i] = static_cast<T>(d[i] / static_cast<T>(divisor));
    }
  });
}

void reciprocalScalar(ncclDataType_t type, int n, void* out) {
  withType(type, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (kIsSmallFloat<T>) *static_cast<T*>(out) = fromFloat<T>(1.0f / static_cast<float>(n));
    else if constexpr (std::is_floating_point_v<T>) *static_cast<T*>(out) = T(1) / static_cast<T>(n);
  });
}

}  // namespace braid
