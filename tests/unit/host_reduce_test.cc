#include "device/host/host_reduce.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "device/host/small_floats.h"

namespace braid {
namespace {

template <class T>
std::vector<T> reduce(ncclDataType_t type, ReduceKind kind, std::vector<T> a, const std::vector<T>& b) {
  reduceFunction(type, kind)(a.data(), a.data(), b.data(), a.size());  // in place, as schedules use it
  return a;
}

TEST(HostReduce, IntegersWrapLikeTheGpu) {
  EXPECT_EQ(reduce<int8_t>(ncclInt8, ReduceKind::Sum, {100}, {100})[0], -56);
  EXPECT_EQ(reduce<uint8_t>(ncclUint8, ReduceKind::Sum, {200}, {100})[0], 44);
  EXPECT_EQ(reduce<int32_t>(ncclInt32, ReduceKind::Prod, {65536}, {65536})[0], 0);
  EXPECT_EQ(reduce<uint64_t>(ncclUint64, ReduceKind::Max, {1, 9}, {5, 2}), (std::vector<uint64_t>{5, 9}));
  EXPECT_EQ(reduce<int64_t>(ncclInt64, ReduceKind::Min, {-1, 9}, {5, -20}), (std::vector<int64_t>{-1, -20}));
}

TEST(HostReduce, FloatingTypes) {
  EXPECT_EQ(reduce<float>(ncclFloat32, ReduceKind::Sum, {1.5f}, {2.25f})[0], 3.75f);
  EXPECT_EQ(reduce<double>(ncclFloat64, ReduceKind::Prod, {-3}, {0.5})[0], -1.5);
  // One rounding per operation in the element type.
  uint16_t h = reduce<uint16_t>(ncclFloat16, ReduceKind::Sum, {floatToHalf(2048)}, {floatToHalf(1)})[0];
  EXPECT_EQ(halfToFloat(h), 2048.0f);
  uint16_t b = reduce<uint16_t>(ncclBfloat16, ReduceKind::Max, {floatToBfloat16(-2)}, {floatToBfloat16(3)})[0];
  EXPECT_EQ(bfloat16ToFloat(b), 3.0f);
  uint8_t e4 = reduce<uint8_t>(ncclFloat8e4m3, ReduceKind::Sum, {floatToFp8e4m3(448)}, {floatToFp8e4m3(448)})[0];
  EXPECT_EQ(fp8e4m3ToFloat(e4), 448.0f);  // saturates
  uint8_t e5 = reduce<uint8_t>(ncclFloat8e5m2, ReduceKind::Min, {floatToFp8e5m2(-4)}, {floatToFp8e5m2(1)})[0];
  EXPECT_EQ(fp8e5m2ToFloat(e5), -4.0f);
}

TEST(HostReduce, ScaleDivideReciprocal) {
  std::vector<float> v = {1, 2, 3};
  float two = 2;
  scaleElements(ncclFloat32, v.data(), v.data(), v.size(), &two);
  EXPECT_EQ(v, (std::vector<float>{2, 4, 6}));
  std::vector<int32_t> s = {7, -7, 9};
  divideElements(ncclInt32, s.data(), s.size(), 2);
  EXPECT_EQ(s, (std::vector<int32_t>{3, -3, 4}));  // C division truncates
  uint16_t third;
  reciprocalScalar(ncclFloat16, 3, &third);
  EXPECT_EQ(third, floatToHalf(1.0f / 3));
}

TEST(HostReduce, ScalingRoundsOnceInTheElementType) {
  // Every float16 and bfloat16 value times a factor, whichever kernels this CPU uses, against the definition.
  std::vector<uint16_t> h(65536), b(65536), hs(65536), bs(65536);
  for (size_t i = 0; i < h.size(); ++i) h[i] = b[i] = static_cast<uint16_t>(i);
  const uint16_t hf = floatToHalf(0.3f), bf = floatToBfloat16(-1.7f);
  scaleElements(ncclFloat16, hs.data(), h.data(), h.size(), &hf);
  scaleElements(ncclBfloat16, bs.data(), b.data(), b.size(), &bf);
  for (size_t i = 0; i < h.size(); ++i) {
    const uint16_t eh = floatToHalf(halfToFloat(h[i]) * halfToFloat(hf));
    const uint16_t eb = floatToBfloat16(bfloat16ToFloat(b[i]) * bfloat16ToFloat(bf));
    if (!std::isnan(halfToFloat(eh))) {
      ASSERT_EQ(hs[i], eh) << "float16 " << i;
    }
    if (!std::isnan(bfloat16ToFloat(eb))) {
      ASSERT_EQ(bs[i], eb) << "bfloat16 " << i;
    }
  }
}

}  // namespace
}  // namespace braid
