// The CUDA reduction kernels against the host's scalar reference, bit for bit, on every type and op, with
// aligned and misaligned pointers and counts that leave tails. Skips, saying why, where no GPU is visible.
#include "device/cuda/reduce_kernels.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "device/accelerator.h"
#include "device/datatype.h"
#include "reference_data.h"

namespace braid {
namespace {

class DeviceMemory {
 public:
  explicit DeviceMemory(size_t bytes) { EXPECT_EQ(cudaMalloc(&p_, bytes), cudaSuccess); }
  ~DeviceMemory() { cudaFree(p_); }
  char* get() const { return static_cast<char*>(p_); }

 private:
  void* p_ = nullptr;
};

TEST(CudaReduceKernels, MatchTheHostReferenceForEveryTypeAndOp) {
  if (!accelerator::available()) GTEST_SKIP() << accelerator::describeDevices().front();
  std::mt19937 random(7);
  for (int t = 0; t < ncclNumTypes; ++t) {
    const auto type = static_cast<ncclDataType_t>(t);
    const size_t es = dataTypeSize(type);
    for (ReduceKind kind : {ReduceKind::Sum, ReduceKind::Prod, ReduceKind::Max, ReduceKind::Min})
      for (size_t count : {size_t(1), size_t(17), size_t(4099), size_t(1) << 20})
        for (size_t offset : {size_t(0), es}) {  // 16-byte aligned, and not
          // Small values every type holds exactly, so sums and products stay representable.
          std::vector<char> a(count * es), b(count * es), expected(count * es), got(count * es);
          for (size_t i = 0; i < count; ++i) {
            reference::storeValue(type, a.data(), i, static_cast<double>(random() % 8) / 2);
            reference::storeValue(type, b.data(), i, static_cast<double>(random() % 8) / 2 - 1);
          }
          scalarReduceFunction(type, kind)(expected.data(), a.data(), b.data(), count);
          DeviceMemory da(count * es + 16), db(count * es + 16), dd(count * es + 16);
          ASSERT_EQ(cudaMemcpy(da.get() + offset, a.data(), a.size(), cudaMemcpyHostToDevice), cudaSuccess);
          ASSERT_EQ(cudaMemcpy(db.get() + offset, b.data(), b.size(), cudaMemcpyHostToDevice), cudaSuccess);
          ASSERT_EQ(cuda::launchReduce(type, kind, dd.get() + offset, da.get() + offset, db.get() + offset, count,
                                       nullptr),
                    cudaSuccess);
          ASSERT_EQ(cudaMemcpy(got.data(), dd.get() + offset, got.size(), cudaMemcpyDeviceToHost), cudaSuccess);
          EXPECT_EQ(std::memcmp(got.data(), expected.data(), got.size()), 0)
              << dataTypeName(type) << " op " << static_cast<int>(kind) << " count " << count << " offset " << offset;
        }
  }
}

}  // namespace
}  // namespace braid
