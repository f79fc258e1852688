// Opening an NCCL-style plugin library by file name or path, as NCCL searches (the library path), then in the
// folder Braid itself was loaded from, where Braid's own plugins are installed.
#pragma once

#include <string>

namespace braid {

// The dlopen handle, or null (dlerror() says why).
void* openPluginLibrary(const std::string& file);

}  // namespace braid
