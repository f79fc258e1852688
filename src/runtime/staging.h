// Launches on accelerator memory or streams, for any accelerator behind the device interface (device.h): the
// launch's device buffers are staged through page-locked host memory and the whole launch is ordered on the
// caller's stream, so the call returns at once as NCCL's calls do:
//   device -> host copies, then a host function that runs the launch over Braid's transports (executeWork),
//   then host -> device copies of what the launch writes, then a host function that recycles the staging.
// Every buffer the launch touches is staged whole, outputs included, so bytes a collective does not write come
// back unchanged; buffers that overlap (in-place calls) share one staging block. Errors of the launch itself
// are recorded on its communicators (ncclCommGetAsyncError), like NCCL's asynchronous errors.
#pragma once

#include <vector>

#include "nccl.h"
#include "runtime/work.h"

namespace braid {

// Takes over `work` when a buffer is an accelerator's memory or `stream` an accelerator's stream; false (having
// done nothing) when neither: the caller runs the launch on the host path.
bool launchOnDevice(std::vector<CommWork>& work, cudaStream_t stream);

}  // namespace braid
