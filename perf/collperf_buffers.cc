#include "collperf_buffers.h"

#include <stdexcept>

#include "braid/braid.h"
#ifdef BRAID_COLLPERF_CUDA
#include <cuda_runtime_api.h>
#endif

namespace braid::collperf {

void check(ncclResult_t r, const char* what) {
  if (r != ncclSuccess)
    throw std::runtime_error(std::string(what) + ": " + ncclGetErrorString(r) + " (" + ncclGetLastError(nullptr) + ")");
}

namespace {

#ifdef BRAID_COLLPERF_CUDA
void checkCuda(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(e));
}

bool gpuVisible() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();
    return false;
  }
  return count > 0;
}
#endif

}  // namespace

Buffers::Buffers(bool forceHost, bool hostStream) : hostStream_(hostStream) {
#ifdef BRAID_COLLPERF_CUDA
  onDevice_ = !forceHost && !hostStream && gpuVisible();
  if (onDevice_) checkCuda(cudaStreamCreate(&stream_), "cudaStreamCreate");
#else
  (void)forceHost;
#endif
  if (hostStream_) check(braidStreamCreate(&stream_), "braidStreamCreate");
}

Buffers::~Buffers() {
#ifdef BRAID_COLLPERF_CUDA
  if (onDevice_) {
    cudaFree(deviceSend_);
    cudaFree(deviceRecv_);
    cudaStreamDestroy(stream_);
  }
#endif
  if (hostStream_) braidStreamDestroy(stream_);
  ncclMemFree(hostSend_);
  ncclMemFree(hostRecv_);
}

void Buffers::allocate(size_t bytes) {
  bytes_ = bytes;
  check(ncclMemAlloc(reinterpret_cast<void**>(&hostSend_), bytes), "ncclMemAlloc");
  check(ncclMemAlloc(reinterpret_cast<void**>(&hostRecv_), bytes), "ncclMemAlloc");
#ifdef BRAID_COLLPERF_CUDA
  if (onDevice_) {
    checkCuda(cudaMalloc(reinterpret_cast<void**>(&deviceSend_), bytes), "cudaMalloc");
    checkCuda(cudaMalloc(reinterpret_cast<void**>(&deviceRecv_), bytes), "cudaMalloc");
  }
#endif
}

std::string Buffers::label() const {
#ifdef BRAID_COLLPERF_CUDA
  if (onDevice_) {
    int device = 0;
    cudaDeviceProp p{};
    cudaGetDevice(&device);
    cudaGetDeviceProperties(&p, device);
    return "[cuda] " + std::string(p.name);
  }
#endif
  return "[host] Braid host device";
}

void Buffers::synchronize() const {
#ifdef BRAID_COLLPERF_CUDA
  if (onDevice_) return checkCuda(cudaStreamSynchronize(stream_), "cudaStreamSynchronize");
#endif
  if (hostStream_) check(braidStreamSynchronize(stream_), "braidStreamSynchronize");
}

void Buffers::copyToDevice() const {
#ifdef BRAID_COLLPERF_CUDA
  if (!onDevice_) return;
  checkCuda(cudaMemcpy(deviceSend_, hostSend_, bytes_, cudaMemcpyHostToDevice), "cudaMemcpy");
  checkCuda(cudaMemcpy(deviceRecv_, hostRecv_, bytes_, cudaMemcpyHostToDevice), "cudaMemcpy");
#endif
}

void Buffers::copyToHost() const {
#ifdef BRAID_COLLPERF_CUDA
  if (!onDevice_) return;
  checkCuda(cudaMemcpy(hostSend_, deviceSend_, bytes_, cudaMemcpyDeviceToHost), "cudaMemcpy");
  checkCuda(cudaMemcpy(hostRecv_, deviceRecv_, bytes_, cudaMemcpyDeviceToHost), "cudaMemcpy");
#endif
}

}  // namespace braid::collperf
