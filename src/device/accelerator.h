// The accelerator behind Braid's device layer, when there is one: CUDA when Braid is built with it
// (src/device/cuda/), nothing otherwise (src/device/no_accelerator.cc). The launch path asks it whether a launch
// involves device memory or a CUDA stream, and if so hands the launch over.
#pragma once

#include <string>
#include <vector>

#include "runtime/work.h"
#include "nccl.h"

namespace braid::accelerator {

// Built with an accelerator runtime and at least one device visible.
bool available();
// One line per visible device ("cuda:0 NVIDIA H100 80GB HBM3, PCI 0000:19:00.0, sm_90"), or why there is none.
std::vector<std::string> describeDevices();
// Whether `stream` is the accelerator's stream rather than a Braid host stream (never true without one).
bool isAcceleratorStream(cudaStream_t stream);

// Takes over a launch whose buffers live in device memory or whose stream is the accelerator's: the work is
// ordered on `stream` and the call returns at once, as NCCL's calls do. False when neither applies: the caller
// runs the launch on the host path.
bool launch(std::vector<CommWork>& work, cudaStream_t stream);

}  // namespace braid::accelerator
