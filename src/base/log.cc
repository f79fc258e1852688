#include "base/log.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>

#include "base/env.h"

namespace braid {
namespace {

struct LogConfig {
  LogLevel level = LogLevel::None;
  std::string subsys = "ALL";
  FILE* out = stderr;
  char host[64] = {};
};

const LogConfig& config() {
  static const LogConfig cfg = [] {
    LogConfig c;
    gethostname(c.host, sizeof(c.host) - 1);
    if (auto v = envValue("DEBUG")) {
      if (strcasecmp(v->c_str(), "WARN") == 0) c.level = LogLevel::Warn;
      else if (strcasecmp(v->c_str(), "INFO") == 0) c.level = LogLevel::Info;
      else if (strcasecmp(v->c_str(), "TRACE") == 0) c.level = LogLevel::Trace;
    }
    if (auto v = envValue("DEBUG_SUBSYS")) c.subsys = *v;
    if (auto v = envValue("DEBUG_FILE")) {
      std::string path;
      for (size_t i = 0; i < v->size(); ++i) {
        if ((*v)[i] == '%' && i + 1 < v->size() && (*v)[i + 1] == 'h') path += c.host, ++i;
        else if ((*v)[i] == '%' && i + 1 < v->size() && (*v)[i + 1] == 'p') path += std::to_string(getpid()), ++i;
        else path += (*v)[i];
      }
      if (FILE* f = std::fopen(path.c_str(), "w")) c.out = f;
    }
    return c;
  }();
  return cfg;
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

}  // namespace braid
