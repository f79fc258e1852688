// The device layer: what any accelerator runtime offers Braid, vendor-neutral. The host device (src/device/host/)
// and each accelerator adaptor (src/device/cuda/; Ascend, MLU, MACA, MUSA the same way: docs/devices.md)
// implement it, and register themselves; one build may hold several, and each pointer and stream is served by
// the one that owns it. The runtime stages device buffers through it (src/runtime/staging.h).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "device/reduction.h"
#include "nccl.h"

namespace braid::device {

using Stream = void*;  // a runtime's stream handle (cudaStream_t, aclrtStream, ...) or a Braid host stream
using Event = void*;   // a runtime's event handle

// A handle that lets another process on the host map device memory (cudaIpcMemHandle_t and its kin).
struct IpcHandle {
  unsigned char bytes[64];
};

class Device {
 public:
  virtual ~Device() = default;
  virtual const char* name() const = 0;  // "host", "cuda", ...
  // Built in, with its runtime present and at least one device visible.
  virtual bool available() const = 0;
  // One line per visible device ("cuda:0 NVIDIA H100 80GB HBM3, PCI 0000:19:00.0, sm_90"), or why there is none.
  virtual std::vector<std::string> describe() const = 0;
  // The calling thread's current device (what ncclCommCuDevice reports).
  virtual int currentDevice() const = 0;

  // Whose memory and stream: whether `pointer` is this runtime's device memory, `stream` its stream (the host
  // device is asked first: accelerators are asked only of streams that are no Braid host stream).
  virtual bool ownsPointer(const void* pointer) const = 0;
  virtual bool ownsStream(Stream stream) const = 0;

  // Memory: on the device, and page-locked host memory the device copies to and from at full speed. Failures
  // throw Error(ncclUnhandledCudaError or ncclSystemError) naming the call.
  virtual void* allocate(size_t bytes) = 0;
  virtual void release(void* pointer) = 0;
  virtual void* allocatePinned(size_t bytes) = 0;
  virtual void releasePinned(void* pointer) = 0;

  // Streams of its own (the runtime's pipelines; tests).
  virtual Stream createStream() = 0;
  virtual void destroyStream(Stream stream) = 0;

  // Work ordered on `stream` (null: the runtime's default stream), returning at once. copyAsync copies between
  // any two of this device's memory, pinned and ordinary host memory. `function(data)` runs on a host thread
  // once everything queued before it is done, and must not call the runtime.
  virtual void copyAsync(void* dst, const void* src, size_t bytes, Stream stream) = 0;
  virtual void enqueueHostFunction(Stream stream, void (*function)(void*), void* data) = 0;
  virtual Event recordEvent(Stream stream) = 0;
  virtual bool eventDone(Event event) = 0;
  virtual void destroyEvent(Event event) = 0;
  virtual void synchronize(Stream stream) = 0;

  // dst[i] = a[i] (op) b[i] on device memory, queued on `stream`, bit for bit the host's result.
  virtual void reduce(ncclDataType_t type, ReduceKind op, void* dst, const void* a, const void* b, size_t count,
                      Stream stream) = 0;

  // Device memory another process of the host may map: false where the runtime has no IPC.
  virtual bool exportIpc(void* pointer, IpcHandle* handle) = 0;
  virtual void* importIpc(const IpcHandle& handle) = 0;  // in another process; throws on failure
  virtual void closeIpc(void* pointer) = 0;
};

// Every device built in, the host first.
const std::vector<Device*>& devices();
Device& host();
// The accelerator whose memory `pointer` is, or whose stream `stream` is; null for host memory, the NULL
// stream and Braid host streams.
Device* acceleratorOfPointer(const void* pointer);
Device* acceleratorOfStream(Stream stream);
// Whether any accelerator is available (calls may then involve device memory).
bool acceleratorsAvailable();
// The first accelerator that is available (built in and with a device present), or null.
Device* firstAccelerator();
// The calling thread's current device on the first available accelerator (what a new communicator records and
// ncclCommCuDevice reports); 0 where there is none.
int currentAcceleratorDevice();

// How an adaptor joins the registry: a namespace-scope `const Registration` in its file.
struct Registration {
  explicit Registration(Device& device);
};

}  // namespace braid::device
