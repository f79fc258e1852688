#include "device/pinned_pool.h"

namespace braid::device {

PinnedPool& PinnedPool::of(Device& device) {
  static std::mutex mutex;
  static auto* pools = new std::map<Device*, PinnedPool*>;  // never destroyed, like the pools
  std::lock_guard<std::mutex> lock(mutex);
  PinnedPool*& pool = (*pools)[&device];
  if (!pool) pool = new PinnedPool(device);
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
  auto* buffer = static_cast<char*>(device_.allocatePinned(capacity));
  capacity_[buffer] = capacity;
  return buffer;
}

void PinnedPool::give(char* buffer) {
  std::lock_guard<std::mutex> lock(mutex_);
  free_.emplace(capacity_.at(buffer), buffer);
}

}  // namespace braid::device
