#include "device/cuda/pinned_pool.h"

#include <cuda_runtime_api.h>

#include <string>

#include "base/error.h"

namespace braid::cuda {

PinnedPool& PinnedPool::instance() {
  static PinnedPool* pool = new PinnedPool;  // never destroyed: stream callbacks may still give buffers back at exit
  return *pool;
}

char* PinnedPool::take(size_t bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto fit = free_.lower_bound(bytes);
  if (fit != free_.end()) {
    char* buffer = fit->second;
    free_.erase(fit);
    return buffer;
  }
  size_t capacity = 4096;
  while (capacity < bytes) capacity *= 2;
  void* buffer = nullptr;
  if (cudaError_t e = cudaMallocHost(&buffer, capacity); e != cudaSuccess)
    fail(ncclUnhandledCudaError, "cudaMallocHost(" + std::to_string(capacity) + "): " + cudaGetErrorString(e));
  capacity_[static_cast<char*>(buffer)] = capacity;
  return static_cast<char*>(buffer);
}

void PinnedPool::give(char* buffer) {
  std::lock_guard<std::mutex> lock(mutex_);
  free_.emplace(capacity_.at(buffer), buffer);
}

}  // namespace braid::cuda
