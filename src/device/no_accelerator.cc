// Braid built without an accelerator runtime: every buffer is host memory and every stream a host stream.
#include "device/accelerator.h"

namespace braid::accelerator {

bool available() { return false; }
std::vector<std::string> describeDevices() { return {"no accelerator: Braid was built without CUDA"}; }
bool isAcceleratorStream(cudaStream_t) { return false; }
bool launch(std::vector<CommWork>&, cudaStream_t) { return false; }

}  // namespace braid::accelerator
