// Page-locked host buffers that stage device memory for the host transports. cudaMallocHost costs milliseconds,
// so buffers are kept and reused (best fit); giving one back needs no CUDA call, so stream callbacks can do it.
#pragma once

#include <cstddef>
#include <map>
#include <mutex>

namespace braid::cuda {

class PinnedPool {
 public:
  static PinnedPool& instance();
  char* take(size_t bytes);  // throws ncclUnhandledCudaError when page-locked memory runs out
  void give(char* buffer);

 private:
  std::mutex mutex_;
  std::multimap<size_t, char*> free_;  // by capacity
  std::map<char*, size_t> capacity_;
};

}  // namespace braid::cuda
