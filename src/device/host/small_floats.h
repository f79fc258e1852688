// Conversions between float and the 16- and 8-bit floating formats NCCL supports. float16 uses the FP16
// library; bfloat16 and the OCP fp8 formats (e4m3 "FN": no infinities, e5m2: IEEE-like) are defined here.
// Narrowing rounds to nearest even; fp8 saturates to the largest finite value like CUDA's __NV_SATFINITE.
#pragma once

#include <cstdint>

namespace braid {

float halfToFloat(uint16_t bits);
uint16_t floatToHalf(float value);
float bfloat16ToFloat(uint16_t bits);
uint16_t floatToBfloat16(float value);
float fp8e4m3ToFloat(uint8_t bits);
uint8_t floatToFp8e4m3(float value);
float fp8e5m2ToFloat(uint8_t bits);
uint8_t floatToFp8e5m2(float value);
// The tables behind the fp8 conversions, for vector kernels: 256 decoded floats; 65536 codes indexed by a float's
// upper 16 bits with bit 0 or'ed with "any lower bit set", followed by 3 bytes of padding so that a 32-bit
// gather may read at any index.
const float* fp8e4m3DecodeTable();
const uint8_t* fp8e4m3EncodeTable();
const float* fp8e5m2DecodeTable();
const uint8_t* fp8e5m2EncodeTable();
// The arithmetic the fp8 tables are built from (floatToFp8* must agree with them for every float).
uint8_t floatToFp8e4m3Reference(float value);
uint8_t floatToFp8e5m2Reference(float value);

// Storage types, distinct so that templates can tell them apart.
struct Half {
  uint16_t bits;
};
struct Bfloat16 {
  uint16_t bits;
};
struct Fp8e4m3 {
  uint8_t bits;
};
struct Fp8e5m2 {
  uint8_t bits;
};

inline float toFloat(Half v) { return halfToFloat(v.bits); }
inline float toFloat(Bfloat16 v) { return bfloat16ToFloat(v.bits); }
inline float toFloat(Fp8e4m3 v) { return fp8e4m3ToFloat(v.bits); }
inline float toFloat(Fp8e5m2 v) { return fp8e5m2ToFloat(v.bits); }

template <class T>
T fromFloat(float v);
template <>
inline Half fromFloat<Half>(float v) {
  return {floatToHalf(v)};
}
template <>
inline Bfloat16 fromFloat<Bfloat16>(float v) {
  return {floatToBfloat16(v)};
}
template <>
inline Fp8e4m3 fromFloat<Fp8e4m3>(float v) {
  return {floatToFp8e4m3(v)};
}
template <>
inline Fp8e5m2 fromFloat<Fp8e5m2>(float v) {
  return {floatToFp8e5m2(v)};
}

}  // namespace braid
