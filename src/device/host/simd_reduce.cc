#include "device/host/simd_reduce.h"

#include <cpuid.h>
#include <immintrin.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <type_traits>

#include "base/params.h"
#include "device/host/reduce_ops.h"
#include "device/host/small_floats.h"

namespace braid {
namespace {

// The native types: the same element loop as the scalar kernel, compiled for wider vectors (the compiler
// vectorizes it; every element is computed alone, so the results are the scalar ones).
template <class T, ReduceKind K>
__attribute__((target("avx2"))) void nativeAvx2(void* dst, const void* a, const void* b, size_t count) {
  T* d = static_cast<T*>(dst);
  const T* x = static_cast<const T*>(a);
  const T* y = static_cast<const T*>(b);
  for (size_t i = 0; i < count; ++i) d[i] = applyReduce<T, K>(x[i], y[i]);
}

template <class T, ReduceKind K>
__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq"))) void nativeAvx512(void* dst, const void* a, const void* b,
                                                                                size_t count) {
  T* d = static_cast<T*>(dst);
  const T* x = static_cast<const T*>(a);
  const T* y = static_cast<const T*>(b);
  for (size_t i = 0; i < count; ++i) d[i] = applyReduce<T, K>(x[i], y[i]);
}

// Eight floats at a time, with the scalar kernel's semantics (max/min ignore a NaN operand).
template <ReduceKind K>
__attribute__((target("avx2"))) __m256 apply8(__m256 a, __m256 b) {
  if constexpr (K == ReduceKind::Sum) return _mm256_add_ps(a, b);
  if constexpr (K == ReduceKind::Prod) return _mm256_mul_ps(a, b);
  // (a >= b || isnan(b)) ? a : b, and the mirror for min: exactly applyReduce<float>.
  const __m256 bNan = _mm256_cmp_ps(b, b, _CMP_UNORD_Q);
  const __m256 keepA = _mm256_or_ps(_mm256_cmp_ps(a, b, K == ReduceKind::Max ? _CMP_GE_OQ : _CMP_LE_OQ), bNan);
  return _mm256_blendv_ps(b, a, keepA);
}

// Runs `Body` on 8 16-bit elements at a time; the tail goes through zero-padded copies, so every element is
// computed by the same instructions.
template <class Body>
__attribute__((target("avx2,f16c"))) void eightAtATime(void* dst, const void* a, const void* b, size_t count) {
  uint16_t* d = static_cast<uint16_t*>(dst);
  const uint16_t* x = static_cast<const uint16_t*>(a);
  const uint16_t* y = static_cast<const uint16_t*>(b);
  size_t i = 0;
  for (; i + 8 <= count; i += 8) Body::run(d + i, x + i, y + i);
  if (i == count) return;
  uint16_t xs[8] = {}, ys[8] = {}, ds[8];
  std::memcpy(xs, x + i, (count - i) * 2);
  std::memcpy(ys, y + i, (count - i) * 2);
  Body::run(ds, xs, ys);
  std::memcpy(d + i, ds, (count - i) * 2);
}

// float16 through F16C: widen 8 halves, operate in float, round to nearest even once.
template <ReduceKind K>
struct HalfBody {
  __attribute__((target("avx2,f16c"))) static void run(uint16_t* d, const uint16_t* x, const uint16_t* y) {
    const __m256 r = apply8<K>(_mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x))),
                               _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(y))));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(d), _mm256_cvtps_ph(r, _MM_FROUND_TO_NEAREST_INT));
  }
};

// bfloat16: widening is a shift; narrowing rounds to nearest even by integer arithmetic, as the scalar code.
__attribute__((target("avx2"))) __m256 widenBf16(const uint16_t* p) {
  const __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
}

