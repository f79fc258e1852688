#include "device/host/host_stream.h"

#include <sched.h>

#include <chrono>
#include <unordered_set>

#include "base/error.h"
#include "base/log.h"

namespace braid {
namespace {
constexpr uint64_t kStreamMagic = 0x6d61657274736862ull;  // "bhstream"
// How long an idle worker looks for new work before it sleeps: callers often queue work back to back, and
// waking a sleeping thread costs several microseconds. Yielding meanwhile leaves the core to runnable threads.
constexpr std::chrono::microseconds kIdleLook{50};

struct LiveStreams {
  std::mutex mutex;
  std::unordered_set<const void*> handles;
};
LiveStreams& liveStreams() {
  static LiveStreams live;
  return live;
}
}  // namespace

HostStream::HostStream() : magic_(kStreamMagic), worker_([this] { run(); }) {
  std::lock_guard<std::mutex> lock(liveStreams().mutex);
  liveStreams().handles.insert(this);
}

bool HostStream::isHostStream(cudaStream_t stream) {
  std::lock_guard<std::mutex> lock(liveStreams().mutex);
  return liveStreams().handles.count(stream) > 0;
}

HostStream::~HostStream() {
  {
    std::lock_guard<std::mutex> lock(liveStreams().mutex);
    liveStreams().handles.erase(this);
  }
  {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [this] { return tasks_.empty() && !busy_; });
    stopping_ = true;
    magic_ = 0;
  }
  changed_.notify_all();
  worker_.join();
}

HostStream* HostStream::fromHandle(cudaStream_t stream) {
  if (!stream) return nullptr;
  auto* s = reinterpret_cast<HostStream*>(stream);
  if (s->magic_ != kStreamMagic) fail(ncclInvalidArgument, "stream is not a Braid host stream (braidStreamCreate)");
  return s;
}

void HostStream::enqueue(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    tasks_.push_back(std::move(task));
    ++queued_;
  }
  changed_.notify_all();
}

void HostStream::enqueueCallback(std::function<void(ncclResult_t)> callback) {
  enqueue([this, callback = std::move(callback)] {
    ncclResult_t status;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      status = firstError_;
    }
    callback(status);
  });
}

ncclResult_t HostStream::synchronize() {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [this] { return tasks_.empty() && !busy_; });
  ncclResult_t result = firstError_;
  firstError_ = ncclSuccess;
  return result;
}

void HostStream::awaitWorkBriefly() const {
  const auto until = std::chrono::steady_clock::now() + kIdleLook;
  while (queued_.load(std::memory_order_relaxed) == 0 && std::chrono::steady_clock::now() < until) sched_yield();
}

void HostStream::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    if (tasks_.empty() && !stopping_) {
      lock.unlock();
      awaitWorkBriefly();
      lock.lock();
    }
    changed_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
    if (tasks_.empty()) return;
    std::function<void()> task = std::move(tasks_.front());
    tasks_.pop_front();
    --queued_;
    busy_ = true;
    lock.unlock();
    ncclResult_t result = ncclSuccess;
    try {
      task();
    } catch (const Error& e) {
      result = e.code();
      BRAID_WARN("COLL", "host stream task failed: %s", e.what());
    } catch (const std::exception& e) {
      result = ncclInternalError;
      BRAID_WARN("COLL", "host stream task failed: %s", e.what());
    }
    lock.lock();
    busy_ = false;
    if (firstError_ == ncclSuccess) firstError_ = result;
    changed_.notify_all();
  }
}

}  // namespace braid
