#include "base/env_plugin.h"

#include <dlfcn.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "base/params.h"
#include "base/plugin_library.h"
#include "braid/env_plugin.h"

namespace braid {
namespace {

// Listed with the other parameters (`braid env`), but read from the process environment only: it says where
// the other values come from.
const param::Text kEnvPlugin{"ENV_PLUGIN",
                             param::kNcclAlias,
                             "name",
                             "a plugin name (foo: libnccl-env-foo.so), a path or none",
                             nullptr,
                             nullptr,
                             "NCCL environment plugin every parameter is read through (unset: libnccl-env.so if "
                             "present); taken from the process environment only"};

// The plugin's calls, whichever version it exports.
struct EnvPlugin {
  const char* name = nullptr;
  int version = 0;
  ncclResult_t (*finalize)(void) = nullptr;
  const char* (*getEnv)(const char* name) = nullptr;
};

struct Loaded {
  EnvPlugin plugin;  // getEnv null: none, values come from the process environment
  PluginReport report;
};

// True on the thread loading the plugin: what it reads meanwhile (its own logging reads parameters) comes from
// the process environment.
thread_local bool loading = false;

// A plugin logs through NCCL's logger signature; during init Braid's log is not ready, so warnings go straight
// to standard error and the rest is dropped.
void initLogger(ncclDebugLogLevel level, unsigned long, const char*, int, const char* fmt, ...) {
  if (level != NCCL_LOG_WARN) return;
  va_list args;
  va_start(args, fmt);
  std::fputs("BRAID WARN ENV plugin: ", stderr);
  std::vfprintf(stderr, fmt, args);
  std::fputc('\n', stderr);
  va_end(args);
}

Loaded load() {
  Loaded loaded;
  const char* named = std::getenv(kEnvPlugin.name().c_str());
  if (!named || !*named) named = std::getenv(kEnvPlugin.ncclName().c_str());
  if (named && std::string(named) == "none") return loaded;
  const bool quiet = !named || !*named;  // NCCL's default name: its absence is no news
  const std::string file = quiet ? "libnccl-env.so" : pluginFileName("env", named);
  void* library = openPluginLibrary(file);
  if (!library) {
    if (!quiet) loaded.report.message = "environment plugin " + file + " not loaded (" + dlerror() + ")";
    return loaded;
  }
  EnvPlugin p;
  ncclResult_t r = ncclSuccess;
  if (const auto* v2 = static_cast<const ncclEnv_v2_t*>(dlsym(library, "ncclEnvPlugin_v2"))) {
    p = {v2->name, 2, v2->finalize, v2->getEnv};
    r = v2->init(NCCL_MAJOR, NCCL_MINOR, NCCL_PATCH, NCCL_SUFFIX, initLogger);
  } else if (const auto* v1 = static_cast<const ncclEnv_v1_t*>(dlsym(library, "ncclEnvPlugin_v1"))) {
    p = {v1->name, 1, v1->finalize, v1->getEnv};
    r = v1->init(NCCL_MAJOR, NCCL_MINOR, NCCL_PATCH, NCCL_SUFFIX);
  } else {
    loaded.report.message = "environment plugin " + file + " exports neither ncclEnvPlugin_v2 nor ncclEnvPlugin_v1";
    dlclose(library);
    return loaded;
  }
  if (r != ncclSuccess || !p.getEnv) {
    loaded.report.message = "environment plugin " + file + " (" + (p.name ? p.name : "?") + ") failed to initialize" +
                            " (NCCL result " + std::to_string(r) + "): values come from the process environment";
    dlclose(library);
    return loaded;
  }
  loaded.plugin = p;
  loaded.report = {true, "loaded environment plugin " + std::string(p.name ? p.name : "?") + " (ncclEnv_v" +
                             std::to_string(p.version) + ") from " + file + ": every parameter is read through it"};
  return loaded;  // the library stays open: getEnv answers until the process ends, when finalize runs
}

const Loaded& loadedOnce() {
  static Loaded* loaded = nullptr;
  static std::once_flag once;
  std::call_once(once, [] {
    loading = true;
    loaded = new Loaded(load());  // never freed: parameters are read up to the process's end
    loading = false;
    if (loaded->plugin.finalize) std::atexit([] { loaded->plugin.finalize(); });
  });
  return *loaded;
}

}  // namespace

const char* environmentValue(const char* name) {
  if (loading) return std::getenv(name);
  const EnvPlugin& plugin = loadedOnce().plugin;
  return plugin.getEnv ? plugin.getEnv(name) : std::getenv(name);
}

PluginReport envPluginReport() { return loadedOnce().report; }

bool envPluginLoaded() { return !loading && loadedOnce().report.loaded; }

}  // namespace braid
