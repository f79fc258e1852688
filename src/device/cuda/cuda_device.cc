// The CUDA adaptor: the device interface (device.h) over the CUDA runtime, linked statically so that libbraid
// runs where there is no driver (then it is simply not available). Its reduction kernels are in
// reduce_kernels.cu. It knows nothing of communicators: the runtime stages device buffers through it
// (src/runtime/staging.h).
#include <cuda_runtime_api.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "base/error.h"
#include "device/cuda/reduce_kernels.h"
#include "device/device.h"

namespace braid::device {
namespace {

void check(cudaError_t e, const char* call) {
  if (e != cudaSuccess) fail(ncclUnhandledCudaError, std::string("CUDA ") + call + ": " + cudaGetErrorString(e));
}

cudaStream_t cudaStream(Stream stream) { return static_cast<cudaStream_t>(stream); }

static_assert(sizeof(cudaIpcMemHandle_t) <= sizeof(IpcHandle::bytes), "a CUDA IPC handle fits");

class CudaDevice final : public Device {
 public:
  const char* name() const override { return "cuda"; }

  // cudaGetDeviceCount's answer, asked once: without a driver it fails, and Braid runs on the host alone.
  bool available() const override { return visible().count > 0; }

  std::vector<std::string> describe() const override {
    if (!available()) return {"no CUDA device visible (" + visible().why + ")"};
    std::vector<std::string> lines;
    for (int d = 0; d < visible().count; ++d) {
      cudaDeviceProp p{};
      check(cudaGetDeviceProperties(&p, d), "cudaGetDeviceProperties");
      char bus[32];
      std::snprintf(bus, sizeof bus, "%04x:%02x:%02x.0", p.pciDomainID, p.pciBusID, p.pciDeviceID);
      lines.push_back("cuda:" + std::to_string(d) + " " + p.name + ", PCI " + bus + ", sm_" + std::to_string(p.major) +
                      std::to_string(p.minor) + ", " + std::to_string(p.totalGlobalMem >> 20) + " MiB");
    }
    return lines;
  }

  int currentDevice() const override {
    int d = 0;
    if (available()) check(cudaGetDevice(&d), "cudaGetDevice");
    return d;
  }

  bool ownsPointer(const void* pointer) const override {
    cudaPointerAttributes attributes{};
    if (cudaPointerGetAttributes(&attributes, pointer) != cudaSuccess) {
      cudaGetLastError();  // not sticky: clear it
      return false;
    }
    return attributes.type == cudaMemoryTypeDevice;
  }
  // Streams that are no Braid host stream are CUDA's where CUDA is the accelerator (device.h asks the host
  // first); CUDA has no cheap way to tell a stream handle from any other pointer.
  bool ownsStream(Stream) const override { return true; }

  void* allocate(size_t bytes) override {
    void* p = nullptr;
    check(cudaMalloc(&p, bytes), "cudaMalloc");
    return p;
  }
  void release(void* pointer) override { check(cudaFree(pointer), "cudaFree"); }
  void* allocatePinned(size_t bytes) override {
    void* p = nullptr;
    check(cudaMallocHost(&p, bytes), "cudaMallocHost");
    return p;
  }
  void releasePinned(void* pointer) override { check(cudaFreeHost(pointer), "cudaFreeHost"); }

  Stream createStream() override {
    cudaStream_t s = nullptr;
    check(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), "cudaStreamCreate");
    return s;
  }
  void destroyStream(Stream stream) override { check(cudaStreamDestroy(cudaStream(stream)), "cudaStreamDestroy"); }

  void copyAsync(void* dst, const void* src, size_t bytes, Stream stream) override {
    check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDefault, cudaStream(stream)), "cudaMemcpyAsync");
  }
  void enqueueHostFunction(Stream stream, void (*function)(void*), void* data) override {
    check(cudaLaunchHostFunc(cudaStream(stream), function, data), "cudaLaunchHostFunc");
  }
  Event recordEvent(Stream stream) override {
    cudaEvent_t event = nullptr;
    check(cudaEventCreateWithFlags(&event, cudaEventDisableTiming), "cudaEventCreate");
    check(cudaEventRecord(event, cudaStream(stream)), "cudaEventRecord");
    return event;
  }
  bool eventDone(Event event) override {
    const cudaError_t e = cudaEventQuery(static_cast<cudaEvent_t>(event));
    if (e == cudaErrorNotReady) return false;
    check(e, "cudaEventQuery");
    return true;
  }
  void destroyEvent(Event event) override {
    check(cudaEventDestroy(static_cast<cudaEvent_t>(event)), "cudaEventDestroy");
  }
  void synchronize(Stream stream) override {
    check(cudaStreamSynchronize(cudaStream(stream)), "cudaStreamSynchronize");
  }

  void reduce(ncclDataType_t type, ReduceKind op, void* dst, const void* a, const void* b, size_t count,
              Stream stream) override {
    check(cuda::launchReduce(type, op, dst, a, b, count, cudaStream(stream)), "reduction kernel");
  }

  bool exportIpc(void* pointer, IpcHandle* handle) override {
    cudaIpcMemHandle_t h;
    check(cudaIpcGetMemHandle(&h, pointer), "cudaIpcGetMemHandle");
    std::memcpy(handle->bytes, &h, sizeof h);
    return true;
  }
  void* importIpc(const IpcHandle& handle) override {
    cudaIpcMemHandle_t h;
    std::memcpy(&h, handle.bytes, sizeof h);
    void* p = nullptr;
    check(cudaIpcOpenMemHandle(&p, h, cudaIpcMemLazyEnablePeerAccess), "cudaIpcOpenMemHandle");
    return p;
  }
  void closeIpc(void* pointer) override { check(cudaIpcCloseMemHandle(pointer), "cudaIpcCloseMemHandle"); }

 private:
  struct Visible {
    int count = 0;
    std::string why;
  };
  static const Visible& visible() {
    static const Visible found = [] {
      Visible v;
      if (cudaError_t e = cudaGetDeviceCount(&v.count); e != cudaSuccess) {
        v.count = 0;
        v.why = cudaGetErrorString(e);
        cudaGetLastError();
      }
      return v;
    }();
    return found;
  }
};

CudaDevice cudaDevice;
const Registration registered(cudaDevice);

}  // namespace
}  // namespace braid::device
