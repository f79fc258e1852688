// The host device: memory is ordinary memory, streams are Braid host streams (host_stream.h; null: the calling
// thread, at once), reductions are the host kernels. It implements the device interface like any adaptor, so
// code and tests written against device.h run on a machine without accelerators.
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>

#include "base/error.h"
#include "device/device.h"
#include "device/host/host_reduce.h"
#include "device/host/host_stream.h"

namespace braid::device {
namespace {

// Runs `task` on the host stream in order, or now on the null stream.
template <class Task>
void onStream(Stream stream, Task task) {
  if (HostStream* s = HostStream::fromHandle(static_cast<cudaStream_t>(stream))) s->enqueue(task);
  else task();
}

// An event is a flag the stream sets when it gets there.
struct HostEvent {
  std::atomic<bool> done{false};
};

class HostDevice final : public Device {
 public:
  const char* name() const override { return "host"; }
  bool available() const override { return true; }
  std::vector<std::string> describe() const override {
    return {"host: " + std::to_string(sysconf(_SC_NPROCESSORS_ONLN)) + " CPUs, memory is host memory"};
  }
  int currentDevice() const override { return 0; }

  bool ownsPointer(const void*) const override { return false; }  // whatever no accelerator owns
  bool ownsStream(Stream stream) const override { return HostStream::isHostStream(static_cast<cudaStream_t>(stream)); }

  void* allocate(size_t bytes) override {
    void* p = std::malloc(bytes ? bytes : 1);
    if (!p) throw std::bad_alloc();
    return p;
  }
  void release(void* pointer) override { std::free(pointer); }
  // Host memory is what the host device copies fastest already.
  void* allocatePinned(size_t bytes) override { return allocate(bytes); }
  void releasePinned(void* pointer) override { release(pointer); }

  Stream createStream() override { return (new HostStream())->handle(); }
  void destroyStream(Stream stream) override { delete HostStream::fromHandle(static_cast<cudaStream_t>(stream)); }

  void copyAsync(void* dst, const void* src, size_t bytes, Stream stream) override {
    onStream(stream, [=] { std::memmove(dst, src, bytes); });
  }
  void enqueueHostFunction(Stream stream, void (*function)(void*), void* data) override {
    onStream(stream, [=] { function(data); });
  }
  Event recordEvent(Stream stream) override {
    auto* event = new HostEvent;
    onStream(stream, [event] { event->done.store(true, std::memory_order_release); });
    return event;
  }
  bool eventDone(Event event) override { return static_cast<HostEvent*>(event)->done.load(std::memory_order_acquire); }
  void destroyEvent(Event event) override { delete static_cast<HostEvent*>(event); }
  void synchronize(Stream stream) override {
    if (HostStream* s = HostStream::fromHandle(static_cast<cudaStream_t>(stream)))
      if (ncclResult_t r = s->synchronize(); r != ncclSuccess) fail(r, "host stream: a queued task failed");
  }

  void reduce(ncclDataType_t type, ReduceKind op, void* dst, const void* a, const void* b, size_t count,
              Stream stream) override {
    const ReduceFn kernel = reduceFunction(type, op);
    onStream(stream, [=] { kernel(dst, a, b, count); });
  }

  // Host memory shared between processes is the shm transport's business (transports/shm/shared_buffers.h).
  bool exportIpc(void*, IpcHandle*) override { return false; }
  void* importIpc(const IpcHandle&) override { fail(ncclInvalidUsage, "the host device has no IPC handles"); }
  void closeIpc(void*) override {}
};

HostDevice hostDevice;
const Registration registered(hostDevice);

}  // namespace
}  // namespace braid::device
