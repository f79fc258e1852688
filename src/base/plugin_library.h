// What every kind of NCCL-style plugin needs: opening its library by file name or path, as NCCL searches (the
// library path), then in the folder Braid itself was loaded from, where Braid's own plugins are installed; and
// its log lines joining Braid's.
#pragma once

#include <cstdarg>
#include <string>

#include "braid/plugin_log.h"

namespace braid {

// The file a plugin setting names: "foo" means libnccl-KIND-foo.so; anything with ".so" is a file name or path.
std::string pluginFileName(const char* kind, const std::string& setting);
// The dlopen handle, or null (dlerror() says why).
void* openPluginLibrary(const std::string& file);

// A line a plugin logged through NCCL's logger signature, as Braid logs `subsys` lines ("plugin: ...").
void logPluginLine(const char* subsys, ncclDebugLogLevel level, const char* file, int line, const char* fmt,
                   va_list args);

// The logger handed to a kind of plugin whose lines go under `Subsys` (a namespace-scope char array).
template <const char* Subsys>
void pluginLogger(ncclDebugLogLevel level, unsigned long, const char* file, int line, const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  logPluginLine(Subsys, level, file, line, fmt, args);
  va_end(args);
}

}  // namespace braid
