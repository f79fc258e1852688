#include "base/plugin_library.h"

#include <dlfcn.h>

#include <cstdio>

#include "base/log.h"

namespace braid {

std::string pluginFileName(const char* kind, const std::string& setting) {
  return setting.find(".so") != std::string::npos ? setting : std::string("libnccl-") + kind + "-" + setting + ".so";
}

void* openPluginLibrary(const std::string& file) {
  void* library = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  Dl_info self;
  if (!library && file.find('/') == std::string::npos && dladdr(reinterpret_cast<void*>(&openPluginLibrary), &self) &&
      self.dli_fname) {
    std::string folder = self.dli_fname;
    folder.erase(folder.find_last_of('/') + 1);
    if (!folder.empty()) library = dlopen((folder + file).c_str(), RTLD_NOW | RTLD_LOCAL);
  }
  return library;
}

void logPluginReport(const char* subsys, const PluginReport& report) {
  if (report.loaded) BRAID_INFO(subsys, "%s", report.message.c_str());
  else if (!report.message.empty()) BRAID_WARN(subsys, "%s", report.message.c_str());
}

void logPluginLine(const char* subsys, ncclDebugLogLevel level, const char* file, int line, const char* fmt,
                   va_list args) {
  const LogLevel braidLevel = level <= NCCL_LOG_WARN   ? LogLevel::Warn
                              : level == NCCL_LOG_INFO ? LogLevel::Info
                                                       : LogLevel::Trace;
  if (level == NCCL_LOG_NONE || !logEnabled(braidLevel, subsys)) return;
  char text[1024];
  std::vsnprintf(text, sizeof text, fmt, args);
  logMessage(braidLevel, subsys, "plugin: %s (%s:%d)", text, file ? file : "?", line);
}

}  // namespace braid