__attribute__((target("avx2"))) void narrowBf16(uint16_t* p, __m256 v) {
  const __m256i bits = _mm256_castps_si256(v);
  const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(bits, 16), _mm256_set1_epi32(1));
  const __m256i rounded =
      _mm256_srli_epi32(_mm256_add_epi32(_mm256_add_epi32(bits, _mm256_set1_epi32(0x7fff)), lsb), 16);
  const __m256i quietNan = _mm256_or_si256(_mm256_srli_epi32(bits, 16), _mm256_set1_epi32(0x40));
  const __m256i isNan = _mm256_castps_si256(_mm256_cmp_ps(v, v, _CMP_UNORD_Q));
  const __m256i out = _mm256_blendv_epi8(rounded, quietNan, isNan);
  const __m256i packed = _mm256_permute4x64_epi64(_mm256_packus_epi32(out, out), 0x08);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm256_castsi256_si128(packed));
}

template <ReduceKind K>
struct Bf16Body {
  __attribute__((target("avx2"))) static void run(uint16_t* d, const uint16_t* x, const uint16_t* y) {
    narrowBf16(d, apply8<K>(widenBf16(x), widenBf16(y)));
  }
};

// fp8: the scalar conversions' tables (small_floats.h), eight lanes at a time: a gather from the 256 decoded
// floats to widen, a gather from the 64 Ki codes (keyed by each float's folded upper half) to narrow. The tail
// goes through zero-padded copies, so every element is computed by the same instructions.
__attribute__((target("avx2"))) __m256 widenFp8(const uint8_t* p, const float* decode) {
  const __m256i codes = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
  return _mm256_i32gather_ps(decode, codes, 4);
}

template <ReduceKind K>
__attribute__((target("avx2"))) void fp8Eight(uint8_t* d, const uint8_t* x, const uint8_t* y, const float* decode,
                                              const uint8_t* encode) {
  const __m256i bits = _mm256_castps_si256(apply8<K>(widenFp8(x, decode), widenFp8(y, decode)));
  const __m256i low = _mm256_and_si256(bits, _mm256_set1_epi32(0xffff));
  const __m256i lowZero = _mm256_cmpeq_epi32(low, _mm256_setzero_si256());
  const __m256i key = _mm256_or_si256(_mm256_srli_epi32(bits, 16), _mm256_andnot_si256(lowZero, _mm256_set1_epi32(1)));
  const __m256i codes =
      _mm256_and_si256(_mm256_i32gather_epi32(reinterpret_cast<const int*>(encode), key, 1), _mm256_set1_epi32(0xff));
  const __m128i words = _mm_packus_epi32(_mm256_castsi256_si128(codes), _mm256_extracti128_si256(codes, 1));
  _mm_storel_epi64(reinterpret_cast<__m128i*>(d), _mm_packus_epi16(words, words));
}

template <ReduceKind K, const float* (*Decode)(), const uint8_t* (*Encode)()>
__attribute__((target("avx2"))) void fp8Kernel(void* dst, const void* a, const void* b, size_t count) {
  uint8_t* d = static_cast<uint8_t*>(dst);
  const uint8_t* x = static_cast<const uint8_t*>(a);
  const uint8_t* y = static_cast<const uint8_t*>(b);
  const float* decode = Decode();
  const uint8_t* encode = Encode();
  size_t i = 0;
  for (; i + 8 <= count; i += 8) fp8Eight<K>(d + i, x + i, y + i, decode, encode);
  if (i == count) return;
  uint8_t xs[8] = {}, ys[8] = {}, ds[8];
  std::memcpy(xs, x + i, count - i);
  std::memcpy(ys, y + i, count - i);
  fp8Eight<K>(ds, xs, ys, decode, encode);
  std::memcpy(d + i, ds, count - i);
}

template <ReduceKind K>
struct E4m3Kernel {
  static constexpr ReduceFn fn = fp8Kernel<K, fp8e4m3DecodeTable, fp8e4m3EncodeTable>;
};
template <ReduceKind K>
struct E5m2Kernel {
  static constexpr ReduceFn fn = fp8Kernel<K, fp8e5m2DecodeTable, fp8e5m2EncodeTable>;
};

