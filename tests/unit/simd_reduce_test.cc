// The vector kernels against the scalar ones, bit for bit, on every type, op and vector level this CPU has:
// every float16 and bfloat16 value, every fp8 code (random bytes), special values (NaN, infinities, signed
// zeros, subnormals, extremes) and random bits, with counts that exercise the tails.
#include "device/host/simd_reduce.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "device/datatype.h"
#include "device/host/small_floats.h"

namespace braid {
namespace {

bool isNanBits(ncclDataType_t type, const unsigned char* p) {
  switch (type) {
    case ncclFloat16: {
      uint16_t h;
      std::memcpy(&h, p, 2);
      return std::isnan(halfToFloat(h));
    }
    case ncclBfloat16: {
      uint16_t h;
      std::memcpy(&h, p, 2);
      return std::isnan(bfloat16ToFloat(h));
    }
    case ncclFloat32: {
      float f;
      std::memcpy(&f, p, 4);
      return std::isnan(f);
    }
    case ncclFloat64: {
      double f;
      std::memcpy(&f, p, 8);
      return std::isnan(f);
    }
    case ncclFloat8e4m3: return std::isnan(fp8e4m3ToFloat(*p));
    case ncclFloat8e5m2: return std::isnan(fp8e5m2ToFloat(*p));
    default: return false;
  }
}

// Inputs: every 16-bit pattern for the 16-bit types (against shifted partners), random bits otherwise, with
// special values spliced in.
std::vector<unsigned char> inputs(ncclDataType_t type, size_t count, uint32_t seed) {
  const size_t es = dataTypeSize(type);
  std::vector<unsigned char> bytes(count * es);
  std::mt19937 random(seed);
  for (auto& b : bytes) b = static_cast<unsigned char>(random());
  if (es == 2)
    for (size_t i = 0; i < count; ++i) {
      const uint16_t v = static_cast<uint16_t>(i * 7919 + seed);
      std::memcpy(&bytes[i * 2], &v, 2);
    }
  if (type == ncclFloat32 || type == ncclFloat64) {
    const double specials[] = {0.0, -0.0, INFINITY, -INFINITY, NAN, -NAN, 1e-310, -1e-40, 1e38, -3.5, 2.0};
    for (size_t i = 0; i < count; i += 3) {
      const double v = specials[(i / 3 + seed) % 11];
      if (type == ncclFloat32) {
        float f = static_cast<float>(v);
        std::memcpy(&bytes[i * 4], &f, 4);
      } else std::memcpy(&bytes[i * 8], &v, 8);
    }
  }
  return bytes;
}

TEST(SimdReduce, AgreesWithScalarBitForBit) {
  const SimdLevel best = simdLevel();
  if (best == SimdLevel::None) GTEST_SKIP() << "this CPU has neither AVX2+F16C nor AVX-512 (or BRAID_SIMD=none)";
  for (SimdLevel level : {SimdLevel::Avx2, SimdLevel::Avx512}) {
    if (level > best) continue;
    for (int t = 0; t < ncclNumTypes; ++t) {
      const auto type = static_cast<ncclDataType_t>(t);
      for (ReduceKind kind : {ReduceKind::Sum, ReduceKind::Prod, ReduceKind::Max, ReduceKind::Min}) {
        ReduceFn vector = simdReduceFunction(type, kind, level);
        if (!vector) continue;
        ReduceFn scalar = scalarReduceFunction(type, kind);
        const size_t es = dataTypeSize(type);
        for (size_t count : {size_t(1), size_t(7), size_t(8), size_t(9), size_t(17), size_t(65536 + 13)}) {
          const auto a = inputs(type, count, 1), b = inputs(type, count, 977);
          std::vector<unsigned char> expected(count * es), actual(count * es + 1, 0xAB);
          scalar(expected.data(), a.data(), b.data(), count);
          vector(actual.data(), a.data(), b.data(), count);
          ASSERT_EQ(actual[count * es], 0xAB) << "wrote past the end";
          for (size_t i = 0; i < count; ++i) {
            const unsigned char* x = &expected[i * es];
            const unsigned char* y = &actual[i * es];
            if (std::memcmp(x, y, es) == 0 || (isNanBits(type, x) && isNanBits(type, y))) continue;
            FAIL() << simdLevelName(level) << " " << dataTypeName(type) << " op " << static_cast<int>(kind) << " count "
                   << count << ": element " << i << " differs";
          }
        }
      }
    }
  }
}

TEST(SimdReduce, WorksInPlace) {
  ReduceFn f = simdReduceFunction(ncclFloat16, ReduceKind::Sum, simdLevel());
  if (!f) GTEST_SKIP() << "no vector kernel on this CPU";
  std::vector<uint16_t> a(11, floatToHalf(1.5f)), b(11, floatToHalf(2.0f));
  f(a.data(), a.data(), b.data(), a.size());
  for (uint16_t h : a) EXPECT_EQ(halfToFloat(h), 3.5f);
}

}  // namespace
}  // namespace braid
