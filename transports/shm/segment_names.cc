#include "transports/shm/segment_names.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>

#include "base/log.h"
#include "base/process_identity.h"

namespace braid {

std::string segmentName(const PeerInfo& creator, uint64_t nonce, const std::string& what) {
  char name[128];
  std::snprintf(name, sizeof name, "/braid-%" PRIu64 "-%d-%016" PRIx64 "-%s", creator.pidNamespace, creator.pid, nonce,
                what.c_str());
  return name;
}

int reclaimSegmentsOfDeadProcesses() {
  const uint64_t ownNamespace = pidNamespace();
  if (ownNamespace == 0) return 0;  // no way to tell whose pids the names hold
  DIR* dir = ::opendir("/dev/shm");
  if (!dir) return 0;
  int reclaimed = 0;
  while (const dirent* entry = ::readdir(dir)) {
    uint64_t space = 0;
    int pid = 0, consumed = 0;
    if (std::sscanf(entry->d_name, "braid-%" SCNu64 "-%d-%n", &space, &pid, &consumed) != 2 || consumed == 0 ||
        space != ownNamespace || pid <= 0)
      continue;
    if (!processExited(pid)) continue;
    struct stat st {};
    if (::fstatat(::dirfd(dir), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || st.st_uid != ::geteuid()) continue;
    if (::unlinkat(::dirfd(dir), entry->d_name, 0) == 0) {
      ++reclaimed;
      BRAID_INFO("INIT", "removed /dev/shm/%s, left by process %d, which exited before unlinking it", entry->d_name,
                 pid);
    }
  }
  ::closedir(dir);
  return reclaimed;
}

}  // namespace braid
