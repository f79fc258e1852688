#include "device/host/small_floats.h"

#include <fp16.h>

#include <array>
#include <cmath>
#include <cstring>

namespace braid {
namespace {

uint32_t bitsOf(float v) {
  uint32_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

// An 8-bit float with `kMan` mantissa bits and exponent bias `kBias`; `kMaxCode` is the magnitude code of the
// largest finite value and `kNanCode` the canonical NaN.
template <int kMan, int kBias, uint8_t kMaxCode, uint8_t kNanCode>
struct Fp8Format {
  static float decode(uint8_t bits) {
    const int exponentField = (bits & 0x7f) >> kMan;
    const int mantissa = bits & ((1 << kMan) - 1);
    float magnitude;
    if ((bits & 0x7f) > kMaxCode) {
      magnitude = (kNanCode == 0x7f || mantissa != 0) ? NAN : INFINITY;
    } else if (exponentField == 0) {
      magnitude = std::ldexp(static_cast<float>(mantissa), 1 - kBias - kMan);
    } else {
      magnitude = std::ldexp(static_cast<float>(mantissa + (1 << kMan)), exponentField - kBias - kMan);
    }
    return (bits & 0x80) ? -magnitude : magnitude;
  }

  static uint8_t encode(float value) {
    const uint8_t sign = std::signbit(value) ? 0x80 : 0;
    if (std::isnan(value)) return sign | kNanCode;
    const float a = std::fabs(value);
    const float maxFinite = decode(kMaxCode);
    if (a >= maxFinite) return sign | kMaxCode;
    uint32_t code;
    if (a < std::ldexp(1.0f, 1 - kBias)) {
      // Subnormal range: count units of the smallest subnormal; rounding up to 2^kMan lands on the smallest normal.
      code = static_cast<uint32_t>(std::nearbyint(std::ldexp(a, kBias - 1 + kMan)));
    } else {
      int exponent;
      std::frexp(a, &exponent);
      exponent -= 1;  // a = 1.x * 2^exponent
      uint32_t q = static_cast<uint32_t>(std::nearbyint(std::ldexp(a, kMan - exponent)));
      if (q == (2u << kMan)) q >>= 1, ++exponent;
      code = (static_cast<uint32_t>(exponent + kBias) << kMan) | (q - (1u << kMan));
    }
    return sign | static_cast<uint8_t>(code > kMaxCode ? kMaxCode : code);
  }

  // Decoding is a table lookup: 256 entries computed once.
  static const float* decodeTable() {
    static const std::array<float, 256> table = [] {
      std::array<float, 256> t{};
      for (int i = 0; i < 256; ++i) t[i] = decode(static_cast<uint8_t>(i));
      return t;
    }();
    return table.data();
  }

  // So is encoding, keyed by a float's upper 16 bits with the lower 16 folded into the lowest key bit: rounding
  // to 2 or 3 mantissa bits only looks at the guard bit (bit 19 or 20, or higher for subnormals) and whether
  // any bit below it is set, which the fold keeps. 64 KiB per format (and gather padding), built once.
  static const uint8_t* encodeTable() {
    static const std::array<uint8_t, (1 << 16) + 3> table = [] {
      std::array<uint8_t, (1 << 16) + 3> t{};
      for (uint32_t key = 0; key < (1u << 16); ++key) {
        const uint32_t b = key << 16;
        float v;
        std::memcpy(&v, &b, sizeof v);
        t[key] = encode(v);
      }
      return t;
    }();
    return table.data();
  }

  static uint8_t encodeFast(float value) {
    const uint32_t b = bitsOf(value);
    return encodeTable()[(b >> 16) | ((b & 0xffff) != 0)];
  }
};

using E4M3 = Fp8Format<3, 7, 0x7e, 0x7f>;   // max 448, no infinities
using E5M2 = Fp8Format<2, 15, 0x7b, 0x7e>;  // max 57344, 0x7c = inf

}  // namespace

float halfToFloat(uint16_t bits) { return fp16_ieee_to_fp32_value(bits); }
uint16_t floatToHalf(float value) { return fp16_ieee_from_fp32_value(value); }

float bfloat16ToFloat(uint16_t bits) {
  uint32_t b = static_cast<uint32_t>(bits) << 16;
  float v;
  std::memcpy(&v, &b, sizeof v);
  return v;
}

uint16_t floatToBfloat16(float value) {
  uint32_t b = bitsOf(value);
  if (std::isnan(value)) return static_cast<uint16_t>((b >> 16) | 0x40);  // keep it a (quiet) NaN
  b += 0x7fff + ((b >> 16) & 1);                                          // round to nearest even
  return static_cast<uint16_t>(b >> 16);
}

float fp8e4m3ToFloat(uint8_t bits) { return E4M3::decodeTable()[bits]; }
uint8_t floatToFp8e4m3(float value) { return E4M3::encodeFast(value); }
float fp8e5m2ToFloat(uint8_t bits) { return E5M2::decodeTable()[bits]; }
uint8_t floatToFp8e5m2(float value) { return E5M2::encodeFast(value); }
const float* fp8e4m3DecodeTable() { return E4M3::decodeTable(); }
const uint8_t* fp8e4m3EncodeTable() { return E4M3::encodeTable(); }
const float* fp8e5m2DecodeTable() { return E5M2::decodeTable(); }
const uint8_t* fp8e5m2EncodeTable() { return E5M2::encodeTable(); }
uint8_t floatToFp8e4m3Reference(float value) { return E4M3::encode(value); }
uint8_t floatToFp8e5m2Reference(float value) { return E5M2::encode(value); }

}  // namespace braid
