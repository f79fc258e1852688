// In-memory connections for the schedule simulator: a bounded byte pipe per (sender, receiver) that accepts
// and delivers data in randomly sized pieces, including pieces that split an element, so schedules and the
// executor are exercised under every arrival pattern a real transport can produce.
#pragma once

#include <memory>
#include <random>
#include <string>

#include "transports/transport.h"

namespace braid::testing {

class MemoryPipe {
 public:
  MemoryPipe(size_t capacity, uint32_t seed) : capacity_(capacity), rng_(seed) {}
  size_t push(const void* data, size_t bytes);
  Chunk front();
  void pop(size_t bytes);

 private:
  size_t randomLimit(size_t upTo);
  size_t capacity_;
  std::mt19937 rng_;
  std::string bytes_;
  size_t offered_ = 0;  // bytes exposed by the last front()
};

class MemorySend : public SendConnection {
 public:
  explicit MemorySend(std::shared_ptr<MemoryPipe> pipe) : pipe_(std::move(pipe)) {}
  size_t trySend(const void* data, size_t bytes) override { return pipe_->push(data, bytes); }
  void checkPeer() override {}
  size_t heldBytes() const override { return 0; }  // the pipe belongs to the test

 private:
  std::shared_ptr<MemoryPipe> pipe_;
};

class MemoryRecv : public RecvConnection {
 public:
  explicit MemoryRecv(std::shared_ptr<MemoryPipe> pipe) : pipe_(std::move(pipe)) {}
  Chunk peek() override { return pipe_->front(); }
  void release(size_t bytes) override { pipe_->pop(bytes); }
  void checkPeer() override {}
  size_t heldBytes() const override { return 0; }  // the pipe belongs to the test

 private:
  std::shared_ptr<MemoryPipe> pipe_;
};

// Full-mesh connections for `nranks` ranks: result[r] is rank r's channel.
std::vector<ChannelConnections> memoryMesh(int nranks, size_t capacity, uint32_t seed);

}  // namespace braid::testing
