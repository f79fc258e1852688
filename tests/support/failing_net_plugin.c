/* A network plugin of a version Braid loads (ncclNet_v10) whose init fails, so Braid must say so and fall back.
 * Only its name and init are ever used. */
#include "braid/net_plugin.h"

static ncclResult_t failingInit(ncclDebugLogger_t logger, ncclProfilerCallback_t profiler) {
  (void)logger, (void)profiler;
  return ncclSystemError;
}

__attribute__((visibility("default"))) const ncclNet_v10_t ncclNetPlugin_v10 = {.name = "failing", .init = failingInit};
