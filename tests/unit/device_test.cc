// Every device of the registry (src/device/device.h) against the same checks: memory, copies and host
// functions in stream order, events, and reduction kernels bit for bit the host's scalar reference for every
// type and op. The host device runs everywhere; an accelerator's adaptor runs where its runtime sees a device
// (the CUDA adaptor on a GPU machine) and says why it skips elsewhere. A new adaptor is picked up by registering.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "device/datatype.h"
#include "device/device.h"
#include "device/host/host_reduce.h"
#include "reference_data.h"

namespace braid {
namespace {

using device::Device;

std::vector<std::string> deviceNames() {
  std::vector<std::string> names;
  for (Device* d : device::devices()) names.push_back(d->name());
  return names;
}

Device& deviceNamed(const std::string& name) {
  for (Device* d : device::devices())
    if (name == d->name()) return *d;
  throw std::logic_error("no device " + name);
}

class DeviceConformance : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!deviceNamed(GetParam()).available()) GTEST_SKIP() << deviceNamed(GetParam()).describe().front();
  }
};

TEST(DeviceRegistry, TheHostComesFirstAndOwnsNothingAcceleratorsOwn) {
  ASSERT_FALSE(device::devices().empty());
  EXPECT_STREQ(device::devices().front()->name(), "host");
  EXPECT_EQ(&device::host(), device::devices().front());
  std::vector<char> memory(64);
  EXPECT_EQ(device::acceleratorOfPointer(memory.data()), nullptr);
  EXPECT_EQ(device::acceleratorOfStream(nullptr), nullptr);
  device::Stream hostStream = device::host().createStream();
  EXPECT_TRUE(device::host().ownsStream(hostStream));
  EXPECT_EQ(device::acceleratorOfStream(hostStream), nullptr);
  device::host().destroyStream(hostStream);
}

TEST_P(DeviceConformance, CopiesHostFunctionsAndEventsKeepStreamOrder) {
  Device& d = deviceNamed(GetParam());
  EXPECT_FALSE(d.describe().empty());
  EXPECT_GE(d.currentDevice(), 0);
  device::Stream stream = d.createStream();
  const size_t bytes = (1 << 20) + 13;
  std::vector<char> source(bytes), back(bytes, 0);
  for (size_t i = 0; i < bytes; ++i) source[i] = static_cast<char>(i * 7 + 1);
  char* pinned = static_cast<char*>(d.allocatePinned(bytes));
  char* onDevice = static_cast<char*>(d.allocate(bytes));
  std::memcpy(pinned, source.data(), bytes);
  struct Seen {
    char* pinned;
    char first = 0;
  } seen{pinned};
  d.copyAsync(onDevice, pinned, bytes, stream);
  d.copyAsync(pinned, onDevice + 1, bytes - 1, stream);  // shifted back by one byte
  d.enqueueHostFunction(
      stream, [](void* data) { static_cast<Seen*>(data)->first = static_cast<Seen*>(data)->pinned[0]; }, &seen);
  device::Event done = d.recordEvent(stream);
  d.synchronize(stream);
  EXPECT_TRUE(d.eventDone(done));
  d.destroyEvent(done);
  EXPECT_EQ(seen.first, source[1]) << "the host function ran after the copies queued before it";
  EXPECT_EQ(std::memcmp(pinned, source.data() + 1, bytes - 1), 0);
  d.release(onDevice);
  d.releasePinned(pinned);
  d.destroyStream(stream);
}

TEST_P(DeviceConformance, ReductionsMatchTheHostReferenceForEveryTypeAndOp) {
  Device& d = deviceNamed(GetParam());
  device::Stream stream = d.createStream();
  std::mt19937 random(11);
  for (int t = 0; t < ncclNumTypes; ++t) {
    const auto type = static_cast<ncclDataType_t>(t);
    const size_t es = dataTypeSize(type);
    for (ReduceKind op : {ReduceKind::Sum, ReduceKind::Prod, ReduceKind::Max, ReduceKind::Min})
      for (size_t count : {size_t(1), size_t(17), size_t(4099), size_t(1 << 16) + 3})
        for (size_t offset : {size_t(0), es}) {  // 16-byte aligned, and not: kernels take wide paths only aligned
          // Small values every type holds exactly, so sums and products stay representable.
          std::vector<char> a(count * es), b(count * es), expected(count * es), got(count * es);
          for (size_t i = 0; i < count; ++i) {
            reference::storeValue(type, a.data(), i, static_cast<double>(random() % 8) / 2);
            reference::storeValue(type, b.data(), i, static_cast<double>(random() % 8) / 2 - 1);
          }
          scalarReduceFunction(type, op)(expected.data(), a.data(), b.data(), count);
          char* da = static_cast<char*>(d.allocate(a.size() + 16));
          char* db = static_cast<char*>(d.allocate(b.size() + 16));
          d.copyAsync(da + offset, a.data(), a.size(), stream);
          d.copyAsync(db + offset, b.data(), b.size(), stream);
          d.reduce(type, op, da + offset, da + offset, db + offset, count, stream);  // in place, as schedules do
          d.copyAsync(got.data(), da + offset, got.size(), stream);
          d.synchronize(stream);
          EXPECT_EQ(std::memcmp(got.data(), expected.data(), got.size()), 0)
              << dataTypeName(type) << " op " << static_cast<int>(op) << " count " << count << " offset " << offset;
          d.release(da);
          d.release(db);
        }
  }
  d.destroyStream(stream);
}

TEST_P(DeviceConformance, IpcHandlesWhereTheRuntimeHasThem) {
  Device& d = deviceNamed(GetParam());
  void* memory = d.allocate(4096);
  device::IpcHandle handle{};
  const bool exported = d.exportIpc(memory, &handle);
  EXPECT_EQ(exported, GetParam() != "host") << "the host shares memory through the shm transport instead";
  d.release(memory);
}

INSTANTIATE_TEST_SUITE_P(Registry, DeviceConformance, ::testing::ValuesIn(deviceNames()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace braid
