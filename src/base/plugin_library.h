// What every kind of NCCL-style plugin needs: opening its library by file name or path, as NCCL searches (the
// library path), then in the folder Braid itself was loaded from, where Braid's own plugins are installed; and
// its log lines joining Braid's.
#pragma once

#include <dlfcn.h>

#include <cstdarg>
#include <memory>
#include <optional>
#include <string>

#include "braid/plugin_log.h"

namespace braid {

// The file a plugin setting names: "foo" means libnccl-KIND-foo.so; anything with ".so" is a file name or path.
std::string pluginFileName(const char* kind, const std::string& setting);
// The dlopen handle, or null (dlerror() says why).
void* openPluginLibrary(const std::string& file);

// What loading a kind of plugin found, for the log at communicator init: the plugin loaded, or why one that was
// named was not; "" when none was asked for or found.
struct PluginReport {
  bool loaded = false;
  std::string message;
};
// Logs a report under `subsys`: INFO when loaded, WARN when a named plugin was not, nothing otherwise.
void logPluginReport(const char* subsys, const PluginReport& report);

// A plugin library's newest ABI, or why there is none. The library stays open for the process's life.
template <class Plugin>
struct LoadedPlugin {
  std::unique_ptr<Plugin> plugin;
  PluginReport report;
};

// Loads the plugin of `kind` that `setting` names ("none": no plugin; unset: libnccl-KIND.so if present) through
// `newest(library)`, which returns its newest ABI Braid speaks or null; `abi` names the versions for messages
// ("ncclTuner_v", "ncclTunerPlugin_v2 to v6"). Plugin has name() and version().
template <class Plugin, class Newest>
LoadedPlugin<Plugin> loadNewestPlugin(const char* kind, const std::optional<std::string>& setting, const char* abi,
                                      const char* exportedSymbols, Newest newest) {
  LoadedPlugin<Plugin> loaded;
  if (setting && *setting == "none") return loaded;
  const std::string file = setting ? pluginFileName(kind, *setting) : std::string("libnccl-") + kind + ".so";
  void* library = openPluginLibrary(file);
  if (!library) {
    if (setting) loaded.report.message = std::string(kind) + " plugin " + file + " not loaded (" + dlerror() + ")";
    return loaded;
  }
  loaded.plugin = newest(library);
  if (!loaded.plugin) {
    loaded.report.message = std::string(kind) + " plugin " + file + " exports none of " + exportedSymbols;
    dlclose(library);
    return loaded;
  }
  loaded.report = {true, "loaded " + std::string(kind) + " plugin " + loaded.plugin->name() + " (" + abi +
                             std::to_string(loaded.plugin->version()) + ") from " + file};
  return loaded;
}

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
