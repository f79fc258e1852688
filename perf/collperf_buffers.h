// Where collperf's buffers live and which stream it issues on. Host memory and the NULL stream (or a Braid host
// stream with --host-stream) by default; built with CUDA and with a GPU visible, device memory and a CUDA stream
// unless --host is given. Inputs are filled and outputs checked in host memory: device runs copy the buffers
// over before a checked call and back after it.
#pragma once

#include <cstddef>
#include <string>

#include "nccl.h"

namespace braid::collperf {

// Throws std::runtime_error naming `what`, the result and ncclGetLastError, unless `r` is ncclSuccess.
void check(ncclResult_t r, const char* what);

class Buffers {
 public:
  // Call in the rank's process: CUDA is initialized here. With `comm`, host buffers come from ncclMemAlloc
  // and are registered with it (nccl-tests' -R 1); without, from the heap.
  Buffers(bool forceHost, bool hostStream, ncclComm_t registerWith);
  ~Buffers();
  Buffers(const Buffers&) = delete;
  Buffers& operator=(const Buffers&) = delete;

  void allocate(size_t bytes);  // both buffers, once, for the largest row
  char* hostSend() const { return hostSend_; }
  char* hostRecv() const { return hostRecv_; }
  char* send() const { return deviceSend_ ? deviceSend_ : hostSend_; }  // what the collectives are given
  char* recv() const { return deviceRecv_ ? deviceRecv_ : hostRecv_; }
  cudaStream_t stream() const { return stream_; }
  std::string label() const;  // for the "Using devices" lines

  void synchronize() const;
  void copyToDevice() const;  // both buffers; nothing to do in host memory
  void copyToHost() const;

 private:
  bool onDevice_ = false;
  bool hostStream_ = false;
  ncclComm_t registeredWith_ = nullptr;
  void *sendHandle_ = nullptr, *recvHandle_ = nullptr;
  size_t bytes_ = 0;
  cudaStream_t stream_ = nullptr;
  char *hostSend_ = nullptr, *hostRecv_ = nullptr;
  char *deviceSend_ = nullptr, *deviceRecv_ = nullptr;
};

}  // namespace braid::collperf
