// The arithmetic of one element, shared by the scalar and the vector kernels so that both give the same bits.
#pragma once

#include <type_traits>

#include "device/host/host_reduce.h"

namespace braid {

// Integer sum and product wrap modulo 2^bits as on the GPU; unsigned arithmetic keeps that defined in C++.
template <class T>
T wrapAdd(T a, T b) {
  using U = std::make_unsigned_t<T>;
  return static_cast<T>(static_cast<U>(a) + static_cast<U>(b));
}
template <class T>
T wrapMul(T a, T b) {
  using U = std::make_unsigned_t<T>;
  using Wide = std::conditional_t<(sizeof(U) < sizeof(unsigned)), unsigned, U>;  // avoid int promotion overflow
  return static_cast<T>(static_cast<Wide>(static_cast<U>(a)) * static_cast<Wide>(static_cast<U>(b)));
}

template <class T, ReduceKind K>
inline T applyReduce(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    if constexpr (K == ReduceKind::Sum) return wrapAdd(a, b);
    if constexpr (K == ReduceKind::Prod) return wrapMul(a, b);
    if constexpr (K == ReduceKind::Max) return a > b ? a : b;
    if constexpr (K == ReduceKind::Min) return a < b ? a : b;
  } else {
    if constexpr (K == ReduceKind::Sum) return a + b;
    if constexpr (K == ReduceKind::Prod) return a * b;
    // Like fmax/fmin, a NaN operand is ignored; spelled out so that it vectorizes and every kernel agrees on
    // equal operands (-0 and +0: the first).
    if constexpr (K == ReduceKind::Max) return (a >= b || b != b) ? a : b;
    if constexpr (K == ReduceKind::Min) return (a <= b || b != b) ? a : b;
  }
}

}  // namespace braid
