// Page-locked host buffers that stage a device's memory for the host transports. Allocating them costs
// milliseconds (cudaMallocHost and its kin), so buffers are kept and reused (best fit); giving one back calls
// no runtime, so stream callbacks can do it. One pool per device.
#pragma once

#include <cstddef>
#include <map>
#include <mutex>

#include "device/device.h"

namespace braid::device {

class PinnedPool {
 public:
  static PinnedPool& of(Device& device);  // lives as long as the process: callbacks may give buffers back at exit
  char* take(size_t bytes);               // throws what the device throws when page-locked memory runs out
  void give(char* buffer);

 private:
  explicit PinnedPool(Device& device) : device_(device) {}
  Device& device_;
  std::mutex mutex_;
  std::multimap<size_t, char*> free_;  // by capacity
  std::map<char*, size_t> capacity_;
};

}  // namespace braid::device
