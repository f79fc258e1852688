#include "runtime/staging.h"

#include <algorithm>
#include <memory>

#include "base/error.h"
#include "base/log.h"
#include "device/datatype.h"
#include "device/device.h"
#include "device/pinned_pool.h"
#include "runtime/communicator.h"
#include "runtime/launch.h"

namespace braid {
namespace {

// A contiguous piece of device memory the launch uses, and its host copy.
struct Block {
  char* device;
  size_t bytes;
  bool written;  // copied back after the launch
  char* host = nullptr;
};

struct StagedLaunch {
  device::Device* device;
  std::vector<CommWork> work;
  std::vector<Block> blocks;
  ~StagedLaunch() {
    for (Block& b : blocks)
      if (b.host) device::PinnedPool::of(*device).give(b.host);
  }
};

// Notes the accelerator memory among a launch's buffers, and whose it is.
struct Regions {
  std::vector<Block> blocks;
  device::Device* device = nullptr;

  void add(const void* pointer, size_t bytes, bool written) {
    device::Device* owner = bytes > 0 ? device::acceleratorOfPointer(pointer) : nullptr;
    if (!owner) return;
    if (device && owner != device)
      fail(ncclInvalidUsage, std::string("one launch uses memory of two accelerators (") + device->name() + " and " +
                                 owner->name() + ")");
    device = owner;
    blocks.push_back({static_cast<char*>(const_cast<void*>(pointer)), bytes, written});
  }
};

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

bool launchOnDevice(std::vector<CommWork>& work, cudaStream_t stream) {
  if (!device::acceleratorsAvailable()) return false;
  Regions regions;
  for (CommWork& w : work) {
    for (CollectiveCall& c : w.collectives) {
      const size_t es = dataTypeSize(c.type);
      regions.add(c.sendbuff, c.sendSpan * es, false);
      regions.add(c.recvbuff, c.recvSpan * es, true);
    }
    for (size_t i = 0; i < w.pointToPoint.size(); ++i)
      regions.add(w.pointToPointBuffers[i], w.pointToPoint[i].bytes, !w.pointToPoint[i].isSend);
    for (OneSidedCall& c : w.oneSided)
      if (c.kind == OneSidedCall::PutSignal) regions.add(c.data, c.bytes, false);
  }
  device::Device* streamDevice = device::acceleratorOfStream(stream);
  if (regions.blocks.empty() && !streamDevice) return false;
  if (stream && !streamDevice)
    fail(ncclInvalidUsage,
         std::string("device buffers need a ") + regions.device->name() + " stream (or NULL), not a Braid host stream");
  if (streamDevice && regions.device && streamDevice != regions.device)
    fail(ncclInvalidUsage, std::string(regions.device->name()) + " buffers on a " + streamDevice->name() + " stream");
  device::Device& dev = streamDevice ? *streamDevice : *regions.device;

  auto staged = std::make_unique<StagedLaunch>();
  staged->device = &dev;
  staged->blocks = mergeRegions(std::move(regions.blocks));
  for (Block& b : staged->blocks) b.host = device::PinnedPool::of(dev).take(b.bytes);
  for (CommWork& w : work) {
    for (CollectiveCall& c : w.collectives) {
      redirect(c.sendbuff, staged->blocks);
      redirect(c.recvbuff, staged->blocks);
    }
    for (char*& p : w.pointToPointBuffers) redirect(p, staged->blocks);
    for (OneSidedCall& c : w.oneSided) redirect(c.data, staged->blocks);
  }
  staged->work = std::move(work);
  // NULL is the runtime's default stream: ordered after earlier work on the device, asynchronous to the host.
  for (const Block& b : staged->blocks) dev.copyAsync(b.host, b.device, b.bytes, stream);
  dev.enqueueHostFunction(stream, runStaged, staged.get());
  for (CommWork& w : staged->work) ++w.comm->inflight;
  BRAID_INFO("COLL", "launch staged through %zu host blocks on %s stream %p", staged->blocks.size(), dev.name(),
             stream);
  // From here the stream owns the launch: the last host function frees it, even when a copy back fails to queue.
  StagedLaunch* owned = staged.release();
  std::exception_ptr copyBack;
  for (const Block& b : owned->blocks) {
    if (!b.written || copyBack) continue;
    try {
      dev.copyAsync(b.device, b.host, b.bytes, stream);
    } catch (const Error&) {
      copyBack = std::current_exception();
    }
  }
  dev.enqueueHostFunction(stream, finishStaged, owned);
  if (copyBack) std::rethrow_exception(copyBack);
  return true;
}

}  // namespace braid
