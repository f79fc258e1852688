// Debug log controlled by BRAID_DEBUG (WARN, INFO, TRACE) and BRAID_DEBUG_SUBSYS (INIT, BOOTSTRAP, NET, SHM,
// COLL, ...; ^ excludes, ALL is the default). One line per event: host:pid:tid [rank] BRAID LEVEL SUBSYS message.
#pragma once

#include <cstdarg>

namespace braid {

enum class LogLevel { None = 0, Warn = 1, Info = 2, Trace = 3 };

bool logEnabled(LogLevel level, const char* subsys);

// The rank shown in this thread's log lines while the scope lives (communicator init and launches).
class LogRankScope {
 public:
  explicit LogRankScope(int rank);
  ~LogRankScope();
  LogRankScope(const LogRankScope&) = delete;
  LogRankScope& operator=(const LogRankScope&) = delete;

 private:
  int previous_;
};
void logMessage(LogLevel level, const char* subsys, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
// Reads BRAID_DEBUG, BRAID_DEBUG_SUBSYS and BRAID_DEBUG_FILE again (ncclResetDebugInit).
void reloadLogConfig();
// Once per process, when BRAID_DEBUG (NCCL_DEBUG) asks for any output: the version line NCCL prints at init.
void logVersionOnce(const char* version);

}  // namespace braid

#define BRAID_WARN(subsys, ...) ::braid::logMessage(::braid::LogLevel::Warn, subsys, __VA_ARGS__)
#define BRAID_INFO(subsys, ...)                                                                                        \
  do {                                                                                                                 \
    if (::braid::logEnabled(::braid::LogLevel::Info, subsys))                                                          \
      ::braid::logMessage(::braid::LogLevel::Info, subsys, __VA_ARGS__);                                               \
  } while (0)
