#include "collperf_buffers.h"

#include <cstdlib>
#include <stdexcept>
#include <string>

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

Buffers::Buffers(bool forceHost, bool hostStream, ncclComm_t registerWith)
    : hostStream_(hostStream), registeredWith_(registerWith) {
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
  if (!registeredWith_) {
    std::free(hostSend_);
    std::free(hostRecv_);
    return;
  }
  if (sendHandle_) ncclCommDeregister(registeredWith_, sendHandle_);
  if (recvHandle_) ncclCommDeregister(registeredWith_, recvHandle_);
  ncclMemFree(hostSend_);
  ncclMemFree(hostRecv_);
}

void Buffers::allocate(size_t bytes) {
  bytes_ = bytes;
  if (registeredWith_) {
    check(ncclMemAlloc(reinterpret_cast<void**>(&hostSend_), bytes), "ncclMemAlloc");
    check(ncclMemAlloc(reinterpret_cast<void**>(&hostRecv_), bytes), "ncclMemAlloc");
    check(ncclCommRegister(registeredWith_, hostSend_, bytes, &sendHandle_), "ncclCommRegister");
    check(ncclCommRegister(registeredWith_, hostRecv_, bytes, &recvHandle_), "ncclCommRegister");
  } else {
    const size_t pages = (bytes + 4095) / 4096 * 4096;
    hostSend_ = static_cast<char*>(std::aligned_alloc(4096, pages));
    hostRecv_ = static_cast<char*>(std::aligned_alloc(4096, pages));
    if (!hostSend_ || !hostRecv_)
      throw std::runtime_error("out of host memory for " + std::to_string(bytes) + " bytes");
  }
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
