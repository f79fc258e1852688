// The CUDA accelerator. Collectives on device memory are staged through page-locked host memory and ordered on
// the caller's CUDA stream, so calls return at once as NCCL's do:
//   device -> host copies (cudaMemcpyAsync), then a host function that runs the launch over Braid's transports,
//   then host -> device copies of what the launch writes, then a host function that recycles the staging.
// Every buffer the launch touches is staged whole, outputs included, so bytes a collective does not write come
// back unchanged; buffers that overlap (in-place calls) share one staging block.
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>

#include "runtime/communicator.h"
#include "base/error.h"
#include "device/host/host_stream.h"
#include "base/log.h"
#include "device/accelerator.h"
#include "device/cuda/pinned_pool.h"
#include "device/datatype.h"

namespace braid::accelerator {
namespace {

// cudaGetDeviceCount's answer, asked once: without a driver it fails, and Braid runs on the host alone.
struct Devices {
  int count = 0;
  std::string why;
};

const Devices& devices() {
  static const Devices found = [] {
    Devices d;
    cudaError_t e = cudaGetDeviceCount(&d.count);
    if (e != cudaSuccess) {
      d.count = 0;
      d.why = cudaGetErrorString(e);
      cudaGetLastError();  // not sticky: clear it
    }
    return d;
  }();
  return found;
}

void check(cudaError_t e, const char* call) {
  if (e != cudaSuccess) fail(ncclUnhandledCudaError, std::string("CUDA ") + call + ": " + cudaGetErrorString(e));
}

// A contiguous piece of device memory the launch uses, and its host copy.
struct Block {
  char* device;
  size_t bytes;
  bool written;  // copied back after the launch
  char* host = nullptr;
};

struct StagedLaunch {
  std::vector<CommWork> work;
  std::vector<Block> blocks;
  ~StagedLaunch() {
    for (Block& b : blocks)
      if (b.host) cuda::PinnedPool::instance().give(b.host);
  }
};

bool isDeviceMemory(const void* pointer) {
  if (!pointer) return false;
  cudaPointerAttributes attributes{};
  if (cudaPointerGetAttributes(&attributes, pointer) != cudaSuccess) {
    cudaGetLastError();
    return false;
  }
  return attributes.type == cudaMemoryTypeDevice;
}

void addRegion(std::vector<Block>& blocks, const void* pointer, size_t bytes, bool written) {
  if (bytes > 0 && isDeviceMemory(pointer))
    blocks.push_back({static_cast<char*>(const_cast<void*>(pointer)), bytes, written});
}

// Sorted by address, overlapping regions merged into one block.
std::vector<Block> mergeRegions(std::vector<Block> regions) {
  std::sort(regions.begin(), regions.end(), [](const Block& a, const Block& b) { return a.device < b.device; });
  std::vector<Block> merged;
  for (const Block& r : regions) {
    if (!merged.empty() && r.device < merged.back().device + merged.back().bytes) {
      Block& last = merged.back();
      last.bytes = std::max(last.bytes, static_cast<size_t>(r.device + r.bytes - last.device));
      last.written |= r.written;
    } else {
      merged.push_back(r);
    }
  }
  return merged;
}

template <class Pointer>
void redirect(Pointer& pointer, const std::vector<Block>& blocks) {
  auto* p = static_cast<const char*>(pointer);
  for (const Block& b : blocks)
    if (p >= b.device && p < b.device + b.bytes) {
      pointer = static_cast<Pointer>(static_cast<void*>(b.host + (p - b.device)));
      return;
    }
}

void runStaged(void* data) {
  auto* staged = static_cast<StagedLaunch*>(data);
  try {
    executeWork(staged->work);  // failures are recorded on the communicators: ncclCommGetAsyncError sees them
  } catch (const Error&) {
  }
}

void finishStaged(void* data) {
  std::unique_ptr<StagedLaunch> staged(static_cast<StagedLaunch*>(data));
  for (CommWork& w : staged->work) --w.comm->inflight;
}

}  // namespace

bool available() { return devices().count > 0; }

std::vector<std::string> describeDevices() {
  if (!available()) return {"no CUDA device visible (" + devices().why + ")"};
  std::vector<std::string> lines;
  for (int d = 0; d < devices().count; ++d) {
    cudaDeviceProp p{};
    check(cudaGetDeviceProperties(&p, d), "cudaGetDeviceProperties");
    char bus[32];
    std::snprintf(bus, sizeof bus, "%04x:%02x:%02x.0", p.pciDomainID, p.pciBusID, p.pciDeviceID);
    lines.push_back("cuda:" + std::to_string(d) + " " + p.name + ", PCI " + bus + ", sm_" + std::to_string(p.major) +
                    std::to_string(p.minor) + ", " + std::to_string(p.totalGlobalMem >> 20) + " MiB");
  }
  return lines;
}

bool isAcceleratorStream(cudaStream_t stream) { return stream && available() && !HostStream::isHostStream(stream); }

bool launch(std::vector<CommWork>& work, cudaStream_t stream) {
  if (!available()) return false;
  std::vector<Block> regions;
  for (CommWork& w : work) {
    for (CollectiveCall& c : w.collectives) {
      const size_t es = dataTypeSize(c.type);
      addRegion(regions, c.sendbuff, c.sendSpan * es, false);
      addRegion(regions, c.recvbuff, c.recvSpan * es, true);
    }
    for (size_t i = 0; i < w.pointToPoint.size(); ++i)
      addRegion(regions, w.pointToPointBuffers[i], w.pointToPoint[i].bytes, !w.pointToPoint[i].isSend);
  }
  const bool onCudaStream = isAcceleratorStream(stream);
  if (regions.empty() && !onCudaStream) return false;
  if (stream && !onCudaStream)
    fail(ncclInvalidUsage, "device buffers need a CUDA stream (or NULL), not a Braid host stream");

  auto staged = std::make_unique<StagedLaunch>();
  staged->blocks = mergeRegions(std::move(regions));
  for (Block& b : staged->blocks) b.host = cuda::PinnedPool::instance().take(b.bytes);
  for (CommWork& w : work) {
    for (CollectiveCall& c : w.collectives) {
      redirect(c.sendbuff, staged->blocks);
      redirect(c.recvbuff, staged->blocks);
    }
    for (char*& p : w.pointToPointBuffers) redirect(p, staged->blocks);
  }
  staged->work = std::move(work);
  // NULL is CUDA's legacy default stream: ordered after earlier work on the device, and asynchronous to the host.
  for (const Block& b : staged->blocks)
    check(cudaMemcpyAsync(b.host, b.device, b.bytes, cudaMemcpyDeviceToHost, stream), "cudaMemcpyAsync (to host)");
  check(cudaLaunchHostFunc(stream, runStaged, staged.get()), "cudaLaunchHostFunc");
  for (CommWork& w : staged->work) ++w.comm->inflight;
  BRAID_INFO("COLL", "launch staged through %zu host blocks on CUDA stream %p", staged->blocks.size(),
             static_cast<void*>(stream));
  // From here the stream owns the launch: the last host function frees it, even when a copy back fails to queue.
  StagedLaunch* owned = staged.release();
  cudaError_t copyBack = cudaSuccess;
  for (const Block& b : owned->blocks)
    if (b.written && copyBack == cudaSuccess)
      copyBack = cudaMemcpyAsync(b.device, b.host, b.bytes, cudaMemcpyHostToDevice, stream);
  check(cudaLaunchHostFunc(stream, finishStaged, owned), "cudaLaunchHostFunc");
  check(copyBack, "cudaMemcpyAsync (to device)");
  return true;
}

}  // namespace braid::accelerator
