#include "base/process_identity.h"

#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>

#include <atomic>
#include <cerrno>
#include <fstream>
#include <string>

namespace braid {
namespace {

std::atomic<uint64_t> generation{0};

void enterChild() { generation.fetch_add(1, std::memory_order_relaxed); }

// Registered when the library loads, before any communicator exists.
const int registered = pthread_atfork(nullptr, nullptr, enterChild);

}  // namespace

uint64_t processGeneration() {
  (void)registered;
  return generation.load(std::memory_order_relaxed);
}

uint64_t pidNamespace() {
  struct stat st {};
  return ::stat("/proc/self/ns/pid", &st) == 0 ? static_cast<uint64_t>(st.st_ino) : 0;
}

bool processExited(int32_t pid) {
  if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const size_t close = line.rfind(')');  // the command name may contain spaces and parentheses
  return close != std::string::npos && close + 2 < line.size() && (line[close + 2] == 'Z' || line[close + 2] == 'X');
}

}  // namespace braid
