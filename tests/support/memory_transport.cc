#include "memory_transport.h"

#include <algorithm>

namespace braid::testing {

size_t MemoryPipe::randomLimit(size_t upTo) {
  if (upTo == 0) return 0;
  return std::uniform_int_distribution<size_t>(1, upTo)(rng_);
}

size_t MemoryPipe::push(const void* data, size_t bytes) {
  size_t room = capacity_ - bytes_.size();
  size_t n = randomLimit(std::min(bytes, room));
  bytes_.append(static_cast<const char*>(data), n);
  return n;
}

Chunk MemoryPipe::front() {
  offered_ = randomLimit(bytes_.size());
  return {bytes_.data(), offered_};
}

void MemoryPipe::pop(size_t bytes) { bytes_.erase(0, bytes); }

std::vector<ChannelConnections> memoryMesh(int nranks, size_t capacity, uint32_t seed) {
  std::vector<ChannelConnections> mesh(nranks);
  for (auto& c : mesh) {
    c.send.resize(nranks);
    c.recv.resize(nranks);
  }
  for (int from = 0; from < nranks; ++from)
    for (int to = 0; to < nranks; ++to) {
      if (from == to) continue;
      auto pipe = std::make_shared<MemoryPipe>(capacity, seed + static_cast<uint32_t>(from * 131 + to));
      mesh[from].send[to] = std::make_shared<MemorySend>(pipe);
      mesh[to].recv[from] = std::make_shared<MemoryRecv>(pipe);
    }
  return mesh;
}

}  // namespace braid::testing
