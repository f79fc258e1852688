// The environment plugin (include/braid/env_plugin.h): where every parameter's value comes from. Loaded on first
// use, once per process, from BRAID_ENV_PLUGIN / NCCL_ENV_PLUGIN (always read from the process environment),
// else libnccl-env.so if present; without one, values come from the process environment.
#pragma once

#include <string>

#include "base/plugin_library.h"

namespace braid {

// The value of environment variable `name` as the plugin (or the process environment) gives it; null when unset.
const char* environmentValue(const char* name);
// Whether values come from a plugin.
bool envPluginLoaded();

// What loading found, for the log at communicator init (the loading itself cannot log: logging reads
// parameters): the plugin loaded, or why one that was named was not; "" when none was asked for or found.
PluginReport envPluginReport();

}  // namespace braid