template <template <ReduceKind> class Kernel>
ReduceFn byKind(ReduceKind kind) {
  switch (kind) {
    case ReduceKind::Sum: return Kernel<ReduceKind::Sum>::fn;
    case ReduceKind::Prod: return Kernel<ReduceKind::Prod>::fn;
    case ReduceKind::Max: return Kernel<ReduceKind::Max>::fn;
    case ReduceKind::Min: return Kernel<ReduceKind::Min>::fn;
  }
  return nullptr;
}

template <ReduceKind K>
struct HalfKernel {
  static constexpr ReduceFn fn = eightAtATime<HalfBody<K>>;
};
template <ReduceKind K>
struct Bf16Kernel {
  static constexpr ReduceFn fn = eightAtATime<Bf16Body<K>>;
};

template <class T>
struct NativeKernels {
  template <ReduceKind K>
  struct Avx2 {
    static constexpr ReduceFn fn = nativeAvx2<T, K>;
  };
  template <ReduceKind K>
  struct Avx512 {
    static constexpr ReduceFn fn = nativeAvx512<T, K>;
  };
  static ReduceFn pick(ReduceKind kind, SimdLevel level) {
    return level == SimdLevel::Avx512 ? byKind<Avx512>(kind) : byKind<Avx2>(kind);
  }
};

const param::Choice kSimd{"SIMD",
                          param::kBraidOnly,
                          "avx512",
                          {"none", "avx2", "avx512"},
                          "caps the vector reduction kernels (default: what the CPU has)"};

SimdLevel detect() {
  __builtin_cpu_init();
  SimdLevel level = SimdLevel::None;
  // F16C from CPUID directly: not every compiler's __builtin_cpu_supports knows its name.
  unsigned eax, ebx, ecx, edx;
  const bool f16c = __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & bit_F16C);
  if (__builtin_cpu_supports("avx2") && f16c) level = SimdLevel::Avx2;
  if (level == SimdLevel::Avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
    level = SimdLevel::Avx512;
  // Read once, at the first reduction: a malformed value leaves the CPU's best here (init reports it).
  const std::string cap = kSimd.getOrDefault();
  if (cap == "none") level = SimdLevel::None;
  if (cap == "avx2" && level > SimdLevel::Avx2) level = SimdLevel::Avx2;
  return level;
}

}  // namespace

SimdLevel simdLevel() {
  static const SimdLevel level = detect();
  return level;
}

const char* simdLevelName(SimdLevel level) {
  switch (level) {
    case SimdLevel::None: return "none";
    case SimdLevel::Avx2: return "avx2";
    case SimdLevel::Avx512: return "avx512";
  }
  return "?";
}

ReduceFn simdReduceFunction(ncclDataType_t type, ReduceKind kind, SimdLevel level) {
  if (level == SimdLevel::None) return nullptr;
  switch (type) {
    case ncclInt8: return NativeKernels<int8_t>::pick(kind, level);
    case ncclUint8: return NativeKernels<uint8_t>::pick(kind, level);
    case ncclInt32: return NativeKernels<int32_t>::pick(kind, level);
    case ncclUint32: return NativeKernels<uint32_t>::pick(kind, level);
    case ncclInt64: return NativeKernels<int64_t>::pick(kind, level);
    case ncclUint64: return NativeKernels<uint64_t>::pick(kind, level);
    case ncclFloat32: return NativeKernels<float>::pick(kind, level);
    case ncclFloat64: return NativeKernels<double>::pick(kind, level);
    case ncclFloat16: return byKind<HalfKernel>(kind);
    case ncclBfloat16: return byKind<Bf16Kernel>(kind);
    case ncclFloat8e4m3: return byKind<E4m3Kernel>(kind);
    case ncclFloat8e5m2: return byKind<E5m2Kernel>(kind);
    default: return nullptr;
  }
}

}  // namespace braid
