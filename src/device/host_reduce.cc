#include "device/host_reduce.h"

#include <cmath>
#include <type_traits>

#include "device/small_floats.h"

namespace braid {
namespace {

template <class T> constexpr bool kIsSmallFloat =
    std::is_same_v<T, Half> || std::is_same_v<T, Bfloat16> || std::is_same_v<T, Fp8e4m3> || std::is_same_v<T, Fp8e5m2>;

// Integer sum and product wrap modulo 2^bits as on the GPU; unsigned arithmetic keeps that defined in C++.
template <class T> T wrapAdd(T a, T b) {
  using U = std::make_unsigned_t<T>;
  return static_cast<T>(static_cast<U>(a) + static_cast<U>(b));
}
template <class T> T wrapMul(T a, T b) {
  using U = std::make_unsigned_t<T>;
  using Wide = std::conditional_t<(sizeof(U) < sizeof(unsigned)), unsigned, U>;  // avoid int promotion overflow
  return static_cast<T>(static_cast<Wide>(static_cast<U>(a)) * static_cast<Wide>(static_cast<U>(b)));
}

template <class T, ReduceKind K> T apply(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    if constexpr (K == ReduceKind::Sum) return wrapAdd(a, b);
    if constexpr (K == ReduceKind::Prod) return wrapMul(a, b);
    if constexpr (K == ReduceKind::Max) return a > b ? a : b;
    if constexpr (K == ReduceKind::Min) return a < b ? a : b;
  } else {
    if constexpr (K == ReduceKind::Sum) return a + b;
    if constexpr (K == ReduceKind::Prod) return a * b;
    if constexpr (K == ReduceKind::Max) return std::fmax(a, b);
    if constexpr (K == ReduceKind::Min) return std::fmin(a, b);
  }
}

template <class T, ReduceKind K> void reduceLoop(void* dst, const void* a, const void* b, size_t count) {
  T* d = static_cast<T*>(dst);
  const T* x = static_cast<const T*>(a);
  const T* y = static_cast<const T*>(b);
  if constexpr (kIsSmallFloat<T>) {
    // One rounding per operation, done through float: exact for these formats (float has > 2p+2 bits).
    for (size_t i = 0; i < count; ++i) d[i] = fromFloat<T>(apply<float, K>(toFloat(x[i]), toFloat(y[i])));
  } else {
    for (size_t i = 0; i < count; ++i) d[i] = apply<T, K>(x[i], y[i]);
  }
}

template <class T> ReduceFn pick(ReduceKind kind) {
  switch (kind) {
    case ReduceKind::Sum: return reduceLoop<T, ReduceKind::Sum>;
    case ReduceKind::Prod: return reduceLoop<T, ReduceKind::Prod>;
    case ReduceKind::Max: return reduceLoop<T, ReduceKind::Max>;
    case ReduceKind::Min: return reduceLoop<T, ReduceKind::Min>;
  }
  return nullptr;
}

// Calls f(T{}) with the storage type of `type`.
template <class F> auto withType(ncclDataType_t type, F&& f) {
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

ReduceFn reduceFunction(ncclDataType_t type, ReduceKind kind) {
  return withType(type, [kind](auto tag) { return pick<decltype(tag)>(kind); });
}

void scaleElements(ncclDataType_t type, void* dst, const void* src, size_t count, const void* scalar) {
  withType(type, [&](auto tag) {
    using T = decltype(tag);
    T* d = static_cast<T*>(dst);
    const T* s = static_cast<const T*>(src);
    const T factor = *static_cast<const T*>(scalar);
    if constexpr (kIsSmallFloat<T>) {
      const float f = toFloat(factor);
      for (size_t i = 0; i < count; ++i) d[i] = fromFloat<T>(toFloat(s[i]) * f);
    } else {
      for (size_t i = 0; i < count; ++i) d[i] = apply<T, ReduceKind::Prod>(s[i], factor);
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
