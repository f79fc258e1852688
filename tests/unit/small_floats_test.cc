#include "device/host/small_floats.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

namespace braid {
namespace {

TEST(SmallFloats, HalfKnownEncodings) {
  EXPECT_EQ(floatToHalf(1.0f), 0x3c00);
  EXPECT_EQ(floatToHalf(65504.0f), 0x7bff);
  EXPECT_EQ(floatToHalf(INFINITY), 0x7c00);
  EXPECT_EQ(floatToHalf(2049.0f), floatToHalf(2048.0f));  // tie rounds to even
  EXPECT_EQ(halfToFloat(0x3555), 0.333251953125f);
}

TEST(SmallFloats, Bfloat16RoundsToNearestEven) {
  EXPECT_EQ(floatToBfloat16(1.0f), 0x3f80);
  EXPECT_EQ(floatToBfloat16(1.00390625f), 0x3f80);  // halfway, even stays
  EXPECT_EQ(floatToBfloat16(1.01171875f), 0x3f82);  // halfway, odd rounds up
  EXPECT_EQ(bfloat16ToFloat(0xc0a0), -5.0f);
  EXPECT_TRUE(std::isnan(bfloat16ToFloat(floatToBfloat16(NAN))));
}

TEST(SmallFloats, Fp8E4M3) {
  EXPECT_EQ(floatToFp8e4m3(1.0f), 0x38);
  EXPECT_EQ(floatToFp8e4m3(448.0f), 0x7e);
  EXPECT_EQ(floatToFp8e4m3(1000.0f), 0x7e);  // saturates: e4m3 has no infinity
  EXPECT_EQ(floatToFp8e4m3(-INFINITY), 0xfe);
  EXPECT_EQ(floatToFp8e4m3(std::ldexp(1.0f, -9)), 0x01);    // smallest subnormal
  EXPECT_EQ(floatToFp8e4m3(17.0f), floatToFp8e4m3(16.0f));  // tie to even
  EXPECT_TRUE(std::isnan(fp8e4m3ToFloat(0x7f)));
}

TEST(SmallFloats, Fp8E5M2) {
  EXPECT_EQ(floatToFp8e5m2(1.0f), 0x3c);
  EXPECT_EQ(floatToFp8e5m2(57344.0f), 0x7b);
  EXPECT_EQ(floatToFp8e5m2(INFINITY), 0x7b);  // satfinite, as CUDA's conversion
  EXPECT_TRUE(std::isinf(fp8e5m2ToFloat(0x7c)));
  EXPECT_TRUE(std::isnan(fp8e5m2ToFloat(0x7e)));
}

// The table encoders against the arithmetic they were built from: every upper half of a float, with lower
// halves that are zero, tiny, just below, at and just above the rounding midpoint, and full.
TEST(SmallFloats, Fp8TablesAgreeWithTheArithmeticForEveryFloatShape) {
  size_t checked = 0;
  for (uint32_t upper = 0; upper < (1u << 16); ++upper)
    for (uint32_t lower : {0x0000u, 0x0001u, 0x7fffu, 0x8000u, 0x8001u, 0xffffu}) {
      const uint32_t bits = upper << 16 | lower;
      float v;
      std::memcpy(&v, &bits, sizeof v);
      ASSERT_EQ(floatToFp8e4m3(v), floatToFp8e4m3Reference(v)) << std::hex << bits;
      ASSERT_EQ(floatToFp8e5m2(v), floatToFp8e5m2Reference(v)) << std::hex << bits;
      ++checked;
    }
  EXPECT_EQ(checked, 6u << 16);
  std::mt19937 random(7);
  for (int i = 0; i < (1 << 20); ++i) {
    const uint32_t bits = random();
    float v;
    std::memcpy(&v, &bits, sizeof v);
    ASSERT_EQ(floatToFp8e4m3(v), floatToFp8e4m3Reference(v)) << std::hex << bits;
    ASSERT_EQ(floatToFp8e5m2(v), floatToFp8e5m2Reference(v)) << std::hex << bits;
  }
}

TEST(SmallFloats, EveryFiniteFp8CodeRoundTrips) {
  for (int code = 0; code < 256; ++code) {
    uint8_t c = static_cast<uint8_t>(code);
    float a = fp8e4m3ToFloat(c), b = fp8e5m2ToFloat(c);
    if (std::isfinite(a) && c != 0x80) {
      EXPECT_EQ(floatToFp8e4m3(a), c) << code;
    }
    if (std::isfinite(b) && c != 0x80) {
      EXPECT_EQ(floatToFp8e5m2(b), c) << code;
    }
  }
}

}  // namespace
}  // namespace braid
