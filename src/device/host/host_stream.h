// Host streams: in-order work queues with a worker thread, standing in for CUDA streams on the host device.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "nccl.h"

namespace braid {

class HostStream {
 public:
  HostStream();
  ~HostStream();  // waits for queued work

  void enqueue(std::function<void()> task);  // task errors (braid::Error) are kept for synchronize()
  ncclResult_t synchronize();                // waits; returns and clears the first error
  // Queues `callback`, called with the first error since the last synchronize (like CUDA stream callbacks).
  void enqueueCallback(std::function<void(ncclResult_t)> callback);

  static HostStream* fromHandle(cudaStream_t stream);  // null for the NULL stream; checks the handle
  // Whether `stream` is a live host stream, without touching the memory it points to (it may be a CUDA stream).
  static bool isHostStream(cudaStream_t stream);
  cudaStream_t handle() { return reinterpret_cast<cudaStream_t>(this); }

 private:
  void run();
  void awaitWorkBriefly() const;
  std::mutex mutex_;
  std::atomic<size_t> queued_{0};  // tasks_.size(), readable without the lock
  std::condition_variable changed_;
  std::deque<std::function<void()>> tasks_;
  bool busy_ = false;
  bool stopping_ = false;
  ncclResult_t firstError_ = ncclSuccess;
  uint64_t magic_;
  std::thread worker_;
};

}  // namespace braid
