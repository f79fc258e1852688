#include "base/log.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "base/params.h"
#include "base/text.h"

namespace braid {
namespace {

// The subsystems Braid logs under, and NCCL's (accepted so that NCCL settings carry over).
const char* const kSubsystems[] = {"ALL",    "INIT", "BOOTSTRAP", "NET",     "SHM", "COLL",  "GRAPH",
                                   "TUNING", "API",  "STATUS",    "ENV",     "P2P", "ALLOC", "CALL",
                                   "PROXY",  "NVLS", "REG",       "PROFILE", "RAS"};

std::string checkSubsystems(const std::string& list) {
  const std::string body = !list.empty() && list[0] == '^' ? list.substr(1) : list;
  for (const std::string& item : split(body, ','))
    if (std::none_of(std::begin(kSubsystems), std::end(kSubsystems),
                     [&](const char* s) { return strcasecmp(item.c_str(), s) == 0; }))
      return "unknown subsystem \"" + item +
             "\" (INIT, BOOTSTRAP, NET, SHM, COLL, GRAPH, TUNING, API, STATUS, ENV, "
             "ALL; ^ excludes)";
  return "";
}

// %h and %p in BRAID_DEBUG_FILE: the host name and the process id.
std::string expandLogPath(const std::string& pattern, const char* host) {
  std::string path;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '%' && i + 1 < pattern.size() && pattern[i + 1] == 'h') path += host, ++i;
    else if (pattern[i] == '%' && i + 1 < pattern.size() && pattern[i + 1] == 'p')
      path += std::to_string(getpid()), ++i;
    else path += pattern[i];
  }
  return path;
}

std::string checkLogPath(const std::string& pattern) { return param::writablePath(expandLogPath(pattern, "host")); }

const param::Choice kDebug{"DEBUG",
                           param::kNcclAlias,
                           "none",
                           {"none", "version", "warn", "info", "trace", "abort"},
                           "log level: WARN, INFO or TRACE (VERSION prints the version at init; ABORT logs as WARN)"};
const param::Text kDebugSubsys{"DEBUG_SUBSYS",
                               param::kNcclAlias,
                               "list",
                               "subsystems, comma-separated; ^ excludes",
                               checkSubsystems,
                               "INIT,RADIO",
                               "subsystems INFO and TRACE log (default ALL)"};
const param::Text kDebugFile{"DEBUG_FILE",
                             param::kNcclAlias,
                             "path",
                             "a file to write (%h host, %p pid)",
                             checkLogPath,
                             "/nonexistent/braid.%p.log",
                             "log file instead of standard error"};

struct LogConfig {
  LogLevel level = LogLevel::None;
  bool version = false;
  std::string subsys = "ALL";
  FILE* out = stderr;
  char host[64] = {};
};

// Read on first use, where an exception cannot go: a malformed setting leaves the default here, and
// param::checkAll() fails the next init with the message. A reload appends to the log file the first reading
// started afresh.
const LogConfig* readConfig(const char* fileMode) {
  auto* c = new LogConfig;
  gethostname(c->host, sizeof(c->host) - 1);
  const std::string level = kDebug.getOrDefault();
  if (level == "warn" || level == "abort") c->level = LogLevel::Warn;
  else if (level == "info") c->level = LogLevel::Info;
  else if (level == "trace") c->level = LogLevel::Trace;
  c->version = level == "version" || level == "info" || level == "trace";
  if (auto v = kDebugSubsys.getOrNothing()) c->subsys = *v;
  if (auto v = kDebugFile.getOrNothing())
    if (FILE* f = std::fopen(expandLogPath(*v, c->host).c_str(), fileMode)) c->out = f;
  return c;
}

std::atomic<const LogConfig*> current{nullptr};

const LogConfig& config() {
  if (const LogConfig* c = current.load(std::memory_order_acquire)) return *c;
  static std::once_flag once;
  std::call_once(once, [] { current.store(readConfig("w"), std::memory_order_release); });
  return *current.load(std::memory_order_acquire);
}

// True when `subsys` is selected by a comma list such as "INIT,NET" or "^COLL".
bool subsysSelected(const std::string& list, const char* subsys) {
  bool exclude = !list.empty() && list[0] == '^';
  std::string body = exclude ? list.substr(1) : list;
  bool listed = false;
  size_t start = 0;
  while (start <= body.size()) {
    size_t end = body.find(',', start);
    std::string item = body.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (strcasecmp(item.c_str(), subsys) == 0 || strcasecmp(item.c_str(), "ALL") == 0) listed = true;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return exclude ? !listed : listed;
}

thread_local int currentRank = -1;

}  // namespace

LogRankScope::LogRankScope(int rank) : previous_(currentRank) { currentRank = rank; }
LogRankScope::~LogRankScope() { currentRank = previous_; }

bool logEnabled(LogLevel level, const char* subsys) {
  const LogConfig& c = config();
  if (level > c.level) return false;
  return level == LogLevel::Warn || subsysSelected(c.subsys, subsys);
}

void logMessage(LogLevel level, const char* subsys, const char* fmt, ...) {
  if (!logEnabled(level, subsys)) return;
  static const char* names[] = {"NONE", "WARN", "INFO", "TRACE"};
  char body[1024];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(body, sizeof(body), fmt, args);
  va_end(args);
  const LogConfig& c = config();
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  char rank[16] = "-";
  if (currentRank >= 0) std::snprintf(rank, sizeof rank, "%d", currentRank);
  std::fprintf(c.out, "%s:%d:%ld [%s] BRAID %s %s %s\n", c.host, getpid(), static_cast<long>(syscall(SYS_gettid)), rank,
               names[static_cast<int>(level)], subsys, body);
  std::fflush(c.out);
}

void reloadLogConfig() {
  config();  // the first reading, if none happened yet, is replaced below
  // Configurations replaced stay alive: another thread may be logging with one right now. A reload is rare.
  static std::mutex mutex;
  static std::vector<const LogConfig*> retired;
  std::lock_guard<std::mutex> lock(mutex);
  retired.push_back(current.exchange(readConfig("a"), std::memory_order_acq_rel));
}

void logVersionOnce(const char* version) {
  static std::once_flag once;
  if (!config().version) return;
  std::call_once(once, [&] {
    const LogConfig& c = config();
    std::fprintf(c.out, "%s:%d Braid version %s\n", c.host, getpid(), version);
    std::fflush(c.out);
  });
}

}  // namespace braid
